"""Level record: the last hour's mean beyond every such mean of the last weeks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from feature_loop import by_timestamp, loop_features, pass_features

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.param_paths import configure, param_refs, parse_texts
from telecom_nb.engine.snapshot import capture, restore
from telecom_nb.errors import ParameterError
from telecom_nb.features.level_record import LevelRecord
from telecom_nb.features.pipeline import KpiFeatures
from telecom_nb.features.range_novelty import log_p_of_z
from telecom_nb.features.scaling import scaled_view
from telecom_nb.features.series_kernel import numba

DAY = pd.Timedelta("1D")


def _series(days: int, step: str, shift_at: pd.Timedelta | None = None,
            seed: int = 0) -> pd.DataFrame:
    """One noisy series with a daily hump (its level reached every day); ``shift_at``: from
    then on its level is up by 1.2 (8 of its hourly mean's noise spreads, inside the range
    of single values: the noise's spread is 0.5)."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-03-02", periods=int(days * DAY / pd.Timedelta(step)), freq=step,
                       tz="UTC")
    hours = (ts.hour + ts.minute / 60.0).to_numpy()
    value = 10 + np.exp(-((hours - 14) / 3) ** 2) + rng.normal(0, 0.5, len(ts))
    if shift_at is not None:
        value[(ts - ts[0]) >= shift_at] += 1.2
    return pd.DataFrame({schema.TIMESTAMP: ts, schema.SECTOR: "s", "v": value})


def _record_log_p(frame: pd.DataFrame) -> np.ndarray:
    if numba:  # the one-series pass: the loop's numbers (test_one_series_pass_equals_the_loop)
        features, x = pass_features(frame, ["v"], [1, len(frame)])
    else:
        features, x = loop_features(frame, ["v"])
    return log_p_of_z(x[:, features.feature_names.index("v:record_z")])


@pytest.mark.parametrize("step", ["5min", "15min", "30min", "1h"])
def test_a_sustained_level_shift_is_a_record_within_hours_at_any_cadence(step):
    """At 30 minutes and hourly a one-hour level has fewer than 3 rows: the level spans
    3 steps of the cadence in whole hours (2 and 3 hours), so it is read there too."""
    at = 7 * DAY + pd.Timedelta("13h")  # the hump's hour: beyond its everyday level
    frame = _series(9, step, shift_at=at)
    log_p = _record_log_p(frame)
    elapsed = (frame[schema.TIMESTAMP] - frame[schema.TIMESTAMP].iloc[0]).to_numpy()
    soon = (elapsed >= at) & (elapsed < at + max(pd.Timedelta("2h"), 6 * pd.Timedelta(step)))
    assert log_p[soon].max() > 4  # within 2 hours of data time, or 6 rows
    routine = elapsed < at
    assert (log_p[elapsed < 7 * DAY] == 0).all()  # no record before a week of levels
    assert log_p[routine].max() < 3  # the daily hump is reached every day: no record


