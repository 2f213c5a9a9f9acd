"""Scratch: replay the first DAYS of a world and print the fitted tails of the ratio KPIs'
seasonal columns (the rate part's and the max's): what a z of 5-20 reads in units."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from first_days import first_days

from telecom_nb.engine import replay

folder, days = Path(sys.argv[1]), float(sys.argv[2])
loaded, table, det = first_days(folder, days)
replay(table, det, loaded.kpis)
m = det._fitted.model
names = list(det.features_.feature_names)
z = np.array([[0, 2, 3, 4, 5, 8, 12, 16, 20]], dtype=float)
for label, tails, cols in (("rates", m.rates.tails if m.rates else None,
                            m.rates.columns if m.rates else []),):
    for c, col in enumerate(cols):
        t = tails.select(np.array([c]))
        print(label, names[col], "anchor", t.anchor, "scale", t.scale, "reach", t.reach,
              "start", t.start[:, 0], "base", t.base[:, 0], "tail_scale", t.tail_scale[:, 0])
        print("   units at", z[0], t.units(z.T).ravel().round(2))
        print("   rate anchor", m.rates.anchor[c], "scale", m.rates.scale[c], "penalty",
              m.rates.penalty)
