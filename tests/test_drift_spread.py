"""The drift's spread: learned from normal life, not from the shift the drift reads."""

from __future__ import annotations

import numpy as np
import pytest

from telecom_nb.features.drift import HUBER, SPREAD_AFTER, SPREAD_HUBER, SPREAD_KEPT, Drift

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
    the shift is what the drift reads (red on main: the spread 2.4x in the two days; 1.25x
    here)."""
    z = np.random.default_rng(3).normal(size=(24 * 12, 8, 1))
    z[24 * 10 :, 0, 0] -= 2.0
    before = np.sqrt(_fed(z, 24 * 10).var_[0, 0])
    drift = _fed(z, 24 * 12)
    after = np.sqrt(drift.var_[0, 0])
    assert after < 1.4 * before
    u = (drift.mean_[0, 0] - drift.level_[0, 0]) / after
    assert u < -5.0


def _wander(ticks: int, sectors: int, seed: int) -> np.ndarray:
    """Day-long wanders: AR(1) z with a day's memory (unit spread), one KPI."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(ticks, sectors, 1))
    for t in range(1, ticks):
        z[t] = 0.96 * z[t - 1] + 0.28 * z[t]
    return z


def test_normal_life_spread_is_unbiased():
    """On normal life the learned spread matches the day mean's own spread about its level
    (the clipped squares are scaled by the share a normal variable keeps): day-long
    wanders (AR(1) z, a day's memory) beside unit noise, 300 sectors, 30 days."""
    z = _wander(24 * 30, 300, 4)
    devs: list = []
    drift = _fed(z, len(z), devs)
    learned = np.sqrt(np.median(drift.var_[:, 0]))
    seen = np.sqrt(np.mean(np.square(devs[24 * 15 :])))
    assert 0.85 < learned / seen < 1.15



def test_a_young_sector_learns_its_spread_at_the_level_bound():
    """Before a week of data a day mean 5 spreads off teaches the spread as at ``HUBER``
    (a young sector's spread starts at twice white and must grow to its own); after, at
    ``SPREAD_HUBER`` (red with ``SPREAD_AFTER`` 0: both bounded)."""
    drift = Drift(1)
    rows = np.arange(2)
    drift.update(rows, np.zeros((2, 1)), 2, HOUR)  # allocate
    drift.hours_[rows] = [SPREAD_AFTER - 24.0, SPREAD_AFTER + 24.0]
    drift.mean_[rows] = 1.0
    drift.level_[rows] = 0.0
    drift.var_[rows] = 0.04  # a spread of 0.2: the mean 0.96 + 0.04 x 2 is 5.2 spreads off
    drift.update(rows, np.full((2, 1), 2.0), 2, HOUR)
    slow = 0.005
    young = (1 - slow) * 0.04 + slow * (HUBER * 0.2) ** 2
    old = (1 - slow) * 0.04 + slow * (SPREAD_HUBER * 0.2) ** 2 / SPREAD_KEPT
    assert drift.var_[rows, 0] == pytest.approx([young, old], rel=1e-5)
