"""One series' level shift: a bin's first rows against the days' same first rows, and the
same window a week before (``features/level_shift_one.py``, ``level_shift_kernel``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from feature_loop import loop_features, pass_features, pass_with_loop_windows

from telecom_nb import schema
from telecom_nb.features.level_shift import LevelShift
from telecom_nb.features.level_shift_bins import ONE_STATE, PARTIAL_ROWS
from telecom_nb.features.series_kernel import numba


def _z(frame: pd.DataFrame, kpi: str) -> np.ndarray:
    """The one-series pass's shift z of ``kpi`` (the loop's: test_level_shift's equality)."""
    features, x = (pass_features(frame, [kpi], [1, len(frame)]) if numba
                   else loop_features(frame, [kpi]))
    return x[:, features.feature_names.index(f"{kpi}:shift_z")]


def _frame(ts: pd.DatetimeIndex, values: np.ndarray, kpi: str = "value") -> pd.DataFrame:
    return pd.DataFrame({schema.TIMESTAMP: ts, schema.SECTOR: "one", kpi: values})


def test_a_bins_first_row_reads_the_days_first_rows():
    """A 5-minute job bursting every evening in its bin's second and third rows (NAB
    ``cpu_utilization_asg_misconfiguration``: 44, then 80-100): read against the previous
    days' whole bins, the bin's first row alone (the usual 44) read a shift of many spreads
    each evening; against their first rows it is the usual. A lasting drop is still far."""
    day = 288
    rng = np.random.default_rng(3)
    ts = pd.date_range("2026-03-02", periods=10 * day, freq="5min", tz="UTC")
    v = rng.normal(44.0, 1.0, len(ts))
    firsts = np.arange(10) * day + 18 * 12  # 18:00, each bin's first row
    v[firsts + 1] = 90.0 + rng.normal(0, 3, 10)
    v[firsts + 2] = 80.0 + rng.normal(0, 3, 10)
    start = 9 * day + 8 * 12  # day 10, 08:00: 4 hours at 60 %
    v[start : start + 48] *= 0.6
    z = _z(_frame(ts, v), "value")
    assert np.abs(z[firsts[5:9]]).max() < 3  # against whole bins (lag55): -5.6 to -7.0
    assert np.median(z[start + 12 : start + 48]) < -4


def test_a_bins_first_row_reads_no_thinner_spread_than_its_later_rows():
    """A job-driven 5-minute series: each bin's first row regular (40, noise 0.3), its later
    rows not (60, noise 6). The first row's own day-to-day spread is thin by chance of its
    regularity, but a mean of fewer rows is noisier, so it is read no thinner than the next
    positions' (NAB asg: a lasting episode's first rows re-alerted at shift z 30.8 where
    their neighbours read 12-18). A lasting rise still reads on every row."""
    day = 288
    rng = np.random.default_rng(11)
    ts = pd.date_range("2026-03-02", periods=12 * day, freq="5min", tz="UTC")
    first = np.arange(len(ts)) % 3 == 0
    v = np.where(first, 40.0 + rng.normal(0, 0.3, len(ts)), 60.0 + rng.normal(0, 6.0, len(ts)))
    start = 11 * day + 8 * 12  # day 12, 08:00: 4 hours 12 higher
    v[start : start + 48] += 12.0
    z = _z(_frame(ts, v), "value")[start + 6 : start + 48]
    firsts, later = z[first[start + 6 : start + 48]], z[~first[start + 6 : start + 48]]
    assert np.median(later) > 3
    assert np.median(firsts) < 1.3 * np.median(later)  # 4.9 vs 4.1; without the floor 7.1


def test_a_weekly_shape_is_no_shift():
    """A series' own weekly shape (the simulator's Friday-morning lie-in: 40 % lower for
    four hours every Friday) read as a level shift against the previous 7 days' median,
    which knows no weekday; the same window a week before shows it too, and that week's
    window was as its own week before (a shape seen twice). A drop on another day is still
    far, even where the week before held the same drop (a fault, not a weekly shape: the
    simulator's repeated faults, score ~8 -> 3 with a plain week-before guard)."""
    day = 96
    rng = np.random.default_rng(5)
    ts = pd.date_range("2026-03-02", periods=28 * day, freq="15min", tz="UTC")  # a Monday
    hours = (ts.hour + ts.minute / 60.0).to_numpy()
    v = (10.0 + 5.0 * np.sin(2 * np.pi * hours / 24)) * np.exp(rng.normal(0, 0.04, len(ts)))
    friday = (ts.day_of_week == 4) & (hours >= 3) & (hours < 7)
    v[friday] *= 0.6
    start = 23 * day + 10 * 4  # day 24 (a Wednesday), 10:00: 4 hours at 60 %
    v[start : start + 16] *= 0.6
    v[start - 7 * day : start - 7 * day + 16] *= 0.6  # the same drop a week before
    z = _z(_frame(ts, v), "value")
    later = friday & (np.arange(len(ts)) >= 14 * day)  # the third and fourth Fridays
    assert np.abs(z[later]).max() < 2  # lag55: -9 to -14 every Friday morning
    assert np.median(z[start + 4 : start + 16]) < -4
    assert np.median(z[start - 7 * day + 4 : start - 7 * day + 16]) < -4


