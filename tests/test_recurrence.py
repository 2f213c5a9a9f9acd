"""Recurring excursions: a daily job's spike is the series' schedule, a fault is not."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from feature_loop import by_timestamp, pass_features, pass_with_loop_windows

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.engine.snapshot import capture, restore
from telecom_nb.features.pipeline import KpiFeatures
from telecom_nb.features.recurrence import DAYS, NOISE_Z, Recurrence, time_bins

STEP = pd.Timedelta("5min")
PER_DAY = 288
JOB = 2 * 12 + 1  # 02:05, the job's usual row
FAULT = (9, 14 * 12)  # day 9, 14:00: a one-off fault
TWICE = ((6, 10 * 12), (7, 10 * 12 + 1))  # a fault at 10:00 on two days running
RUNAWAY = 10  # the job runs away (25 times its usual size) on this day
STOP = 11  # ... and runs no more from this day


def _jobs(days: int = 20, seed: int = 0) -> pd.DataFrame:
    """A server's CPU-like series at 5 minutes: daily rhythm, noise, a daily job at
    02:05 +- 5 minutes (to ~4x the night level for 10 minutes) until day ``STOP``, and
    faults (see the constants)."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-03-02", periods=days * PER_DAY, freq=STEP, tz="UTC")
    hours = (ts.hour + ts.minute / 60.0).to_numpy()
    value = 20 + 8 * np.sin(2 * np.pi * (hours - 8) / 24) + rng.normal(0, 1.0, len(ts))
    for day in range(min(STOP, days)):
        at = day * PER_DAY + JOB + int(rng.integers(-1, 2))
        value[at : at + 2] = 80.0 + rng.normal(0, 2, 2) + (1920.0 if day == RUNAWAY else 0.0)
    for day, row in (FAULT, *TWICE):
        if day >= days:
            continue
        value[day * PER_DAY + row : day * PER_DAY + row + 2] = 85.0
    return pd.DataFrame({schema.TIMESTAMP: ts, schema.SECTOR: "srv", "cpu": value})


def _job_rows(frame: pd.DataFrame, day: int) -> slice:
    return slice(day * PER_DAY + JOB - 2, day * PER_DAY + JOB + 4)


def _season(recurrence: bool) -> np.ndarray:
    # the one-series pass: the per-row path's numbers (the equality test below), ~20x faster
    frame = _jobs()
    features, x = pass_features(frame, ["cpu"], [1, len(frame)], recurrence=recurrence)
    return x[:, features.feature_names.index("cpu:season_z")]


@pytest.fixture(scope="module")
def seasons() -> tuple[np.ndarray, np.ndarray]:
    return _season(True), _season(False)


def test_a_daily_job_reads_as_noise_once_it_recurred_and_a_fault_still_counts(seasons):
    z, raw = seasons
    frame = _jobs()
    calm = 0
    for day in range(2, RUNAWAY):  # two earlier days showed it: a schedule
        rows = _job_rows(frame, day)
        assert raw[rows].max() > 5 * NOISE_Z  # the hourly slot's level cannot hold it
        assert z[rows].max() < raw[rows].max() / 2  # beyond the largest run so far only
        calm += z[rows].max() <= NOISE_Z + 1e-9
    assert calm >= (RUNAWAY - 2) // 2
    for day in (0, 1):  # once is no schedule: the first two runs are news
        assert z[_job_rows(frame, day)].max() > 3 * NOISE_Z
    # a job 25 times its usual size: what goes beyond the schedule still counts
    assert z[_job_rows(frame, RUNAWAY)].max() > 3 * NOISE_Z
    # a one-off fault at another time of day is untouched
    at = FAULT[0] * PER_DAY + FAULT[1]
    np.testing.assert_array_equal(z[at : at + 2], raw[at : at + 2])
    assert z[at] > 3 * NOISE_Z


def test_a_fault_on_two_days_at_the_same_hour_counts_both_days(seasons):
    z, _ = seasons
    for day, row in TWICE:
        assert z[day * PER_DAY + row] > 3 * NOISE_Z


def test_a_schedule_that_stops_fades_out_of_the_ring(seasons):
    z, raw = seasons
    frame = _jobs()
    late = STOP + DAYS  # no earlier run within the ring's days
    spike = frame.copy()
    spike.loc[late * PER_DAY + JOB, "cpu"] = 80.0
    part = spike.iloc[: late * PER_DAY + JOB + 1]
    features, x = pass_features(part, ["cpu"], [1, len(part)])
    assert x[-1, features.feature_names.index("cpu:season_z")] > 3 * NOISE_Z
    # while it ran, the rest of the day was left alone: ordinary rows are as they were
    normal = np.abs(raw) < NOISE_Z
    np.testing.assert_array_equal(z[normal], raw[normal])


def _hours(day: int, start: float, end: float) -> tuple[int, int]:
    """Rows of ``day`` from hour ``start`` to ``end`` (past midnight if larger than 24)."""
    return day * PER_DAY + int(start * 12), day * PER_DAY + int(end * 12)


