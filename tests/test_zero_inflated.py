"""Zero-inflated KPIs: detected from their values, their z on a linear scale."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.features.seasonal import SeasonalResiduals
from telecom_nb.features.zero_inflated import ZeroInflated


def test_a_kpi_at_zero_nearly_always_is_told_from_its_values():
    rng = np.random.default_rng(0)
    z = ZeroInflated(3)
    for _ in range(20):
        n = 100
        blips = np.where(rng.random(n) < 0.01, rng.uniform(5, 300, n), 0.0)
        z.update(np.column_stack([blips, rng.uniform(0, 10, n), -blips]))
    assert z.which().tolist() == [True, False, False]
    assert 5 < z.typical_[0] < 300


def test_an_hours_outage_reads_far_beyond_a_blip():
    rng = np.random.default_rng(2)
    n_sectors, days = 30, 8
    times = pd.date_range("2026-03-02", periods=24 * days, freq="h", tz="UTC")
    t = np.repeat(times, n_sectors)
    blips = np.where(rng.random(len(t)) < 0.01, rng.uniform(5, 300, len(t)), 0.0).round()
    frame = pd.DataFrame({schema.TIMESTAMP: t,
                          schema.SECTOR: np.tile([f"s{i}" for i in range(n_sectors)],
                                                 len(times)),
                          "down": blips, "load": np.exp(rng.normal(3, 0.1, len(t)))})
    season = SeasonalResiduals(kpis=["down", "load"], relations=False)
    batches = [b for _, b in frame.groupby(schema.TIMESTAMP, sort=True)]
    for batch in batches[:-1]:
        season.update_view(season.view(batch))
    last = batches[-1].copy()
    last["down"] = 0.0
    last.iloc[0, last.columns.get_loc("down")] = 150.0  # a blip
    last.iloc[1, last.columns.get_loc("down")] = 3600.0  # the whole hour down
    z = season.transform_view(season.view(last))[:, 0]
    assert z[1] > 8 * z[0] > 0  # on the log scale: 8.19 / 5.02 = 1.6x
    assert np.abs(z[2:]).max() < 1.0
