"""Level shift: the last hour's mean against the same hour of the previous days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from feature_loop import (
    by_timestamp,
    loop_features,
    loop_forked,
    pass_features,
    pass_forked,
    pass_with_loop_windows,
)

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.features import level_shift
from telecom_nb.features.level_shift import LevelShift
from telecom_nb.features.pipeline import KpiFeatures
from telecom_nb.features.series_kernel import numba


def _cell(days: int = 8, step: str = "2min", shift: tuple[int, int] | None = None,
          spike: int | None = None, seed: int = 0) -> pd.DataFrame:
    """One cell: a steep daily rhythm, noisy ticks; ``shift``: rows at 40 % of the level."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-03-02", periods=days * int(pd.Timedelta("1D") / pd.Timedelta(step)),
                       freq=step, tz="UTC")
    hours = (ts.hour + ts.minute / 60.0).to_numpy()
    load = 0.2 + np.exp(-((hours - 20.0) / 2.5) ** 2) + 0.6 * np.exp(-((hours - 12) / 3) ** 2)
    traffic = rng.gamma(6.0, 5.0 * load / 6.0)
    if shift is not None:
        traffic[shift[0] : shift[1]] *= 0.4
    if spike is not None:
        traffic[spike] *= 20
    return pd.DataFrame({schema.TIMESTAMP: ts, schema.SECTOR: "cell", "traffic": traffic})


def _loop(frame: pd.DataFrame, **params) -> tuple[KpiFeatures, np.ndarray]:
    return loop_features(frame, ["traffic"], **params)


def _shift_col(features: KpiFeatures) -> int:
    return features.feature_names.index("traffic:shift_z")


@pytest.fixture(scope="module")
def shifted():
    start = 6 * 720 + 8 * 30  # day 7, 08:00, 6 hours at 40 %
    frame = _cell(shift=(start, start + 180), spike=6 * 720 + 20 * 30)
    # the one-series pass: the per-row loop's numbers (test_one_series_pass_equals_the_loop)
    features, x = (pass_features(frame, ["traffic"], [1, len(frame)]) if numba
                   else _loop(frame))
    return frame, features, x[:, _shift_col(features)], start, x


def test_a_sustained_shift_is_far_while_noise_and_the_day_are_not(shifted):
    _, _, z, start, _ = shifted
    assert np.median(z[start + 60 : start + 180]) < -4  # an hour in: far below its days
    normal = np.r_[z[4 * 720 : start], z[start + 240 :]]
    assert np.quantile(np.abs(normal), 0.99) < 4  # the steep daily ramps are not shifts
    assert (z[: 3 * 720] == 0).all()  # no reference before three days


def test_a_spike_and_an_ended_shift_are_forgotten(shifted):
    _, _, z, start, _ = shifted
    spike = 6 * 720 + 20 * 30  # x20 for one tick: a thirtieth of it in the hour's mean
    assert np.abs(z[spike + 30 : spike + 90]).max() < 3.5  # its hour is over
    # the hour's mean still holds the shift; the current bin does not: 16-120 min after
    assert np.abs(z[start + 180 + 8 : start + 180 + 60]).max() < 3.5


def test_one_rows_burst_at_five_minutes_is_no_level():
    """A quiet server's nightly job: one 5-minute burst (0.07 -> 1.4) moved the hour's mean
    by a twelfth of itself, a shift of many spreads most nights (NAB 24ae8d, c6585a: 7-9
    each night; here 7.0 and 8.4 before the hour was trimmed). A lasting shift at the same
    cadence is still far."""
    day = 288
    rng = np.random.default_rng(11)
    ts = pd.date_range("2026-03-02", periods=9 * day, freq="5min", tz="UTC")
    cpu = 0.066 + rng.choice([0.0, 0.0, 0.002, 0.066], size=len(ts), p=[0.6, 0.3, 0.08, 0.02])
    spikes = [d * day + 3 * 12 + (d * 5) % 7 for d in range(9)]  # ~03:00, jittered
    cpu[spikes] = 1.4 + 0.1 * rng.random(len(spikes))
    frame = pd.DataFrame({schema.TIMESTAMP: ts, schema.SECTOR: "server", "traffic": cpu})
    start = 7 * day + 8 * 12  # day 8, 08:00: 5 hours at three times the level
    shifted = frame.iloc[: start + 60].copy()
    shifted.loc[start:, "traffic"] *= 3
    fork = pass_forked if numba else loop_forked  # equal (test_one_series_pass_equals_the_loop)
    features, x, after = fork(frame, shifted, start, ["traffic"])  # days 1-8 once
    col = _shift_col(features)
    z = x[:, col]
    assert max(np.abs(z[s : s + 12]).max() for s in spikes) < 2
    assert np.median(after[6:60, col]) > 8


