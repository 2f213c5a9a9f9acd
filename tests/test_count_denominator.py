"""A ratio's counter in the same row: learned from the values, its exact counts read."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.features.count_denominator import Denominators
from telecom_nb.features.seasonal import SeasonalResiduals


def _rows(rng: np.random.Generator, n: int) -> np.ndarray:
    """drop rate (2 decimals), its E-RAB successes, the drops, users (1 decimal)."""
    succ = rng.integers(20, 900, n).astype(float)
    drops = rng.binomial(succ.astype(int), 0.01).astype(float)
    rate = np.where(succ > 0, (100.0 * drops / succ).round(2), np.nan)
    users = rng.uniform(0, 50, n).round(1)
    return np.column_stack([rate, succ, drops, users])


def test_the_denominator_is_the_column_the_rate_is_an_integer_share_of():
    rng = np.random.default_rng(0)
    d = Denominators(4)
    ratios = np.array([True, False, False, False])
    tolerance = np.full(4, 0.0051)
    for _ in range(5):
        d.update(_rows(rng, 400), ratios, tolerance)
    assert d.columns().tolist() == [1, -1, -1, -1]  # not the drops, not the users
    assert d.fractional_.tolist() == [True, False, False, True]


def _fleet(n_sectors: int = 30, days: int = 10, seed: int = 3, quiet: bool = True
           ) -> pd.DataFrame:
    """Hourly rows: a drop rate of a handful of E-RABs at 0-2 h (its values show it is a ratio
    of counts), ~60 at 2-6 h and ~800 by day, its counter beside."""
    rng = np.random.default_rng(seed)
    times = pd.date_range("2026-03-02", periods=24 * days, freq="h", tz="UTC")
    t = np.repeat(times, n_sectors)
    night = np.asarray(t.hour < 6)
    succ = np.where(night, rng.integers(40, 90, len(t)), rng.integers(700, 900, len(t)))
    if quiet:
        succ = np.where(np.asarray(t.hour < 2), rng.integers(3, 9, len(t)), succ)
    drops = rng.binomial(succ, np.where(succ < 10, 0.03, 0.004))
    return pd.DataFrame({
        schema.TIMESTAMP: t,
        schema.SECTOR: np.tile([f"s{i}" for i in range(n_sectors)], len(times)),
        "drop_rate": (100.0 * drops / succ).round(2), "succ": succ.astype(float),
        "load": np.exp(rng.normal(3 - night, 0.1)),
    })


def _last_z(frame: pd.DataFrame, hour: int, drops: int, succ: int, ratio: bool = True
            ) -> float:
    """Sector s0's z of the drop rate at ``drops`` of ``succ`` on the last day's ``hour``."""
    last = frame[schema.TIMESTAMP].max().normalize() + pd.Timedelta(hours=hour)
    frame = frame[frame[schema.TIMESTAMP] <= last].copy()
    at = (frame[schema.SECTOR] == "s0") & (frame[schema.TIMESTAMP] == last)
    frame.loc[at, "drop_rate"] = round(100.0 * drops / succ, 2)
    frame.loc[at, "succ"] = float(succ)
    season = SeasonalResiduals(kpis=["drop_rate", "succ", "load"], relations=False)
    batches = [b for _, b in frame.groupby(schema.TIMESTAMP, sort=True)]
    for batch in batches[:-1]:
        season.update_view(season.view(batch))
    assert season.lumpy_.counts_.ratios().tolist() == [ratio, False, False]
    z = season.transform_view(season.view(batches[-1]))
    return float(z[batches[-1][schema.SECTOR].to_numpy() == "s0", 0][0])


def test_one_drop_of_a_quiet_hours_fifty_eight_is_ordinary():
    # 1.72 %: more counts than 2 decimals show alone, so on main the seasonal scale read it
    # (the slot's median is 0 %): 1 of 58 at a 0.4 % rate is expected a fifth of the time
    assert abs(_last_z(_fleet(), 3, 1, 58)) < 2.0


def test_a_rate_whose_counts_never_show_few_is_a_ratio_by_its_counter():
    # 30 minutes or an hour: the quietest rows hold 40+ E-RABs, no value sits on a fraction
    # of 10 counts or fewer, so the values alone never showed a ratio of counts
    frame = _fleet(quiet=False)
    assert abs(_last_z(frame, 3, 1, 58)) < 1.5
    # without the counter (a constant column) the seasonal scale reads it: the slot's median
    # is 0 % and its spread a fraction of one drop
    assert abs(_last_z(frame.assign(succ=1.0), 3, 1, 58, False)) > 2.5


def test_a_surge_keeps_its_evidence_quiet_or_busy():
    frame = _fleet()
    assert _last_z(frame, 3, 6, 60) > 4.0  # 10 % of 60 at 0.6 %: 1 in 300,000
    assert _last_z(frame, 14, 40, 850) > 6.0  # a busy hour's 4.7 %: its seasonal z


def test_a_checkpoint_from_before_the_denominators_restores_and_learns_them():
    """Lumpy KPIs saved without the denominators (older code) restore with none known; the
    next batches learn them."""
    from telecom_nb.engine.snapshot import capture, restore
    from telecom_nb.features.lumpy import LumpyKpis

    rng = np.random.default_rng(4)
    kpis = ("rate", "succ", "drops", "users")
    lumpy = LumpyKpis(kpis, (), 24)
    rows = np.arange(400)

    def learn(obj: LumpyKpis, times: int) -> None:
        for t in range(times):
            raw = _rows(rng, 400)
            raw[:40, 1] = rng.integers(3, 9, 40)  # a few quiet rows: the rate shows counts
            raw[:40, 2] = rng.binomial(raw[:40, 1].astype(int), 0.2)
            raw[:40, 0] = (100.0 * raw[:40, 2] / raw[:40, 1]).round(2)
            slot = np.full(400, t % 24)
            obj.update(rows, (slot, slot), np.zeros(400), raw, 400)

    learn(lumpy, 6)
    assert lumpy.dens_.columns()[0] == 1
    tree, arrays = capture(lumpy)
    del tree["attrs"]["dens_"]
    fresh = restore(LumpyKpis(kpis, (), 24), tree, arrays)
    assert fresh.dens_.columns()[0] == -1  # nothing learned yet
    learn(fresh, 2)
    assert fresh.dens_.columns()[0] == 1
