"""Drift: a KPI held moderately off for a day, on the sector's own spread of its day mean."""

from __future__ import annotations

import numpy as np
import pytest

from telecom_nb.detectors.area_part import area_columns
from telecom_nb.detectors.drift_part import DRIFT_KIND, FLOOR, DriftPart, drift_columns
from telecom_nb.features.drift import HOLD_Z, MIN_HOURS, Drift

HOUR = 3_600 * 10**9


def _run(z: np.ndarray, step_ns: int = HOUR) -> np.ndarray:
    """Feed ``z`` (ticks x sectors x KPIs) tick by tick; the drift read at each tick."""
    drift = Drift(z.shape[2])
    rows = np.arange(z.shape[1])
    out = np.zeros_like(z)
    for t in range(len(z)):
        out[t] = drift.transform(rows, z[t], step_ns)
        drift.update(rows, z[t], z.shape[1], step_ns)
    return out


def _noise(ticks: int, sectors: int = 40, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(ticks, sectors, 2))


def test_a_day_long_moderate_shift_reads_far_beyond_normal_life():
    z = _noise(24 * 12)
    z[24 * 10 :, 0, 0] += 1.5  # one sector's first KPI: 1.5 spreads off from day 10
    u = _run(z)
    normal = np.abs(u[24 * 3 :, 1:]).max()  # 39 sectors x 2 KPIs x 9 days
    assert normal < 2.5
    assert u[24 * 10 + 24 :, 0, 0].max() > normal + 0.8


def test_read_only_on_rows_that_hold_the_shift_up_and_not_while_young():
    z = _noise(24 * 8)
    z[24 * 5 : 24 * 6, 0, 0] += 2.0  # a day off, then back
    u = _run(z)
    assert not u[: int(MIN_HOURS)].any()  # nothing before the sector's level settles
    holds = (np.abs(z) >= HOLD_Z) & (np.sign(z) == np.sign(u))
    assert not u[~holds].any()
    # the day after: the running mean is still high, but only rows at +1.5 read it
    after = u[24 * 6 : 24 * 7, 0, 0]
    assert (after > 0).sum() <= (z[24 * 6 : 24 * 7, 0, 0] >= HOLD_Z).sum()


def test_memory_is_data_time():
    """At 15 minutes the same day-long shift reads about as at hourly data."""
    quarter = HOUR // 4
    z = _noise(96 * 6, seed=1)
    z[96 * 4 :, 0, 0] += 1.5
    u = _run(z, quarter)
    assert u[96 * 4 + 48 :, 0, 0].max() > 2.0 * np.abs(u[96 * 3 :, 1:]).max()


def test_part_reads_the_strongest_drift_less_the_families():
    kpis = ["a", "b", "c"]
    names = [f"{k}:season_z" for k in kpis] + [f"{k}:{DRIFT_KIND}" for k in kpis]
    assert drift_columns(names) == (3, 4, 5)
    rng = np.random.default_rng(0)
    ref = np.column_stack([rng.normal(size=(500, 3)), np.zeros((500, 3))])
    part = DriftPart.fit(ref, area_columns(names, kpis, kind=DRIFT_KIND))
    assert part is not None and abs(part.penalty - np.log10(3)) < 1e-9
    rows = np.zeros((4, 6))
    rows[1, 4] = 1.0  # a mild drift: below the floor
    rows[2, 3] = -6.0
    rows[3, 5] = 8.0
    score = part(rows)
    assert score[0] == 0.0 and score[1] == 0.0
    assert FLOOR <= score[2] < score[3]


def test_a_fleet_has_drift_columns_an_older_checkpoint_runs_on_without_them():
    from test_run_min import _fleet

    from telecom_nb import schema as S
    from telecom_nb.engine.snapshot import capture, restore
    from telecom_nb.features.pipeline import KpiFeatures

    table = _fleet(days=1, n=12)  # a fleet: more than FEW_SERIES sectors
    f = KpiFeatures(kpis=["a", "b"])
    for _, batch in table.groupby(S.TIMESTAMP, sort=True):
        x = f.transform(batch)
        f.update(batch)
    assert [c for c in x.columns if c.endswith(":drift_z")] == ["a:drift_z", "b:drift_z"]
    tree, arrays = capture(f)
    del tree["attrs"]["drift_"]  # saved by code from before the drift columns
    old = restore(KpiFeatures(kpis=["a", "b"]), tree, arrays)
    assert old.drift_ is None
    assert old.feature_names == [n for n in f.feature_names if not n.endswith(":drift_z")]
    assert old.transform(batch).shape[1] == len(f.feature_names) - 2