def test_an_old_checkpoint_derives_the_extremes(shifted):
    _, loop, _, _, _ = shifted
    part = loop.level_
    derived = LevelShift()
    derived.__dict__.update({k: v.copy() if isinstance(v, np.ndarray) else v
                             for k, v in part.__dict__.items()})
    derived.derive_added_state(LevelShift._state_added)
    one = part.ring_n_ == 1  # a bin of one value: its mean is its largest and smallest
    np.testing.assert_array_equal(derived.ring_max_[one], part.ring_max_[one])
    np.testing.assert_array_equal(derived.ring_min_[one], part.ring_min_[one])
    empty = part.ring_n_ == 0
    assert (derived.ring_max_[empty] == -np.inf).all()
    assert (derived.ring_min_[empty] == np.inf).all()


def test_the_seasonal_z_of_a_shift_is_small(shifted):
    frame, _, _, start, _ = shifted
    # the one-series pass: the per-row loop's numbers (test_one_series_pass_equals_the_loop)
    _, x = (pass_features(frame, ["traffic"], [1, len(frame)], shift=False) if numba
            else _loop(frame, shift=False))
    season = x[:, 0]
    # what the part is for: each tick's own z hardly moves
    assert np.median(season[start + 60 : start + 180]) > -1.5


def test_a_fleet_reads_zero_and_learns_nothing():
    frames = [_cell(days=4, step="15min", seed=s).assign(**{schema.SECTOR: f"c{s}"})
              for s in range(12)]
    frame = pd.concat(frames).sort_values(schema.TIMESTAMP, kind="stable").reset_index(drop=True)
    features = KpiFeatures(kpis=["traffic"])
    view = features.view(frame)
    features.prepare_view(view)
    *_, (_, _, x) = by_timestamp(features, view)
    assert (x[:, _shift_col(features)] == 0).all()
    assert not features.level_.active
    assert (features.level_.spread_n_ == 0).all()


@pytest.mark.skipif(numba is None, reason="numba missing: the per-batch path is the only one")
def test_one_series_pass_equals_the_loop():
    """The compiled pass against the per-row loop (~2 ms a row, so a shorter cell than the
    other tests': 5-minute rows, a reference from day 4, a shift and a spike after it)."""
    day = 288
    start = 3 * day + 8 * 12  # day 4, 08:00: 6 hours at 40 %
    spike = 4 * day + 20 * 12
    frame = _cell(days=5, step="5min", shift=(start, start + 72), spike=spike)
    # the per-row loop only around the events (rows and every state array equal the pass's
    # at each window's end; the pass resumed there): the start, a resume mid-day 2, the
    # first reference (day 4), the shift from before it to past its end, day 5's first bin
    # (its hour's reference reaches the export's first bin: 3 rows, trimmed), a resume,
    # the spike to the end
    windows = [(1, 30), (380, 420), (3 * day - 20, 3 * day + 20), (start - 12, start + 84),
               (4 * day - 8, 4 * day + 8), (4 * day + 90, 4 * day + 110),
               (spike - 12, len(frame))]
    fast, got = pass_with_loop_windows(frame, ["traffic"], windows)
    assert np.median(got[start + 24 : start + 72, _shift_col(fast)]) < -2  # it is read
    # the cell's spreads formed: each of a 5-minute bin's three rows' own (one series)
    assert fast.level_.active and fast.level_.pspread_n_[0, :, :3].min() > 0


