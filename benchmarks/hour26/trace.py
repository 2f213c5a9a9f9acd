"""Scratch: operator_quality's replay, recording per scored row every part's raw score,
the calibrated value of each, and chosen feature columns (``KPI:season_z`` of the ratio
KPIs), for studying what the missed events read (a probe, not a test)::

    python benchmarks/hour26/trace.py WORLD OUT.parquet
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from world_trace import trace_world


def columns(det, f, x: np.ndarray) -> dict[str, np.ndarray]:
    """Every part's raw score, the ratio KPIs' seasonal z, the rate part's top units."""
    cols = {}
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
    return cols


if __name__ == "__main__":
    trace_world(Path(sys.argv[1]), Path(sys.argv[2]), columns)