def test_the_one_series_pass_equals_the_per_row_path():
    """The per-row path only where the ring acts (it costs ~5 ms a row: all 12 days took
    ~20 s): from the pass's state, the looped rows and the state after them must equal the
    pass's; the days between are the pass's alone, its state checked again at each window."""
    frame = _jobs(days=12)
    windows = [(1, 3 * 12),  # the first job: the ring's first cells
               _hours(1, 1.5, 3), _hours(1, 23.5, 27),  # a midnight, the first schedule
               _hours(TWICE[0][0], 9.5, 11), _hours(TWICE[1][0], 9.5, 11),
               _hours(FAULT[0], 13.5, 15), _hours(RUNAWAY, 1.5, 3),
               _hours(STOP - 1, 23.5, 27)]  # the ring's days rolled over, no job
    fast, got = pass_with_loop_windows(frame, ["cpu"], windows)
    _, whole = pass_features(frame, ["cpu"], [1, len(frame)])
    np.testing.assert_array_equal(got, whole)
    assert np.isfinite(fast.recur_.hi_).any()


def test_a_fleet_learns_and_changes_nothing():
    frames = [_jobs(days=4, seed=s).assign(**{schema.SECTOR: f"c{s}"}) for s in range(12)]
    frame = pd.concat(frames).sort_values(schema.TIMESTAMP, kind="stable").reset_index(drop=True)
    # up to day 2, 03:00: day 2's job is the first a few series reads as a schedule (the
    # ring switched on for any number of series: 80 of these features differ)
    frame = frame.iloc[: 12 * (2 * PER_DAY + 3 * 12)]
    out = []
    for recurrence in (True, False):
        features = KpiFeatures(kpis=["cpu"], recurrence=recurrence)
        view = features.view(frame)
        features.prepare_view(view)
        out.append(np.vstack([x for *_, x in by_timestamp(features, view)]))
    np.testing.assert_array_equal(out[0], out[1])
    assert len(features.registry) == 12


