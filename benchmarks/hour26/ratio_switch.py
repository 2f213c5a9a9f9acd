"""Scratch: when each KPI is first taken for a ratio of counts in a replay, and what the
window's |season z| of those KPIs looked like before (stale rows the tails are fitted on)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from first_days import first_days

from telecom_nb import schema
from telecom_nb.engine import replay

folder, days = Path(sys.argv[1]), float(sys.argv[2])
loaded, table, det = first_days(folder, days)
ts = table[schema.TIMESTAMP]
seen: dict = {}
orig = det._learn_view


def learn(view, x):
    lumpy = getattr(det.features_.parts_[0], "lumpy_", None) if det.features_.parts_ else None
    if lumpy is not None:
        r = lumpy.counts_.ratios()
        for k, flag in zip(lumpy.kpis, r, strict=True):
            if flag and k not in seen:
                seen[k] = pd.Timestamp(view.timestamps.max())
                print("ratio", k, seen[k], "day", (seen[k] - ts.min()) / pd.Timedelta("1D"))
    return orig(view, x)


det._learn_view = learn
replay(table, det, loaded.kpis)
names = list(det.features_.feature_names)
w = det._window.snapshot()
lumpy = det.features_.parts_[0].lumpy_
print("ratios at the end:", dict(zip(lumpy.kpis, lumpy.counts_.ratios(), strict=True)))
print("lattice", lumpy.counts_.lattice_, "control", lumpy.counts_.control_,
      "denominated", lumpy.counts_.denominated_)
for k in [k for k, f in zip(lumpy.kpis, lumpy.counts_.ratios(), strict=True) if f]:
    c = names.index(f"{k}:season_z")
    a = np.abs(w[:, c])
    print(k, "window |z| q95/98/99/99.8", np.nanquantile(a, [.95, .98, .99, .998]).round(1),
          "rows > 20:", int((a > 20).sum()), "of", len(a))
