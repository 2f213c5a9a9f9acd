"""Swing: the shift z a series reached on SEEN_DAYS days of the past week, and the shift
part reading a shift no larger than it as none while its null stays of the shift z."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from telecom_nb.detectors.shift_part import shift_score
from telecom_nb.features.swing_level import RING, swing_learn, swing_read

_NONE = np.iinfo(np.int64).min // 2
_HOUR = pd.Timedelta("1h").value


def _hours(days: float, step: str = "30min") -> np.ndarray:
    ts = pd.date_range("2026-03-02", periods=int(days * 24 * pd.Timedelta("1h")
                                                / pd.Timedelta(step)), freq=step, tz="UTC")
    return ts.as_unit("ns").asi8 // _HOUR


def _swing(h: np.ndarray, z: np.ndarray, chunk: int | None = None) -> np.ndarray:
    hi, lo = np.full((1, RING, 1), -np.inf), np.full((1, RING, 1), np.inf)
    ids = np.full((1, RING), _NONE, dtype=np.int64)
    out = []
    for a in range(0, len(h), chunk or len(h)):
        s = slice(a, a + (chunk or len(h)))
        r = np.zeros(len(h[s]), dtype=np.intp)
        out.append(swing_read(z[s], r, h[s], hi, lo, ids))
        swing_learn(z[s], r, h[s], hi, lo, ids)
    return np.concatenate(out)


def _bursty(days: float = 10) -> tuple[np.ndarray, np.ndarray]:
    """A series bursting to z 8 for an hour every day at 14:00, else 0.3."""
    h = _hours(days)
    z = np.where(h % 24 == 14, 8.0, 0.3)[:, None]
    return h, z


def test_a_daily_burst_is_its_own_precedent_and_a_new_height_is_not():
    h, z = _bursty()
    z[-10:] = 9.0  # the last hours: beyond every burst
    s = _swing(h, z)[:, 0]
    day = (h - h[0]) // 24
    burst = (h % 24 == 14) & (day >= 3)  # two earlier days a day apart swung as far
    assert np.all(s[burst] == 8.0)
    assert np.all(s[(h % 24 == 14) & (day <= 2)] < 8.0)  # seen on fewer days: no habit
    assert np.all(np.abs(z[-10:, 0]) > s[-10:])


def test_a_held_shift_or_a_fault_seen_once_is_no_precedent():
    h = _hours(10)
    z = np.full((len(h), 1), 0.3)
    z[(h - h[0] >= 48) & (h - h[0] < 60)] = -6.0  # a fault for 12 hours on day 2
    z[h - h[0] >= 24 * 8] = -6.0  # the same fault again on day 8, held to the end
    s = _swing(h, z)[:, 0]
    again = h - h[0] - 24 * 8
    assert np.all(s[(again >= 0) & (again < 24)] > -1.0)  # its first day reads in full
    assert np.all(s[again >= 24] == -6.0)  # then a day of it and day 2's: held for days


def test_one_batch_equals_many():
    h, z = _bursty(12)
    z = z * np.where(np.arange(len(h)) % 3 == 0, -1.0, 1.0)[:, None]
    np.testing.assert_array_equal(_swing(h, z), _swing(h, z, chunk=7))


def test_the_part_reads_a_shift_within_its_swing_as_none():
    class Null:
        def log_p(self, s):
            return s.copy()  # -log10 p grows with |z|

    model = SimpleNamespace(shift=np.array([0]), shift_null=(Null(),), swing=np.array([1]))
    x = np.array([[5.0, 6.0], [-5.0, -4.0], [5.0, 0.0]])
    score = shift_score(model, x)
    assert score[0] == 0.0 and score[1] > 0 and score[1] == score[2]
    model.swing = None  # an older model: no gate
    assert np.all(shift_score(model, x) > 0)
