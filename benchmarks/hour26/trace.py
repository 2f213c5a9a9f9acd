"""Scratch: operator_quality's replay, recording per scored row every part's raw score,
the calibrated value of each, and chosen feature columns (``KPI:season_z`` of the ratio
KPIs), for studying what the missed events read (a probe, not a test)::

    python benchmarks/hour26/trace.py WORLD OUT.parquet
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lead_part import attach
from operator_quality import labelled

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.param_paths import configure, parse_texts
from telecom_nb.engine import replay
from telecom_nb.sources import load_source


def trace(det, record: list) -> None:
    orig = det._score_features

    def wrapped(x, index, fitted=None, routine=None):
        scores = orig(x, index, fitted, routine)
        f = fitted or det._fitted
        cols = {}
        if f is not None:
            parts = det.part_scores(f.model, x)
            for name, v in parts.items():
                cols[f"raw_{name}"] = np.asarray(v, dtype=float)
            names = list(det.features_.feature_names)
            for i, n in enumerate(names):
                if n.endswith(":season_z") and ("Drop" in n or "CSSR" in n or "HO" in n):
                    cols[n] = x[:, i]
            rates = f.model.rates
            if rates is not None:
                cols["rate_units"] = np.nan_to_num(
                    rates.tails.units(x[:, rates.columns])).max(axis=1)
        record.append(pd.DataFrame(cols, index=range(len(x))))
        return scores

    det._score_features = wrapped


def main() -> None:
    folder, out = Path(sys.argv[1]), Path(sys.argv[2])
    loaded = load_source(folder / "source.toml")
    table = labelled(loaded, folder)
    det = make_detector("iforest")
    configure(det, parse_texts(det, {"timezone": loaded.spec.timezone}))
    record: list = []
    trace(det, record)
    scored = attach(table, replay(table, det, loaded.kpis).frame, record)
    ts = scored[schema.TIMESTAMP]
    scored[ts >= ts.min() + pd.Timedelta("7D")].to_parquet(out)


if __name__ == "__main__":
    main()
