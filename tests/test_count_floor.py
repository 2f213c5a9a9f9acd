"""Loads at small volumes: a spread floor of their count, learned from their values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.features import count_floor
from telecom_nb.features.count_floor import CountFloor
from telecom_nb.features.seasonal import SeasonalResiduals


def test_loads_are_told_from_their_values():
    """A volume idling at 0.02 and a count of users reach near 0; latency and a negative
    level (dBm) never do."""
    rng = np.random.default_rng(0)
    floor = CountFloor(4)
    for _ in range(30):
        n = 200
        idle = rng.random(n) < 0.2
        volume = np.where(idle, 0.02, rng.lognormal(3, 1, n))
        users = np.where(idle, 0.0, rng.poisson(8, n))
        floor.update(np.column_stack([volume, users, rng.normal(20, 2, n), rng.normal(-107, 2, n)]))
    s0 = floor.noise(np.zeros(4, dtype=bool))
    assert s0[0] > 0 and s0[1] > 0 and s0[2] == 0 and s0[3] == 0
    assert floor.noise(np.array([True, False, False, False]))[0] == 0  # a KPI left out
    f = floor.floors(
        np.array([[0.02, 0.0, 20, -107], [200.0, 30.0, 20, -107]]), np.array([[0, 1]]), s0
    )
    assert f.shape == (2, 5)
    assert f[0, 0] > 20 * f[1, 0]  # the floor fades at a busy level
    assert f[0, 4] == pytest.approx(np.hypot(f[0, 0], f[0, 1]))  # a relation: both


def _quiet_and_busy_fleet(seed: int) -> tuple[SeasonalResiduals, pd.DataFrame]:
    """20 sectors, 5 hourly days: s0-s6 idle (0.02 MB, no user) but for a user now and then
    (1-5 MB), the rest busy (~50 MB, 10 users); "latency" ~20 ms everywhere. Every hour but
    the last learned; returns the features and the last hour."""
    rng = np.random.default_rng(seed)
    n_sectors, days = 20, 5
    times = pd.date_range("2026-03-02", periods=24 * days, freq="h", tz="UTC")
    t = np.repeat(times, n_sectors)
    sector = np.tile([f"s{i}" for i in range(n_sectors)], len(times))
    quiet = np.tile(np.arange(n_sectors) < 7, len(times))
    user = quiet & (rng.random(len(t)) < 0.1)
    volume = np.where(
        quiet,
        np.where(user, rng.uniform(1, 5, len(t)), 0.02),
        np.exp(rng.normal(np.log(50), 0.15, len(t))),
    ).round(2)
    users = np.where(quiet, user.astype(float), rng.poisson(10, len(t)))
    frame = pd.DataFrame(
        {
            schema.TIMESTAMP: t,
            schema.SECTOR: sector,
            "volume": volume,
            "users": users,
            "latency": rng.normal(20, 1, len(t)),
        }
    )
    season = SeasonalResiduals(kpis=["volume", "users", "latency"], relations=True)
    batches = [b for _, b in frame.groupby(schema.TIMESTAMP, sort=True)]
    for batch in batches[:-1]:
        season.update_view(season.view(batch))
    return season, batches[-1].copy()


def test_one_users_hour_at_an_idle_cell_is_its_count_and_a_busy_cells_drop_stays(monkeypatch):
    season, last = _quiet_and_busy_fleet(1)
    last.loc[last[schema.SECTOR] == "s0", ["volume", "users"]] = [3.0, 1.0]  # a user
    last.loc[last[schema.SECTOR] == "s1", ["volume", "users"]] = [0.02, 0.0]  # idle
    last.loc[last[schema.SECTOR] == "s15", "volume"] = 10.0  # a busy cell's volume / 5
    last.loc[last[schema.SECTOR] == "s16", "latency"] = 40.0  # latency doubled
    names = season.feature_names
    vol, per_user = names.index("volume:season_z"), names.index("volume/users:season_z")
    lat = names.index("latency:season_z")
    z = season.transform_view(season.view(last))
    assert abs(z[0, vol]) < 3 and abs(z[0, per_user]) < 3  # one user's hour: its count
    assert abs(z[1, vol]) < 1
    assert z[15, vol] < -8 and z[16, lat] > 8
    monkeypatch.setattr(count_floor, "FLOOR_SHARE", 0.0)  # the log1p scale alone (the
    season.lumpy_.state_changed()  # floor is read, never learned; its noise() is kept)
    bare = season.transform_view(season.view(last))
    assert abs(bare[0, vol]) > 20  # tens of an idle slot's spreads
    assert bare[15, vol] == pytest.approx(z[15, vol]) and bare[16, lat] == z[16, lat]


def test_a_checkpoint_from_before_the_floor_restores_and_learns_it():
    """Lumpy KPIs saved without the loads' floor (older code) restore with none learned yet;
    the next batches learn it."""
    from telecom_nb.engine.snapshot import capture, restore
    from telecom_nb.features.lumpy import LumpyKpis

    rng = np.random.default_rng(2)
    lumpy = LumpyKpis(("volume",), (), 24)
    rows = np.arange(50)
    for t in range(30):
        raw = np.where(rng.random(50) < 0.2, 0.02, rng.lognormal(3, 1, 50))[:, None]
        lumpy.update(rows, (np.full(50, t % 24), np.full(50, t % 168)), np.zeros(50), raw, 50)
    assert lumpy.spread_floor(np.zeros((1, 1))) is not None
    tree, arrays = capture(lumpy)
    del tree["attrs"]["floor_"]
    fresh = restore(LumpyKpis(("volume",), (), 24), tree, arrays)
    assert fresh.spread_floor(np.zeros((1, 1))) is None  # nothing learned yet
    fresh.update(rows, (np.zeros(50, int), np.zeros(50, int)), np.zeros(50), raw, 50)
    assert fresh.spread_floor(np.zeros((1, 1))) is not None


def test_the_noise_floors_are_computed_once_an_update_and_never_stale():
    """``noise()`` is kept between updates (read twice a tick): an update and a checkpoint's
    restore into the live object both make it read the new state."""
    from telecom_nb.engine.snapshot import capture, restore
    from telecom_nb.features.lumpy import LumpyKpis

    rng = np.random.default_rng(3)
    lumpy = LumpyKpis(("volume",), (), 24)
    rows = np.arange(50)

    def learn(ticks: int, mu: float) -> None:
        for t in range(ticks):
            raw = np.where(rng.random(50) < 0.2, 0.02, rng.lognormal(mu, 1, 50))[:, None]
            lumpy.update(rows, (np.full(50, t % 24), np.full(50, t % 168)), np.zeros(50),
                         raw, 50)

    def fresh() -> np.ndarray:
        return lumpy.floor_.noise(lumpy.counts_.ratios() | lumpy.zero_kpis_.which())

    learn(10, 3.0)
    before = lumpy.noise()
    assert before[0] > 0 and lumpy.noise() is before and not before.flags.writeable
    tree, arrays = capture(lumpy)
    learn(10, 5.0)
    assert lumpy.noise()[0] != before[0] and np.array_equal(lumpy.noise(), fresh())
    restore(lumpy, tree, arrays)  # the live object goes back to the checkpoint
    assert np.array_equal(lumpy.noise(), before)