def test_sectors_batched_together_read_as_each_alone():
    rng = np.random.default_rng(1)
    n, k = 3 * PER_DAY, 2
    now = (np.arange(n) * STEP.value + rng.integers(0, STEP.value // 2, n)).astype(np.int64)
    z = rng.normal(size=(n, 3, k))
    z[np.arange(n) % PER_DAY == 100] = 25.0  # a daily job in every sector
    together, alone = Recurrence(k), [Recurrence(k) for _ in range(3)]
    for i in range(n):
        rows = np.flatnonzero(rng.random(3) > 0.2)
        t = np.full(len(rows), now[i])
        got = together.adjust(rows, z[i, rows], t)
        together.update(rows, z[i, rows], t, 3)
        for g, r in zip(got, rows, strict=True):
            one = np.array([0])
            np.testing.assert_array_equal(g, alone[r].adjust(one, z[i, [r]], t[:1])[0])
            alone[r].update(one, z[i, [r]], t[:1], 1)
    job = np.full(3, 3 * PER_DAY + 100) * STEP.value
    assert (time_bins(job) > 0).all()
    assert (together.adjust(np.arange(3), np.full((3, k), 30.0), job) < 30).all()


def test_a_checkpoint_restores_the_ring_exactly():
    frame = _jobs(days=6)
    half = len(frame) // 2 + 7
    params = {"kpis": ["cpu"], "n_estimators": 10, "retrain_interval": "12h"}
    whole = make_detector("iforest", **params)
    expected = whole.score_stream(frame).score[half:]
    first = make_detector("iforest", **params)
    first.score_stream(frame.iloc[:half])
    tree, arrays = capture(first, "detector")
    assert "\"recur_\"" in json.dumps(tree)
    again = restore(make_detector("iforest", **params), tree, arrays, "detector")
    np.testing.assert_array_equal(again.features_.recur_.hi_, first.features_.recur_.hi_)
    np.testing.assert_array_equal(again.score_stream(frame.iloc[half:]).score, expected)


def test_excursions_at_random_times_recur_by_chance_only_and_stay():
    """A drop rate spiking at random (3 % of its 5-minute rows) shows a spike within
    10 minutes of the same time on 2 of 7 days often; chance explains that, so the
    spikes keep their z (a schedule beats the series' own rate of excursions)."""
    rng = np.random.default_rng(2)
    n = 12 * PER_DAY
    now = np.arange(n, dtype=np.int64) * STEP.value
    z = rng.normal(size=(n, 1))
    spikes = rng.random(n) < 0.03
    z[spikes] = 20.0
    part = Recurrence(1)
    out = np.empty_like(z)
    two_days = 0
    for i in range(n):
        one = np.array([0])
        out[i] = part.adjust(one, z[i : i + 1], now[i : i + 1])[0]
        if spikes[i] and i >= DAYS * PER_DAY:  # what "2 earlier days" alone would take
            days = [spikes[i - d * PER_DAY - 2 : i - d * PER_DAY + 3].any()
                    for d in range(1, DAYS + 1)]
            two_days += sum(days) >= 2
        part.update(one, z[i : i + 1], now[i : i + 1], 1)
    late = spikes & (np.arange(n) >= DAYS * PER_DAY)
    assert two_days > 0.2 * late.sum()
    assert (out[late, 0] == 20.0).mean() > 0.97


def test_the_compiled_cells_keep_their_counts_and_shift_as_numpy():
    """``record_cells`` keeps ``cell_counts``' per-day counts current (slots rolled over,
    NaN, values crossing the noise level both ways) and ``shift_cells`` reads them to the
    same shifts as :meth:`Recurrence.shifts`."""
    from telecom_nb.features.recurrence import BINS, cell_counts, record_cells, shift_cells

    rng = np.random.default_rng(3)
    ring = Recurrence(2)
    ring._grow(1)
    counts = cell_counts(ring.hi_, ring.lo_)
    s_hi, s_lo = np.zeros(2), np.zeros(2)
    job = 2 * 12 + 1  # 02:05 every day: a recurring excursion
    shifted = 0
    for now_bin in range(0, 12 * BINS, 3):
        z = rng.normal(0.0, 2.0, 2)
        if now_bin % BINS in range(job - 2, job + 3):
            z[0] += 9.0
        if rng.random() < 0.1:
            z[1] = np.nan
        shift_cells(ring.hi_, ring.lo_, ring.day_, now_bin, s_hi, s_lo, counts)
        want_hi, want_lo = ring.shifts(np.zeros(1, dtype=np.intp), np.array([now_bin]))
        np.testing.assert_array_equal(s_hi, want_hi[0])
        np.testing.assert_array_equal(s_lo, want_lo[0])
        shifted += int((s_hi > 0).any())
        record_cells(ring.hi_, ring.lo_, ring.day_, now_bin, z, counts)
        np.testing.assert_array_equal(counts, cell_counts(ring.hi_, ring.lo_))
    assert shifted > 5  # the job was found recurring


def test_ring_counts_as_the_whole_ring_masked():
    """The counts the shifts' chance comes from: only the ring's days in range (not future,
    not older than DAYS, known rows), the same as masking a copy of the whole ring."""
    from telecom_nb.features.recurrence import BINS

    rng = np.random.default_rng(3)
    rec = Recurrence(3)
    rec._grow(5)
    rec.hi_[:] = rng.normal(0, 3, rec.hi_.shape).astype(np.float32)
    rec.lo_[:] = rng.normal(0, 3, rec.lo_.shape).astype(np.float32)
    rec.hi_[rng.random(rec.hi_.shape) < 0.3] = np.nan
    rec.lo_[rng.random(rec.lo_.shape) < 0.3] = np.nan
    rec.day_[:] = 100 + rng.integers(-9, 3, rec.day_.shape)  # old, in range and future days
    rows = np.array([0, 3, 4, 3, 1, 2])
    known = np.array([True, True, True, True, False, True])
    today = 100 + rng.integers(-1, 2, len(rows))
    seen, above, below = rec._ring_counts(rows, known, today)
    held = rec.day_[rows]
    recent = ((held > today[:, None] - DAYS) & (held <= today[:, None])
              & known[:, None])[:, :, None, None]
    ring_hi = np.where(recent, rec.hi_[rows], np.nan)
    ring_lo = np.where(recent, rec.lo_[rows], np.nan)
    np.testing.assert_array_equal(seen, np.maximum((~np.isnan(ring_hi)).sum(axis=(1, 2)), 1))
    np.testing.assert_array_equal(above, (ring_hi > NOISE_Z).sum(axis=(1, 2)))
    np.testing.assert_array_equal(below, (ring_lo < -NOISE_Z).sum(axis=(1, 2)))
    assert rec.hi_.shape[2] == BINS and above[known].min() > 0 and seen[4].max() == 1


def test_compiled_shift_from_two_days_as_numpy():
    """Two days with a job at 02:05 (the fewest ``_needed`` asks for): the compiled cells
    shift as :meth:`Recurrence.shifts` does, and they do shift (the path that skips
    ``_needed`` below ``MIN_DAYS`` must not skip this one)."""
    from telecom_nb.features.recurrence import (
        BINS,
        MIN_DAYS,
        _needed,
        cell_counts,
        record_cells,
        shift_cells,
    )

    assert min(_needed(q, d) for q in np.linspace(0, 1, 41) for d in range(9)) >= MIN_DAYS
    ring = Recurrence(1)
    ring._grow(1)
    counts = cell_counts(ring.hi_, ring.lo_)
    job = 2 * 12 + 1
    for now_bin in range(2 * BINS):
        z = np.array([9.0 if now_bin % BINS in range(job - 2, job + 3) else 0.5])
        record_cells(ring.hi_, ring.lo_, ring.day_, now_bin, z, counts)
    s_hi, s_lo = np.zeros(1), np.zeros(1)
    shift_cells(ring.hi_, ring.lo_, ring.day_, 2 * BINS + job, s_hi, s_lo, counts)
    want_hi, want_lo = ring.shifts(np.zeros(1, dtype=np.intp), np.array([2 * BINS + job]))
    np.testing.assert_array_equal(s_hi, want_hi[0])
    np.testing.assert_array_equal(s_lo, want_lo[0])
    assert s_hi[0] > 0