@pytest.mark.parametrize("grouped", [False, True])
def test_compiled_pass_equals_the_numpy_lines(monkeypatch, grouped):
    """The compiled transform and update (rows in order, new sectors joining) give the numpy
    lines' numbers to the bit; shuffled rows take the numpy lines. ``grouped``: with data
    times and day-shape groups, sectors held off for days and loud z (the spread's own and
    quiet rules)."""
    from telecom_nb.features import drift_kernel

    rng = np.random.default_rng(3)
    fast, slow = Drift(2), Drift(2)
    read = 0
    for t in range(24 * 3 if not grouped else 24 * 5):
        n = min(40, 10 + t)
        rows = np.arange(n) if t % 5 else rng.permutation(n)
        z = rng.normal(scale=2.0, size=(n, 2))
        z[rng.random(z.shape) < 0.05] = np.nan
        z[rng.random(z.shape) < 0.05] = 0.0
        extra: tuple = ()
        if grouped:
            z[rows % 4 == 0] += 2.5 if t > 60 else 0.0  # a quarter of the fleet held up
            z[rng.random(z.shape) < 0.01] = 9.0
            extra = (np.full(n, t * HOUR, dtype=np.int64), rows % 3 - 1)
        got = fast.transform(rows, z, HOUR, *extra[::-1])
        fast.update(rows, z, n, HOUR, *extra)
        with monkeypatch.context() as m:
            m.setattr(drift_kernel, "drift_z", lambda *a: None)
            m.setattr(drift_kernel, "drift_learn", lambda *a: False)
            want = slow.transform(rows, z, HOUR, *extra[::-1])
            slow.update(rows, z, n, HOUR, *extra)
        np.testing.assert_array_equal(got.view(np.int64), want.view(np.int64))
        read += int((got != 0).sum())
        for name in ("mean_", "level_", "var_", "hours_"):
            a, b = (np.nan_to_num(getattr(d, name), nan=7.5) for d in (fast, slow))
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a.view(f"i{a.itemsize}"), b.view(f"i{b.itemsize}"))
    assert read  # the drift was read on some rows


def test_the_drift_part_is_fitted_at_15_minutes_and_slower():
    """At 15 and 30 minutes a wrong parameter's drift reads as at hourly data (the memory is
    data time, test above); only a finer cadence goes without the part."""
    from types import SimpleNamespace

    import pandas as pd

    from telecom_nb.detectors.part_schedule import PartSchedule

    for step, fitted in (("5min", False), ("15min", True), ("30min", True), ("1h", True)):
        seasonal = SimpleNamespace(cadence_=SimpleNamespace(step=pd.Timedelta(step)))
        schedule = SimpleNamespace(features_=SimpleNamespace(parts_=[seasonal]))
        assert PartSchedule._drift_part(schedule) is fitted


@pytest.mark.parametrize("origin", [0, 1_772_323_200 * 10**9])  # 1970, 2026-03-01
def test_a_loud_faults_tail_is_not_read_as_a_drift(origin):
    """Hours after a z of -12 (a sleeping cell) the KPI sits off on the same side: its drift
    is not read within 4 h of the loud z, and is again after (tail gate, drift_tail); the
    same at any epoch (the gate's minutes since "never" once overflowed at 2026's times)."""
    z = _noise(24 * 6, seed=2)
    z[24 * 3 : 24 * 3 + 6, 0, 0] = -12.0  # six loud hours
    z[24 * 3 + 6 : 24 * 3 + 12, 0, 0] = -2.5  # its tail: held off on the same side
    drift = Drift(2)
    rows = np.arange(z.shape[1])
    times = np.full(z.shape[1], origin, dtype=np.int64)
    out = np.zeros_like(z)
    for t in range(len(z)):
        out[t] = drift.transform(rows, z[t], HOUR, times=times + t * HOUR)
        drift.update(rows, z[t], z.shape[1], HOUR, times + t * HOUR)
    loud_end = 24 * 3 + 5  # the last hour at -12
    assert not out[24 * 3 : loud_end + 5, 0, 0].any()  # the loud hours and 4 h after
    assert (out[loud_end + 5 : 24 * 3 + 12, 0, 0] < -2.0).all()  # later rows read again
    ungated = _run(z)  # without data times (no gate) the tail's first hours read
    assert (ungated[loud_end + 1 : loud_end + 5, 0, 0] < -2.0).all()


