"""A pool's week guard: a weekend seen a week before is no level shift; a fault is, on a
weekend or a weekday."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_level_shift import _hourly, _pool_z

from telecom_nb import schema
from telecom_nb.features import level_shift_week
from telecom_nb.features.level_shift import LevelShift
from telecom_nb.features.level_shift_week import POOL_WEEK_STATE


def _weekend_pool(days: int = 28) -> tuple[list[pd.DataFrame], np.ndarray, int]:
    """Two hourly cells whose Saturdays and Sundays carry 70 % of a weekday's load; c1 at
    40 % for 8 hours from its fourth Saturday's 09:00 (its row)."""
    frames = [_hourly(days, s, f"c{s}") for s in range(2)]
    weekend = frames[0][schema.TIMESTAMP].dt.day_of_week.to_numpy() >= 5
    for f in frames:
        f.loc[weekend, "traffic"] *= 0.7
    start = 26 * 24 + 9  # 2026-03-28, a Saturday
    assert weekend[start]
    frames[1].loc[start : start + 7, "traffic"] *= 0.4
    return frames, weekend, start


def test_a_weekend_seen_twice_is_no_shift_but_a_fault_on_it_is():
    """The median of the previous 7 days knows no weekday: every weekend hour reads as a
    drop on every cell (few-series lte sets: weekend rows ~1/2 of the users / PRB null's
    tail). From day 14 a weekend whose week before repeated its own week before reads the
    nearer z, the week before's; the first weekends still read as drops (no week before)."""
    frames, weekend, start = _weekend_pool()
    _, z = _pool_z(frames)
    day = np.arange(len(weekend)) // 24
    late = weekend & (day >= 14)
    late[start - 2 : start + 12] = False
    assert np.quantile(np.abs(z[late, 0]), 0.9) < 1.5  # main: 3.1
    assert np.quantile(np.abs(z[late, 1]), 0.9) < 1.5
    first = weekend & (day < 7) & (day >= 5)
    assert np.median(z[first, 0]) < -2  # no week before: the first weekend is a drop
    assert np.median(z[start + 1 : start + 8, 1]) < -4  # a fault on a weekend is far


def test_a_weekday_shift_keeps_its_days_z(monkeypatch: pytest.MonkeyPatch):
    """Week57's guard took the nearer of the days' z and the week before's on every row
    whose week before repeated: a shift reads far against both, so the nearer shrank it as
    much as the noise (few-series level-shift row recall down on every multi-week set). The
    week before's z is read only where it is under half the days': a weekday's fault
    (its week before ordinary) keeps its days' z, and fewer rows move."""
    frames = [_hourly(28, s, f"c{s}") for s in range(2)]
    start = 22 * 24 + 9  # 2026-03-24, a Tuesday: the week before was ordinary
    frames[1].loc[start : start + 7, "traffic"] *= 0.6
    _, z = _pool_z(frames)
    monkeypatch.setattr(level_shift_week, "WEEK_GUARD", False)
    _, plain = _pool_z(frames)
    fault = slice(start + 1, start + 8)
    np.testing.assert_array_equal(z[fault, 1], plain[fault, 1])  # week57: 6.25 vs 6.86 mean
    assert np.median(z[fault, 1]) < -4
    late = slice(14 * 24, None)
    assert (z[late] != plain[late]).mean() < 0.25  # week57: 0.31 (here 0.15)


def test_an_old_checkpoint_starts_the_pool_guard_empty():
    part = LevelShift()
    part.kpis_ = ["traffic"]
    part._reset()
    part._grow(3)
    for name in POOL_WEEK_STATE:
        delattr(part, name)
    part.derive_added_state(POOL_WEEK_STATE)
    assert part.pool_week_.shape == part.ref_.shape and np.isnan(part.pool_week_).all()
    assert part.pool_wz_.shape == part.ring_sum_.shape and np.isnan(part.pool_wz_).all()
