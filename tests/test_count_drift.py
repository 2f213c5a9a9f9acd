"""A day's count of a ratio's rare events against its time-of-day slots' rates."""

from __future__ import annotations

import numpy as np
import pytest

from telecom_nb.features.count_drift import SlotCountDrift

HOUR = 3600 * 10**9
SECTORS = 60


def _tick(rng: np.random.Generator, t: int, rate: np.ndarray) -> tuple[np.ndarray, ...]:
    """One hourly tick of a drop rate (KPI 0) and its trials (KPI 1), 24 slots a day."""
    calls = rng.poisson(200, SECTORS).astype(np.float64)
    drops = rng.binomial(calls.astype(np.int64), rate)
    raw = np.stack([(100.0 * drops / np.maximum(calls, 1)).round(2), calls], axis=1)
    return np.full(SECTORS, t % 24), raw


def _world(days: int, rate_of, seed: int = 0, loud_of=None
           ) -> tuple[SlotCountDrift, list[np.ndarray]]:
    """A fleet learned for ``days``; per tick of the last day its read drift (KPI 0)
    (``loud_of(t)``: the rows loudly off at tick ``t``)."""
    rng = np.random.default_rng(seed)
    den = np.array([1, -1])
    drift = SlotCountDrift(2, 24)
    rows = np.arange(SECTORS)
    reads = []
    for t in range(days * 24):
        slot, raw = _tick(rng, t, rate_of(t))
        loud = None if loud_of is None else loud_of(t)
        u = drift.read(rows, slot, raw, den, HOUR, loud)
        if t >= (days - 1) * 24:
            reads.append(np.zeros(SECTORS) if u is None else u[:, 0])
        drift.update(rows, slot, raw, den, SECTORS, HOUR, loud)
    return drift, reads


def test_a_day_at_four_times_the_drop_rate_reads_far_beyond_a_busy_hours_rate():
    """Sector 0 drops at 4x for its last day (~1.6 drops an hour where ~0.4 were due);
    every sector's rate is 6x at its busy hours (16-20 h): a slot's rate, not a day's (one
    rate per sector reads 5 normal rows over 3.5 here, 1-5 with seeds 0-4)."""
    base = np.full(SECTORS, 0.002)

    def rate(t: int) -> np.ndarray:
        out = base * (6.0 if 16 <= t % 24 < 20 else 1.0)
        return out * np.where((np.arange(SECTORS) == 0) & (t >= 8 * 24), 4.0, 1.0)

    _, reads = _world(9, rate, seed=2)
    u = np.array(reads)  # ticks x sectors
    assert u[:, 0].max() > 6.0  # the drift part reads it (its floor is ~3 here)
    assert not (np.abs(u[:, 1:]) > 3.5).any()  # normal life, busy hours included


def test_a_bursts_events_are_not_a_days_drift_marked_loud_or_not():
    """Sector 0's drops at 30x for 3 hours early on its last day (a setup-failure surge's
    peak): the hours after it read no drift, whether the burst's periods are marked loud
    (a fault loud on some KPI) or not (a burst on this KPI alone: main read 4.1 there, as
    the day's and the recent hours' sums carried the burst's events clipped at 5x)."""
    burst = (np.arange(SECTORS) == 0)

    def rate(t: int) -> np.ndarray:
        return np.where(burst & (8 * 24 + 1 <= t < 8 * 24 + 4), 0.06, 0.002)

    def loud(t: int) -> np.ndarray:
        return burst & (8 * 24 + 1 <= t < 8 * 24 + 4)

    after = slice(4, 24)
    _, plain = _world(9, rate, seed=1)
    _, gated = _world(9, rate, seed=1, loud_of=loud)
    assert np.array(plain)[after, 0].max() < 2.0  # under the drift part's floor
    assert np.array(gated)[after, 0].max() < 2.0


def test_young_sectors_and_non_ratios_read_nothing():
    _, reads = _world(1, lambda t: np.full(SECTORS, 0.01))
    assert not np.any(reads)
    drift = SlotCountDrift(2, 24)
    rng = np.random.default_rng(0)
    slot, raw = _tick(rng, 0, np.full(SECTORS, 0.01))
    drift.update(np.arange(SECTORS), slot, raw, np.array([-1, -1]), SECTORS, HOUR)
    assert drift.events_.shape[0] == 0  # nothing allocated without a denominator


def test_a_checkpoint_keeps_the_count_drift_and_an_older_one_starts_it_afresh():
    from telecom_nb.engine.snapshot import StateError, capture, restore
    from telecom_nb.features.lumpy import LumpyKpis

    lumpy = LumpyKpis(("drop", "calls"), (), 24)
    drift, _ = _world(3, lambda t: np.full(SECTORS, 0.01))
    lumpy.cdrift_ = drift
    tree, arrays = capture(lumpy)
    back = restore(LumpyKpis(("drop", "calls"), (), 24), tree, arrays)
    assert np.array_equal(back.cdrift_.events_, drift.events_)
    assert np.array_equal(back.cdrift_.day_k_, drift.day_k_)
    del tree["attrs"]["cdrift_"]  # saved by code from before the count drift
    old = restore(LumpyKpis(("drop", "calls"), (), 24), tree, arrays)
    assert len(old.cdrift_.events_) == 0
    del tree["attrs"]["dens_"]["attrs"]["hits_"]  # other state is still refused, by name
    with pytest.raises(StateError, match="hits_"):
        restore(LumpyKpis(("drop", "calls"), (), 24), tree, arrays)
