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
    for day in range(20):
        n = 100
        blips = np.where(rng.random(n) < 0.01, rng.uniform(5, 300, n), 0.0)
        z.update(np.column_stack([blips, rng.uniform(0, 10, n), -blips]), np.arange(n),
                 np.zeros(n, dtype=np.int64), np.full(n, 20_000 + day), n)
    assert z.which().tolist() == [True, False, False]
    assert 5 < z.typical_[0] < 300


def _learned_blippy_fleet(seed: int, kpis: list[str], relations: bool
                          ) -> tuple[SeasonalResiduals, pd.DataFrame]:
    """30 sectors, 8 hourly days: "down" at 0 but for 1 % blips of 5-300 s, "load" lognormal;
    every hour but the last learned. Returns the features and the last hour, "down" at 0."""
    rng = np.random.default_rng(seed)
    n_sectors, days = 30, 8
    times = pd.date_range("2026-03-02", periods=24 * days, freq="h", tz="UTC")
    t = np.repeat(times, n_sectors)
    blips = np.where(rng.random(len(t)) < 0.01, rng.uniform(5, 300, len(t)), 0.0).round()
    columns = {"down": blips, "load": np.exp(rng.normal(3, 0.1, len(t)))}
    frame = pd.DataFrame({schema.TIMESTAMP: t,
                          schema.SECTOR: np.tile([f"s{i}" for i in range(n_sectors)],
                                                 len(times)),
                          **{k: columns[k] for k in kpis}})
    season = SeasonalResiduals(kpis=kpis, relations=relations)
    batches = [b for _, b in frame.groupby(schema.TIMESTAMP, sort=True)]
    for batch in batches[:-1]:
        season.update_view(season.view(batch))
    last = batches[-1].copy()
    last["down"] = 0.0
    return season, last


def test_an_hours_outage_reads_far_beyond_a_blip():
    season, last = _learned_blippy_fleet(2, ["down", "load"], relations=False)
    last.iloc[0, last.columns.get_loc("down")] = 150.0  # a blip
    last.iloc[1, last.columns.get_loc("down")] = 3600.0  # the whole hour down
    z = season.transform_view(season.view(last))[:, 0]
    assert z[1] > 8 * z[0] > 0  # on the log scale: 8.19 / 5.02 = 1.6x
    assert np.abs(z[2:]).max() < 1.0


def test_a_weekly_maintenance_window_is_normal_from_its_second_week():
    """Sector s0 is down every Monday 01:00-03:00 (planned); s1 goes down at the same
    hour once: only the first window and s1's outage stand out."""
    rng = np.random.default_rng(3)
    n_sectors, days = 30, 15
    times = pd.date_range("2026-03-02", periods=24 * days, freq="h", tz="UTC")  # a Monday
    t = np.repeat(times, n_sectors)
    sector = np.tile([f"s{i}" for i in range(n_sectors)], len(times))
    down = np.where(rng.random(len(t)) < 0.01, rng.uniform(5, 300, len(t)), 0.0).round()
    hour = np.asarray(t.hour)
    window = (sector == "s0") & (np.asarray(t.day_of_week) == 0) & (hour >= 1) & (hour < 3)
    down[window] = 3600.0
    down[(sector == "s1") & (t == times[-23])] = 3600.0  # the third Monday, 01:00
    frame = pd.DataFrame({schema.TIMESTAMP: t, schema.SECTOR: sector, "down": down,
                          "load": np.exp(rng.normal(3, 0.1, len(t)))})
    season = SeasonalResiduals(kpis=["down", "load"], relations=False)
    seen = {}
    for when, batch in frame.groupby(schema.TIMESTAMP, sort=True):
        view = season.view(batch)
        if when.day_of_week == 0 and when.hour in (1, 2) and when.day > 2:
            seen[when.day, when.hour] = season.transform_view(view)[:2, 0]
        season.update_view(view)
    assert seen[9, 1][0] == 0.0 and seen[9, 2][0] == 0.0  # the second week's window
    assert seen[16, 1][0] == 0.0 and seen[16, 1][1] > 20.0  # s1's outage: new at that hour


def test_a_blips_relations_are_no_stronger_than_the_blip():
    """The log ratio of a KPI at 0 nearly always is hundreds of spreads at any blip: a
    relation of such a KPI is bounded by that KPI's own (linear) z."""
    season, last = _learned_blippy_fleet(4, ["load", "down"], relations=True)
    last.iloc[0, last.columns.get_loc("down")] = 20.0  # a blip
    z = season.transform_view(season.view(last))
    assert season.feature_names[2] == "load/down:season_z"
    assert 0.0 < abs(z[0, 2]) <= abs(z[0, 1]) < 1.0
