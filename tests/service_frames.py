"""One service's KPIs for the few-series tests: several KPIs driven by two shared factors
(a daily sine and a slow random walk), as benchmarks/few_series.py's cdn sets are, small."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb import schema


def service(kpis: int, days: int = 6, sectors: int = 1, seed: int = 7) -> pd.DataFrame:
    """5-minute KPIs of one service driven by two shared factors (few_series' cdn, small)."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-03-02", periods=days * 288, freq="5min", tz="UTC")
    hours = (ts.hour + ts.minute / 60.0).to_numpy()
    factors = np.vstack([np.sin(2 * np.pi * hours / 24),
                         np.convolve(rng.normal(0, 1, len(ts)), np.ones(12) / 12, "same")])
    frames = []
    for s in range(sectors):
        load = rng.normal(0, 1, (kpis, 2))
        y = load @ factors + rng.normal(0, 0.3, (kpis, len(ts)))
        frame = pd.DataFrame(y.T, columns=[f"k{j}" for j in range(kpis)])
        frame.insert(0, schema.SECTOR, f"s{s}")
        frame.insert(0, schema.TIMESTAMP, ts)
        frames.append(frame)
    out = pd.concat(frames).sort_values(schema.TIMESTAMP, kind="stable")
    return out.reset_index(drop=True)
