"""The drift's spread: learned from normal life, not from the shift the drift reads."""

from __future__ import annotations

import numpy as np
import pytest

from telecom_nb.features.drift import HUBER, MIN_HOURS, QUIET_NS, SPREAD_HUBER, Drift

HOUR = 3_600 * 10**9


def _fed(z: np.ndarray, until: int, devs: list | None = None) -> Drift:
    """A drift fed ``z`` (ticks x sectors x KPIs) hourly up to tick ``until``; ``devs``
    collects each tick's running mean less its level."""
    drift = Drift(z.shape[2])
    rows = np.arange(z.shape[1])
    for t in range(until):
        drift.transform(rows, z[t], HOUR)
        drift.update(rows, z[t], z.shape[1], HOUR)
        if devs is not None:
            devs.append(drift.mean_[:, 0] - drift.level_[:, 0])
    return drift


def test_a_held_shift_does_not_widen_its_own_null():
    """Two days of a wrong parameter's -2 keep the sector's spread near its normal one:
    the shift is what the drift reads (red on main: the spread 2.4x in the two days; 1.6x
    here)."""
    z = np.random.default_rng(3).normal(size=(24 * 12, 8, 1))
    z[24 * 10 :, 0, 0] -= 2.0
    before = np.sqrt(_fed(z, 24 * 10).var_[0, 0])
    drift = _fed(z, 24 * 12)
    after = np.sqrt(drift.var_[0, 0])
    assert after < 1.8 * before
    u = (drift.mean_[0, 0] - drift.level_[0, 0]) / after
    assert u < -4.0


def _wander(ticks: int, sectors: int, seed: int) -> np.ndarray:
    """Day-long wanders: AR(1) z with a day's memory (unit spread), one KPI."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(ticks, sectors, 1))
    for t in range(1, ticks):
        z[t] = 0.96 * z[t - 1] + 0.28 * z[t]
    return z


def test_normal_life_spread_is_unbiased():
    """On normal life the learned spread matches the day mean's own spread about its level
    (rows the drift reads are rare there): day-long wanders (AR(1) z, a day's memory),
    300 sectors, 30 days."""
    z = _wander(24 * 30, 300, 4)
    devs: list = []
    drift = _fed(z, len(z), devs)
    learned = np.sqrt(np.median(drift.var_[:, 0]))
    seen = np.sqrt(np.mean(np.square(devs[24 * 15 :])))
    assert 0.85 < learned / seen < 1.15



def test_only_a_row_the_drift_reads_is_bounded():
    """A day mean 5 spreads off teaches the spread at ``SPREAD_HUBER`` on a row that holds
    the shift up (its own z 2), at ``HUBER`` on one that does not (z 1): normal life's
    heavy-tailed wanders still widen it (red on main: both at ``HUBER``)."""
    drift = Drift(1)
    rows = np.arange(2)
    drift.update(rows, np.zeros((2, 1)), 2, HOUR)  # allocate
    drift.hours_[rows] = MIN_HOURS + 24.0
    drift.mean_[rows] = 1.0
    drift.level_[rows] = 0.0
    drift.var_[rows] = 0.04  # a spread of 0.2: the mean ~1.0 is ~5 spreads off
    drift.update(rows, np.array([[2.0], [1.0]]), 2, HOUR)
    slow = 0.005
    held = (1 - slow) * 0.04 + slow * (SPREAD_HUBER * 0.2) ** 2
    free = (1 - slow) * 0.04 + slow * (HUBER * 0.2) ** 2
    assert drift.var_[rows, 0] == pytest.approx([held, free], rel=1e-5)


def _reading(n: int, k: int = 1) -> Drift:
    """``n`` sectors past ``MIN_HOURS`` whose day means sit 5 spreads up (spread 0.2)."""
    drift = Drift(k)
    rows = np.arange(n)
    drift.update(rows, np.zeros((n, k)), n, HOUR, np.zeros(n, dtype=np.int64))  # allocate
    drift.hours_[rows] = MIN_HOURS + 24.0
    drift.mean_[rows] = 1.0
    drift.level_[rows] = 0.0
    drift.var_[rows] = 0.04
    return drift


SLOW = 0.005
HELD = (1 - SLOW) * 0.04 + SLOW * (SPREAD_HUBER * 0.2) ** 2
FREE = (1 - SLOW) * 0.04 + SLOW * (HUBER * 0.2) ** 2


def test_a_loud_faults_echo_is_learned():
    """A reading within ``QUIET_NS`` after a big z on any KPI of its sector (a loud fault's
    day-long echo) teaches the spread at ``HUBER``; a quiet sector's at ``SPREAD_HUBER``
    (red without the quiet rule: both bounded)."""
    drift = _reading(2, 2)
    rows = np.arange(2)
    t0 = 100 * 24 * HOUR
    loud = np.array([[0.0, 9.0], [0.0, 0.0]])  # sector 0's second KPI: an interference
    drift.update(rows, loud, 2, HOUR, np.full(2, t0))
    drift.mean_[rows] = 1.0
    drift.level_[rows] = 0.0
    drift.var_[rows] = 0.04
    drift.update(rows, np.full((2, 2), 2.0), 2, HOUR, np.full(2, t0 + 10 * HOUR))
    assert drift.var_[rows, 0] == pytest.approx([FREE, HELD], rel=1e-5)
    # a day and more after it, the sector is quiet again
    drift.mean_[rows] = 1.0
    drift.level_[rows] = 0.0
    drift.var_[rows] = 0.04
    later = t0 + QUIET_NS + 2 * HOUR
    drift.update(rows, np.full((2, 2), 2.0), 2, HOUR, np.full(2, later))
    assert drift.var_[rows, 0] == pytest.approx([HELD, HELD], rel=1e-5)


def test_a_drift_the_group_shares_is_learned():
    """A day-shape group whose read sectors hold a drift on one side (a holiday, a crowd:
    ``drift_common.SHARE`` or more of them) teaches each one's spread at ``HUBER``; the
    same readings without groups are each sector's own (red without the group rule)."""
    n = 20
    t = np.full(n, 100 * 24 * HOUR)
    shared = _reading(n)
    shared.update(np.arange(n), np.full((n, 1), 2.0), n, HOUR, t, np.zeros(n, dtype=np.int64))
    assert shared.var_[:, 0] == pytest.approx(np.full(n, FREE), rel=1e-5)
    alone = _reading(n)
    alone.update(np.arange(n), np.full((n, 1), 2.0), n, HOUR, t, np.full(n, -1))
    assert alone.var_[:, 0] == pytest.approx(np.full(n, HELD), rel=1e-5)