@pytest.mark.skipif(numba is None, reason="compiled pass only")
def test_the_pass_median_is_the_masked_nanmedian():
    """``level_shift_kernel._median`` (no temporaries) against ``_ring_median`` bit for bit:
    7 days' means with missing days, ties and zeros of both signs (an odd count's middle
    -0.0 keeps its sign only if the values sort as ``np.sort`` sorts them)."""
    from telecom_nb.features.level_shift_kernel import _median
    from telecom_nb.features.series_cells import _ring_median

    rng = np.random.default_rng(1926)
    buf = np.empty(7)
    for _ in range(400):
        v = rng.choice([-0.0, 0.0, 1.5, -2.0, np.nan, 3.25], size=7)
        v = np.where(rng.random(7) < 0.3, rng.normal(size=7), v)
        got, want = _median(v, buf), _ring_median(v, False)
        assert np.array_equal([got], [want], equal_nan=True)
        assert np.signbit(got) == np.signbit(want)


def test_the_detector_reads_a_shift_as_its_own_part(shifted):
    frame, _, _, start, _ = shifted
    det = make_detector("iforest", kpis=["traffic"], n_estimators=20)
    scores = det.score_stream(frame).score
    assert det._fitted.model.shift_null is not None
    assert np.median(scores[start + 60 : start + 180]) > 3
    flat = make_detector("iforest", kpis=["traffic"], n_estimators=20)
    flat.set_feature_params(shift=False)
    before = flat.score_stream(frame).score
    assert np.median(before[start + 60 : start + 180]) < 2  # what the part adds


def test_names_and_weights():
    part = LevelShift()
    part.bind(("a", "b"))
    assert part.feature_names == ["a:shift_z", "b:shift_z", "a:held_z", "b:held_z"]
    assert part.feature_weights().shape == (4, 2)


def test_a_few_series_joint_distance_reads_the_shifts():
    """Many KPIs' hour shifts together, against how they usually shift together: the
    few-series joint distance reads the level-shift columns once the window holds enough
    rows that have them (a fleet's joint reads only seasonal and persistence columns)."""
    rng = np.random.default_rng(1)
    ts = pd.date_range("2026-03-02", periods=9 * 288, freq="5min", tz="UTC")
    hours = (ts.hour + ts.minute / 60.0).to_numpy()
    load = 1.0 + 0.5 * np.sin(2 * np.pi * hours / 24)
    drift = np.cumsum(rng.normal(0, 0.02, len(ts)))
    frame = pd.DataFrame({schema.TIMESTAMP: ts, schema.SECTOR: "svc"})
    for j in range(4):
        frame[f"k{j}"] = load * (2 + j) + drift * (1 + j) + rng.normal(0, 0.2, len(ts))
    kpis = [f"k{j}" for j in range(4)]
    det = make_detector("iforest", kpis=kpis, n_estimators=20)
    det.score_stream(frame)
    names = det.features_.feature_names
    read = {names[c].rpartition(":")[2] for c in det._fitted.model.joint.columns}
    assert read == {"season_z", "persist_z", "shift_z"}


def _hourly(days: int, seed: int, sector: str) -> pd.DataFrame:
    """An hourly cell with ``_cell``'s steep day: an hour's row sums its minutes, so ~8 %
    noise, not a tick's ~40 %."""
    frame = _cell(days=days, step="1h", seed=seed).assign(**{schema.SECTOR: sector})
    hours = (frame[schema.TIMESTAMP].dt.hour + 0.5).to_numpy()  # the hour's mean load
    load = 0.2 + np.exp(-((hours - 20.0) / 2.5) ** 2) + 0.6 * np.exp(-((hours - 12) / 3) ** 2)
    noise = np.random.default_rng(seed).normal(0.0, 0.08, len(frame))
    return frame.assign(traffic=5.0 * load * np.exp(noise))


