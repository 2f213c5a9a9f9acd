"""Swing: the shift z a series reached in its separate episodes of the past week, and the
shift part reading a shift no larger than it as none while its null stays of the shift z."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from telecom_nb.detectors.shift_part import SWING_RARE, shift_score
from telecom_nb.features.swing_level import DAYS, new_state, swing_read, swing_run

_BIN = pd.Timedelta("15min").value


def _days(n_days: float, step: str = "5min") -> np.ndarray:
    """15-minute bin ids of a series' rows, ``n_days`` long."""
    ts = pd.date_range("2026-03-02", periods=int(pd.Timedelta(f"{n_days}D") / pd.Timedelta(step)),
                       freq=step, tz="UTC")
    return ts.as_unit("ns").asi8 // _BIN


def _swing(d: np.ndarray, z: np.ndarray, chunk: int | None = None) -> np.ndarray:
    """Streamed: each chunk read on the state, then learned (``d``: 15-minute bin ids)."""
    state = new_state(1, z.shape[1])
    out = []
    for a in range(0, len(d), chunk or len(d)):
        s = slice(a, a + (chunk or len(d)))
        r = np.zeros(len(d[s]), dtype=np.intp)
        out.append(swing_read(z[s], r, d[s], *state))
        swing_run(z[s], r, d[s], *state)
    return np.concatenate(out)


def _bursty(n_days: float = 9) -> tuple[np.ndarray, np.ndarray]:
    """Bursts of 20 minutes every 45 minutes to z 6-10, else 0.2 (a CPU's)."""
    d = _days(n_days)
    i = np.arange(len(d))
    height = 6.0 + 4.0 * ((i // 9) % 5) / 4  # 6, 7, 8, 9, 10 in turn
    z = np.where(i % 9 < 4, height, 0.2)[:, None]
    return d, z


def test_a_bursty_series_swing_covers_its_bursts_and_not_a_new_height():
    d, z = _bursty()
    z[-3:] = 14.0  # the last rows: a burst beyond every earlier one
    s = _swing(d, z)[:, 0]
    later = d - d[0] >= 96  # after a day of bursts
    burst = (z[:, 0] > 1) & later
    assert np.all(s[burst][:-3] >= z[burst, 0][:-3])  # each reached twice before
    assert np.all(s[-3:] < 14.0)


def test_faults_that_hold_are_no_habit():
    d = _days(6)
    z = np.full((len(d), 1), 0.3)
    for at in (300, 700, 1000):  # a collapse held 2 hours, three times, as deep
        z[at:at + 24, 0] = -5.0
    s = _swing(d, z)[:, 0]
    assert np.all(s == 0.0)  # none precedes another (nor itself)
    z[1200:1204, 0] = 5.0  # a brief burst: the other side has no precedent either
    assert np.all(_swing(d, z)[1200:1204, 0] == 0.0)


def test_two_bursts_gate_a_third_within_the_week_only():
    d = _days(DAYS + 6)
    z = np.full((len(d), 1), 0.3)
    first, second, third = 300, 900, 1500  # rows (5 minutes each): day 1, 3 and 5
    for at in (first, second, third):
        z[at:at + 4, 0] = -4.0  # 20 minutes
    late = len(d) - 4
    z[late:, 0] = -4.0
    s = _swing(d, z)[:, 0]
    assert np.all(s[third:third + 4] == -4.0)
    assert (d[late] - d[second + 3]) // 96 > DAYS >= (d[late] - d[third + 3]) // 96
    assert np.all(s[late:] == 0.0)  # the first two over a week old: the third alone


def test_one_batch_equals_many():
    d, z = _bursty(10)
    z = np.hstack([z, -z * np.where(np.arange(len(d)) % 7 == 0, -1.0, 1.0)[:, None]])
    whole = _swing(d, z)
    for chunk in (1, 7, 500):
        np.testing.assert_array_equal(_swing(d, z, chunk=chunk), whole)


def test_the_part_reads_a_shift_within_a_rare_swing_as_none():
    class Null:
        def log_p(self, s):
            return s.copy()  # -log10 p grows with |z|

    model = SimpleNamespace(shift=np.array([0]), shift_null=(Null(),), swing=np.array([1]))
    x = np.array([[5.0, 6.0], [-5.0, -4.0], [5.0, 0.0], [2.0, SWING_RARE - 0.5]])
    score = shift_score(model, x)
    assert score[0] == 0.0 and score[1] > 0 and score[1] == score[2]
    assert score[3] > 0  # a swing of ordinary wander (not rare itself) gates nothing
    model.swing = None  # an older model: no gate
    assert np.all(shift_score(model, x) > 0)
