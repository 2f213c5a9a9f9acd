"""A ratio's rarer outcome summed over the last hours: a surge's drops between 0-drop hours
read as one piece of evidence, a normal fleet's clumps of drops not."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from telecom_nb.features import count_window
from telecom_nb.features.count_run import HOUR_NS
from telecom_nb.features.lumpy import LumpyKpis

ROWS = np.arange(100)
SLOTS = (np.zeros(100, np.intp), np.zeros(100, np.intp))
DAY = np.zeros(100)
KPI = ("VoLTE Drop Rate (%)",)


def _normal_hour(rng: np.random.Generator) -> np.ndarray:
    """A drop rate of 0.4 % of 8-14 calls an hour on 100 sectors."""
    calls = rng.integers(8, 15, 100)
    return (100.0 * rng.binomial(calls, 0.004) / calls).round(4)[:, None]


def _tick(lumpy: LumpyKpis, raw: np.ndarray, hour: int, step_ns: int = HOUR_NS) -> np.ndarray:
    """The fleet's z at ``hour`` (UTC hours since the epoch), then learned."""
    hours = np.full(len(raw), hour)
    zero = np.zeros(raw.shape)
    z = lumpy.z(ROWS, SLOTS, DAY, raw, zero, zero, step_ns, hours)
    lumpy.update(ROWS, SLOTS, DAY, raw, 100, step_ns, None, hours)
    return z[:, 0]


@pytest.fixture(scope="module")
def learned_once() -> tuple[LumpyKpis, np.ndarray]:
    """300 normal hours (one learning for the file), and their z."""
    rng = np.random.default_rng(5)
    lumpy = LumpyKpis(KPI, (), 1)
    z = np.array([_tick(lumpy, _normal_hour(rng), h) for h in range(300)])
    return lumpy, z


@pytest.fixture
def learned(learned_once) -> LumpyKpis:
    return copy.deepcopy(learned_once[0])


def _surge(lumpy: LumpyKpis, values: tuple[float, ...], start: int = 300) -> list[float]:
    """Sector 0 at ``values`` an hour apart (the others at 0 %): its z."""
    out = []
    for h, v in enumerate(values, start):
        raw = np.zeros((100, 1))
        raw[0, 0] = v
        out.append(float(_tick(lumpy, raw, h)[0]))
    return out


SURGE = (8.3333, 0.0, 9.0909, 0.0, 0.0, 10.0, 0.0, 7.6923)  # 4 drops of ~11 calls in 8 h


def test_drops_between_quiet_hours_add_up_in_the_window(learned, monkeypatch):
    plain = copy.deepcopy(learned)
    z = _surge(learned, SURGE)
    monkeypatch.setattr(count_window, "P_READ", 1e-300)  # the same fleet, no window read
    alone = _surge(plain, SURGE)
    assert z[-1] > alone[-1] + 0.5
    assert z[0] == alone[0]  # one drop is its own evidence
    assert z[1] <= 0.0 and z[3] <= 0.0  # the quiet hours read their own


def test_a_normal_fleets_clumps_of_drops_are_not_read(learned_once):
    """Over 300 normal hours of 100 sectors no row reads beyond ~P_READ's z."""
    z = learned_once[1][50:]
    assert (z > 3.8).mean() < 5 * count_window.P_READ


def test_bins_older_than_the_window_are_forgotten():
    e = np.array([[0.0, 4.0]])
    assert count_window.tail_log10(e, np.array([[0.1, 0.1]]))[0, 1] < -5.0
    w = count_window.CountWindows(1)
    cols, ok = np.array([0]), np.ones((1, 1), bool)
    k, n, p = np.array([[1.0]]), np.array([[10.0]]), np.array([[0.004]])
    for h in (0, 1, 2):
        w.update(np.array([0]), np.array([h]), cols, k, n, p, ok, 1)
    late = w.z(np.array([0]), np.array([20]), cols, k, n, p, ok, np.zeros((1, 1)))
    soon = w.z(np.array([0]), np.array([3]), cols, k, n, p, ok, np.zeros((1, 1)))
    assert late[0, 0] == 0.0 < soon[0, 0]