def _hourly_pool() -> tuple[list[pd.DataFrame], int]:
    """Two hourly cells, 14 days, c1 at 40 % for 8 hours from day 13, 09:00 (its row)."""
    frames = [_hourly(14, s, f"c{s}") for s in range(2)]
    start = 12 * 24 + 9
    frames[1].loc[start : start + 7, "traffic"] *= 0.4
    return frames, start


def _pool_z(frames: list[pd.DataFrame]) -> tuple[KpiFeatures, np.ndarray]:
    """The pool's shift z, hours x cells (a timestamp's batch at a time, as live)."""
    frame = pd.concat(frames).sort_values(schema.TIMESTAMP, kind="stable").reset_index(drop=True)
    features = KpiFeatures(kpis=["traffic"])
    view = features.view(frame)
    features.prepare_view(view)
    x = np.vstack([x for *_, x in by_timestamp(features, view)])
    return features, x[:, _shift_col(features)].reshape(-1, len(frames))


def test_an_hourly_pool_reads_each_hour_against_its_own_days():
    """At an hour's cadence every row opens a bin: a pool's row read against the open
    (previous) bin's reference compared each hour with the hour before on the previous
    days, so a steep day's ramps read as shifts every day (few-series ``lte60``: normal
    midnights at -5 to -10). A lasting shift of one cell is still far."""
    frames, start = _hourly_pool()
    features, z = _pool_z(frames)
    assert features.level_.active
    assert np.median(z[start + 1 : start + 8, 1]) < -4
    normal = np.r_[z[5 * 24 :, 0], z[5 * 24 : start, 1], z[start + 12 :, 1]]
    assert np.quantile(np.abs(normal), 0.99) < 4  # the steep daily ramps are not shifts


def test_one_hourly_series_reads_each_hour_against_its_own_days(monkeypatch):
    """One series as a pool's cell: its row opening a bin reads that bin's reference too
    (the compiled pass rolled after scoring, so one hourly series read each hour against
    the hour before's days: normal |z| q99 ~10), the same z as the pool's read at the
    day's spread (a pool reads it at the hour's level, ``features/level_slope.py``), bit
    for bit, until a week is kept: then one series' z is the nearer of the days' and the
    week before's (never larger where the pool's reads a shift)."""
    monkeypatch.setattr(level_shift, "local_scale",
                        lambda spread, *args: np.maximum(spread, args[-1]))
    frames, start = _hourly_pool()
    one = frames[1]
    if numba:
        features, x = pass_features(one, ["traffic"], [1, len(one)])
    else:
        features, x = _loop(one)
    z = x[:, _shift_col(features)]
    pool = _pool_z(frames)[1][:, 1]
    week = 7 * 24  # from the first hour with its hour a week before
    np.testing.assert_array_equal(z[:week], pool[:week])
    assert (np.abs(z) <= np.abs(pool))[pool != 0].all()
    assert np.median(z[start + 1 : start + 8]) < -4
    normal = np.r_[z[5 * 24 : start], z[start + 12 :]]
    assert np.quantile(np.abs(normal), 0.99) < 4


@pytest.mark.skipif(numba is None, reason="numba missing: the per-batch path is the only one")
def test_one_series_pass_equals_the_loop_across_a_days_gap():
    """An hourly series back after 23 silent hours: the row opening a bin reads, in its
    reference, the bin left open before the gap (the same clock hour a day before, closed
    by then; the roll stores it) alike in the compiled pass and the per-row loop, rows and
    state bit for bit."""
    frame = _hourly(12, 3, "cell")
    frame = frame.drop(frame.index[6 * 24 + 6 : 7 * 24 + 5]).reset_index(drop=True)
    fast, got = pass_with_loop_windows(frame, ["traffic"], [(1, len(frame))])
    assert (got[:, _shift_col(fast)] != 0).sum() > 100  # the shift z is read