@pytest.mark.skipif(numba is None, reason="numba missing: the per-batch path is the only one")
def test_one_series_pass_equals_the_loop_past_the_first_rows_and_a_week():
    """2-minute rows (7-8 a bin: rows past :data:`PARTIAL_ROWS` read the whole-bin
    reference, computed once by the bin's first such row) over 15 days (the week guard
    reads day 7 from day 8 on, and holds from day 15 on): the compiled pass and the per-row
    loop, rows and state bit for bit, from day 14's last hours into day 15 with a drop."""
    day = 720
    rng = np.random.default_rng(7)
    ts = pd.date_range("2026-03-02", periods=15 * day, freq="2min", tz="UTC")
    hours = (ts.hour + ts.minute / 60.0).to_numpy()
    v = (10.0 + 4.0 * np.sin(2 * np.pi * hours / 24)) * np.exp(rng.normal(0, 0.1, len(ts)))
    start = 14 * day + 60
    v[start : start + 90] *= 0.5
    frame = _frame(ts, v)
    assert PARTIAL_ROWS < 7  # a bin holds 7-8 rows
    fast, got = pass_with_loop_windows(frame, ["value"], [(14 * day - 40, start + 120)])
    z = got[:, fast.feature_names.index("value:shift_z")]
    assert np.median(z[start + 30 : start + 90]) < -4
    part = fast.level_
    assert part.spread_n_[0].min() > 0 and np.isfinite(part.week_[0]).all()
    assert (np.abs(part.ring_wz_[0]) < 3).mean() > 0.5  # the guard held on most bins


def test_an_old_checkpoint_reads_whole_bins_until_its_bin_closes():
    """A checkpoint older than one series' first rows: its open bin reads the whole-bin
    reference it had (no week guard), its stored bins' first rows stand for all of them,
    each position's spread starts at the whole bins'."""
    part = LevelShift()
    part.kpis_ = ["value"]
    part._reset()
    part._grow(1)
    part.ring_sum_[0, 5] = 3.0
    part.ring_n_[0, 5] = 2.0
    part.spread_[0] = 0.5
    part.spread_n_[0] = 30.0
    names = ONE_STATE
    for name in names:
        delattr(part, name)
    part.derive_added_state(names)
    assert part.cur_rows_[0] > PARTIAL_ROWS
    assert (part.ring_psum_[0, 5] == 3.0).all() and (part.ring_pn_[0, 5] == 2.0).all()
    assert (part.pspread_[0] == 0.5).all() and (part.pspread_n_[0] == 30.0).all()
    assert np.isnan(part.week_).all() and np.isnan(part.ring_wz_).all()


def test_the_week_guard_keeps_a_statistic_on_normal_rows():
    """Where the week guard holds, a row's z is the nearer of the days' and the week
    before's, not 0 where they disagree in sign: the shift null counts the rows with
    ``|z| > 0``, and at an hour's cadence the zeros kept it from forming for weeks
    (few-series ``lte60`` one cell: two throughput collapses at shift z -39 scored 2.7)."""
    day = 24
    rng = np.random.default_rng(9)
    ts = pd.date_range("2026-03-02", periods=35 * day, freq="1h", tz="UTC")
    hours = ts.hour.to_numpy()
    v = (10.0 + 5.0 * np.sin(2 * np.pi * hours / 24)) * np.exp(rng.normal(0, 0.08, len(ts)))
    z = _z(_frame(ts, v), "value")
    before = (z[7 * day : 14 * day] != 0).mean()  # a week kept, no week before it yet
    after = (z[21 * day :] != 0).mean()  # the guard holds
    assert before > 0.5 and after > 0.9 * before