@pytest.mark.parametrize("step", ["5min", "30min"])
def test_one_series_pass_equals_the_loop(step):
    """``LevelRecord.series`` (``SeriesPass``'s share) against batches of one row, at a
    5-minute cadence with a gap, and at 30 minutes where the level spans two windows (the
    part alone: the pipeline's pass has its own test)."""
    frame = _series(5, step, shift_at=4 * DAY + pd.Timedelta("13h"))
    gap = pd.Timedelta("5h") // pd.Timedelta(step)
    frame = frame.drop(index=range(len(frame) // 2, len(frame) // 2 + gap)).reset_index(
        drop=True)  # 5 hours missing
    loop = LevelRecord(min_blocks=3)
    loop.bind(("v",))
    view = loop.view(frame)
    expected = []
    for i in range(len(frame)):
        one = view.slice(i, i + 1)
        expected.append(loop.transform_view(one))
        loop.update_view(one)
    expected = np.vstack(expected)
    assert np.abs(expected).max() > 3  # it is read
    fast = LevelRecord(min_blocks=3)
    fast.bind(("v",))
    first = view.slice(0, 1)
    got = [fast.transform_view(first)]
    fast.update_view(first)
    y = scaled_view(view, ("v",))
    third = len(frame) // 3
    for a, b in ((1, third), (third, 2 * third + 7), (2 * third + 7, len(frame))):
        got.append(fast.series(view.ns()[a:b], y[a:b]))
    np.testing.assert_array_equal(np.vstack(got), expected)
    for name in ("ids_", "bin_id_", "bin_sum_", "bin_n_", "bin_lmax_", "bin_lmin_", "ring_id_",
                 "ring_max_", "ring_min_", "ring_win_", "cur_max_", "cur_min_", "cur_win_",
                 "clock_"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(loop, name), err_msg=name)


def test_a_fleet_reads_zero_and_learns_nothing():
    frames = [_series(4, "1h", seed=s).assign(**{schema.SECTOR: f"c{s}"}) for s in range(12)]
    frame = pd.concat(frames).sort_values(schema.TIMESTAMP, kind="stable").reset_index(drop=True)
    features = KpiFeatures(kpis=["v"])
    view = features.view(frame)
    features.prepare_view(view)
    *_, (_, _, x) = by_timestamp(features, view)
    assert (x[:, features.feature_names.index("v:record_z")] == 0).all()
    assert not features.record_.active
    assert (features.record_.ring_win_ == 0).all()


def test_parameters_are_checked_and_reachable():
    with pytest.raises(ParameterError, match="window"):
        LevelRecord(window="-1h")
    with pytest.raises(ParameterError, match="min_blocks"):
        LevelRecord(min_blocks=0)
    det = make_detector("iforest")
    assert {"features.record", "features.record.window", "features.record.blocks"} <= set(
        param_refs(det))
    configure(det, parse_texts(det, {"features.record.window": "30min"}))
    assert pd.Timedelta(det.features_.part_value("record", "window")) == pd.Timedelta("30min")


def test_a_restored_record_continues_and_an_old_checkpoint_runs_without_it():
    frame = _series(5, "15min", shift_at=4 * DAY + pd.Timedelta("13h"))
    part = LevelRecord(min_blocks=3)
    part.bind(("v",))
    view = part.view(frame)
    first = view.slice(0, 1)
    part.transform_view(first)
    part.update_view(first)
    y, ns, half = scaled_view(view, ("v",)), view.ns(), len(frame) // 2
    part.series(ns[1:half], y[1:half])
    back = restore(LevelRecord(min_blocks=3), *capture(part))
    tree, arrays = capture(part)
    del tree["attrs"]["clock_"]  # saved by code from before the cadence's span
    older = restore(LevelRecord(min_blocks=3), tree, arrays)
    rest = part.series(ns[half:], y[half:])
    assert np.abs(rest).max() > 3
    np.testing.assert_array_equal(back.series(ns[half:], y[half:]), rest)
    np.testing.assert_array_equal(older.series(ns[half:], y[half:]), rest)  # cadence relearnt
    features = KpiFeatures()
    features.bind(("a", "b"))
    assert features.feature_names[-2:] == ["a:record_z", "b:record_z"]
    tree, arrays = capture(features)
    del tree["attrs"]["record_"]  # saved by code from before the level record
    old = restore(KpiFeatures(), tree, arrays)
    assert old.record_ is None
    assert not any(n.endswith(":record_z") for n in old.feature_names)


def test_the_detector_reads_a_record_as_its_own_part():
    at = 7 * DAY + pd.Timedelta("13h")
    frame = _series(9, "15min", shift_at=at)
    elapsed = (frame[schema.TIMESTAMP] - frame[schema.TIMESTAMP].iloc[0]).to_numpy()
    soon = (elapsed >= at) & (elapsed < at + pd.Timedelta("2h"))
    scores = {}
    for on in (True, False):
        det = make_detector("iforest", kpis=["v"], n_estimators=20)
        det.set_feature_params(record=on)
        scores[on] = det.score_stream(frame).score
    assert scores[True][soon].max() > 3.5
    assert scores[True][soon].max() > scores[False][soon].max() + 0.5  # what the part adds


def test_a_record_is_never_routine():
    """A level (or a value: range novelty) beyond everything of weeks was never reached:
    the routine rule (a jump seen twice in the week before opens no episode) does not mute
    a row whose record is itself an alarm (nab24: NAB's 5f5533 window, a range record
    under a z part at 7.55, was muted as routine)."""
    frame = _series(9, "15min", shift_at=7 * DAY + pd.Timedelta("13h"))
    det = make_detector("iforest", kpis=["v"], n_estimators=20)
    det.score_stream(frame)
    names = det.features_.feature_names
    x = np.zeros((3, len(names)))
    x[0, names.index("v:record_z")] = 6.0  # -log10 p ~ 8.7
    x[1, names.index("v:novelty_z")] = 6.0
    scores = det._score_features(x, pd.RangeIndex(3), routine=np.array([True, True, True]))
    assert (scores.score[:2] > 5).all()
    assert not scores.routine[:2].any()
    assert scores.routine[2]  # no record: the rule as it was


def _bounds_by_kpi(s, bi, d, nb, state, k):
    """Each KPI's record bounds as ``score_row`` reads them (the ring, a closed or the
    open block, then the sub-bins a span old), in plain Python: the test's reference."""
    ids, bin_id, _, _, bin_lmax, bin_lmin, ring_id, ring_max, ring_min, ring_win, cur_max, \
        cur_min, cur_win, _ = state
    nblk = ring_id.shape[1]
    cid = ids[s, 0]
    closed = cid < d and cid >= d - nblk and cur_win[s] > 0
    out = []
    for j in range(k):
        hi, lo = -np.inf, np.inf
        for m in range(nblk):
            if d - nblk <= ring_id[s, m] < d and ring_win[s, m] > 0:
                hi, lo = max(hi, ring_max[s, m, j]), min(lo, ring_min[s, m, j])
        if closed or cid == d:
            hi, lo = max(hi, cur_max[s, j]), min(lo, cur_min[s, j])
        for m in range(bin_id.shape[1]):
            if bin_id[s, m] <= bi - nb:
                hi, lo = max(hi, bin_lmax[s, m, j]), min(lo, bin_lmin[s, m, j])
        out.append((hi, lo))
    return out


def test_the_record_is_bounded_by_every_level_a_span_old():
    """A batch scored under one state (nothing learned between its rows): the later a row,
    the more sub-bins are a span old and not yet folded into the block (a spike's levels
    then bound a plateau below them); a row's level beyond its bounds, and only such a
    row, reads a record."""
    from telecom_nb.features import level_record_kernel as kernel

    frame = _series(10, "15min", seed=2206)
    start = 9 * 96 + 8  # learned up to 2:00 on day 9, then 4 rows scored
    # a spike 45-30 minutes before, then a plateau below its levels: a span after the
    # spike its levels (not yet in the block) bound the plateau's; before, they do not
    frame.loc[start - 4 : start - 3, "v"] += 12.0
    frame.loc[start - 2 :, "v"] += 3.0
    frame["w"] = frame["v"][::-1].to_numpy() - 1.0  # a second KPI whose levels differ
    learn, score = frame.iloc[:start], frame.iloc[start : start + 4]
    part = LevelRecord(window=pd.Timedelta("1h"))
    ns = pd.DatetimeIndex(learn[schema.TIMESTAMP]).as_unit("ns").asi8
    part.kpis_ = ("v", "w")
    part._reset()
    part.series(ns, learn[["v", "w"]].to_numpy())
    state = part._state()
    ns2 = pd.DatetimeIndex(score[schema.TIMESTAMP]).as_unit("ns").asi8
    bi, d = part.time_ids(ns2)
    y = np.ascontiguousarray(score[["v", "w"]].to_numpy())
    log_p = np.zeros(y.shape)
    kernel.score_rows(np.zeros(len(y), dtype=np.int64), bi, d, y, log_p, *state,
                      part.floors_, part.percent_, part._cfg())
    nb = kernel.span_bins(0, part.clock_, part.bin_id_.shape[1], part._cfg())
    unfolded = 0
    for i in range(len(y)):
        bounds = _bounds_by_kpi(0, bi[i], d[i], nb, state, 2)
        old = (part.bin_id_[0] <= bi[i] - nb) & np.isfinite(part.bin_lmax_[0, :, 0])
        unfolded += int(old.sum())
        for j, (hi, lo) in enumerate(bounds):
            level = kernel._level(0, bi[i], nb, y[i, j], j, part.bin_id_, part.bin_sum_,
                                  part.bin_n_)
            beyond = np.isfinite(level) and (level > hi or level < lo)
            assert (log_p[i, j] != 0.0) == bool(beyond), (i, j, level, hi, lo)
    assert unfolded > 0 and (log_p != 0).any() and (log_p == 0).any()


def test_the_fold_skips_the_sub_bins_already_folded():
    """Every row's learn folds the ring's sub-bins a span old into the open block: 144
    slots, nearly all folded already (extremes -inf / inf) or never given a finite level;
    folding those changes nothing, so they are not written (~20 % of a one-series level
    record pass). Read-only extremes prove no write; the rest folds as before."""
    from telecom_nb.features import level_record_kernel as kernel

    fold = getattr(kernel._fold, "py_func", kernel._fold)
    rng = np.random.default_rng(3166)
    slots, k = 144, 3
    bin_id = rng.integers(0, 300, (1, slots)).astype(np.int64)
    lmax = np.full((1, slots, k), -np.inf)
    lmin = np.full((1, slots, k), np.inf)
    cur_max, cur_min = rng.normal(0, 1, (1, k)), rng.normal(0, 1, (1, k))
    before = cur_max.copy(), cur_min.copy()
    lmax.flags.writeable = lmin.flags.writeable = False
    fold(0, 250, k, bin_id, lmax, lmin, cur_max, cur_min)  # nothing to fold: no write
    assert np.array_equal(cur_max, before[0]) and np.array_equal(cur_min, before[1])
    lmax, lmin = lmax.copy(), lmin.copy()
    live = rng.random((1, slots, k)) < 0.3  # a sub-bin's KPI with a finite level
    levels = rng.normal(0, 2, (1, slots, k))
    lmax[live], lmin[live] = levels[live] + 0.5, levels[live] - 0.5
    due = (bin_id[0] <= 250)[None, :, None] & live
    want_max = np.maximum(cur_max, np.where(due, lmax, -np.inf).max(axis=1))
    want_min = np.minimum(cur_min, np.where(due, lmin, np.inf).min(axis=1))
    left_max, left_min = np.where(due, -np.inf, lmax), np.where(due, np.inf, lmin)
    fold(0, 250, k, bin_id, lmax, lmin, cur_max, cur_min)
    assert np.array_equal(cur_max, want_max) and np.array_equal(cur_min, want_min)
    assert np.array_equal(lmax, left_max) and np.array_equal(lmin, left_min)