def test_the_tail_gate_leaves_a_quiet_kpis_drift_alone():
    """A sector x KPI that never read a big z keeps every drift it reads, at 2026's times."""
    z = _noise(24 * 6, seed=3)
    z[24 * 3 :, 0, 0] -= 2.5  # a wrong parameter: a quiet shift held for days, no loud z
    drift, rows = Drift(2), np.arange(z.shape[1])
    times = np.full(z.shape[1], 1_772_323_200 * 10**9, dtype=np.int64)
    gated = np.zeros_like(z)
    for t in range(len(z)):
        gated[t] = drift.transform(rows, z[t], HOUR, times=times + t * HOUR)
        drift.update(rows, z[t], z.shape[1], HOUR, times + t * HOUR)
    np.testing.assert_array_equal(gated, _run(z))
    assert (gated[24 * 4 :, 0, 0] < 0).any()  # the shift is read


def _drift_part_every_row(part: DriftPart, features: np.ndarray) -> np.ndarray:
    """The part's formula on every row (the tail of each, before rows at or below
    ``QUIET_U`` were left out)."""
    import math

    from scipy.special import log_ndtr

    from telecom_nb.detectors.drift_part import HOLD_LOG_P

    u = np.abs(np.nan_to_num(features[:, part.columns])).max(axis=1)
    log_p = -(math.log10(2.0) + log_ndtr(-u) / math.log(10.0))
    score = np.where(u > 0, log_p + HOLD_LOG_P, 0.0) - part.penalty
    return np.where(score >= FLOOR, score, 0.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("penalty", [0.0, np.log10(3.0)])
def test_the_drift_part_skips_only_rows_that_cannot_reach_the_floor(dtype, penalty):
    rng = np.random.default_rng(7)
    features = rng.normal(scale=1.5, size=(20_000, 9)).astype(dtype)
    features[rng.random(features.shape) < 0.5] = 0.0
    features[::101, 2] = np.nan
    features[::211, 5] = np.inf
    features[::307, 8] = -np.inf
    features[:50, [2, 5, 8]] = np.linspace(0.9, 1.6, 50, dtype=dtype)[:, None]  # the edge
    part = DriftPart(np.array([2, 5, 8]), float(penalty))
    got, want = part(features), _drift_part_every_row(part, features)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    assert (got > 0).sum() > 100  # rows above the floor are scored


def test_a_strided_z_is_read_in_place_with_the_same_numbers(monkeypatch):
    """A tick's z is the seasonal block's first columns: the compiled pass reads that view
    as it is (no contiguous copy of rows x KPIs) and gives a copy's numbers to the bit."""
    rng = np.random.default_rng(5)
    wide_z = rng.normal(loc=4.0, size=(30, 7))
    rows = np.arange(30)
    warm = Drift(2)
    for _ in range(int(MIN_HOURS) + 2):  # old enough to be read, held off for hours
        warm.update(rows, rng.normal(loc=4.0, size=(30, 2)), 30, HOUR)
    want = warm.transform(rows, np.ascontiguousarray(wide_z[:, :2]), HOUR)
    copies = []
    real = np.ascontiguousarray

    def counted(a, *args, **kwargs):
        out = real(a, *args, **kwargs)
        copies.append(out is not a and np.shape(a) == (30, 2))
        return out

    monkeypatch.setattr(np, "ascontiguousarray", counted)
    got = warm.transform(rows, wide_z[:, :2], HOUR)
    assert not any(copies)
    np.testing.assert_array_equal(got.view(np.int64), want.view(np.int64))
    assert (got != 0).any()


def test_a_days_count_is_read_only_on_rows_whose_own_z_sides_with_it():
    """A ratio's day count drift (``counted``: failures up, negative) reads on a row whose
    seasonal z is on its side, however little, and not on one back on the good side: after
    a fault the day's count and the recent hours hold the fault's failures for hours, and
    rows of a normal success rate read a drift part of 8-90 (t2522, 15 min: 59 false rows
    within 6 h after a fault, RRC Setup SR)."""
    drift, rows = Drift(1), np.arange(3)
    quiet = 0.1 * np.random.default_rng(6).normal(size=(int(MIN_HOURS) + 2, 3, 1))
    for z in quiet:
        drift.update(rows, z, 3, HOUR)
    z = np.array([[0.4], [-0.4], [-0.05]])
    out = drift.transform(rows, z, HOUR, counted=np.full((3, 1), -5.0))
    np.testing.assert_array_equal(out[:, 0], [0.0, -5.0, -5.0])
