"""The retrain schedule on the data clock: doubling while young, then every interval;
a few series then stretch it with their history's age (at most weekly)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from test_features import batches, fleet

from telecom_nb.detectors import IsolationForestDetector
from telecom_nb.detectors.retrain_schedule import MAX_TURNOVER_STRETCH, turnover_gap
from telecom_nb.errors import ParameterError

DAY = pd.Timedelta("1D")


def retrain_times(det, table) -> pd.DatetimeIndex:
    times = []
    for b in batches(table):
        job = det.learn(b)
        if job is not None:
            times.append(job.data_time)
            assert job.run_sync()
    return pd.DatetimeIndex(times)


def test_one_series_waits_for_its_history_to_grow_a_quarter():
    # every 4 h (was 2 h: the same rule, half the batches to learn): warm at day 21.5 (128
    # rows), then gaps of 5.5 d (a quarter of the age, ceiled to a batch), 6.8 d, 7 d (the cap)
    table = fleet(n_sectors=1, days=45, step="4h")
    det = IsolationForestDetector(n_estimators=10, window_size=400)
    times = retrain_times(det, table)
    # the age counts from the first row, later by the first model's wait for rows past
    # the features' cold start (young42)
    first = table["timestamp"].min() + (times[0] - det.ready_time_)
    for before, after in itertools.pairwise(times):
        age = before - first
        gap = max(min(DAY, age), min(age * 0.25, 7 * DAY))
        assert after - before == gap.ceil("4h")  # the first batch past the gap
    assert (times[1:] - times[:-1]).max() == 7 * DAY
    assert len(times) < 12  # daily: 35


@pytest.mark.parametrize(("sectors", "growth"), [(1, 0.0), (12, None)])
def test_fleets_and_growth_zero_retrain_every_interval(sectors, growth):
    det = IsolationForestDetector(n_estimators=10, window_size=400, retrain_growth=growth)
    times = retrain_times(det, fleet(n_sectors=sectors, days=17, step="2h"))
    gaps = times[1:] - times[:-1]
    # one series is warm at day 12.25: 128 rows past its cold start (young42: the first
    # model waits for rows whose features had history; 128 rows in all: day 10.7)
    assert (gaps[gaps >= DAY] == DAY).all() and (gaps == DAY).sum() >= 4


def test_retrain_growth_is_checked():
    with pytest.raises(ParameterError, match="retrain_growth"):
        IsolationForestDetector(retrain_growth=2.0)
    assert IsolationForestDetector(retrain_growth=0.5).get_params()["retrain_growth"] == 0.5


def test_turnover_gap_is_a_share_of_the_window_span_capped():
    assert turnover_gap(100 * DAY, DAY, 0.1) == 10 * DAY
    assert turnover_gap(1000 * DAY, DAY, 0.1) == MAX_TURNOVER_STRETCH * DAY
    assert turnover_gap(100 * DAY, DAY, 0.0) == pd.Timedelta(0)


def test_a_full_window_waits_for_its_turnover():
    # one series every 6 h, a window of 150 rows: first model at 128 rows (day 32.25), the
    # growth rule's gap until the window is full; at day 39.25 its 150 rows of the 155
    # learned span 38 d, so half of it is new 19 d later (turnover 0.5), not 7 d (the cap)
    table = fleet(n_sectors=1, days=80, step="6h")
    first = table["timestamp"].min()

    def detector(turnover):
        return IsolationForestDetector(n_estimators=5, window_size=150, retrain_turnover=turnover)

    times, base = retrain_times(detector(0.5), table), retrain_times(detector(0.0), table)
    full = first + 37.5 * DAY
    assert [t for t in times if t <= full] == [t for t in base if t <= full]
    late, was = ([b - a for a, b in itertools.pairwise(ts) if a > full] for ts in (times, base))
    assert len(late) >= 2 and set(late) == {19 * DAY} and set(was) == {7 * DAY}
    fast = detector(0.5)  # the replay's fast path finds the same retrains
    fast.score_stream(table)
    assert fast.model_version_ == len(times) and fast.last_retrain_ == times[-1]


def test_retrain_turnover_is_checked_and_off_for_fleets():
    with pytest.raises(ParameterError, match="retrain_turnover"):
        IsolationForestDetector(retrain_turnover=1.5)
    det = IsolationForestDetector(n_estimators=10, window_size=400)
    retrain_times(det, fleet(n_sectors=12, days=3, step="2h"))
    det._window_span = 100 * DAY  # as if a full window had spanned 100 days
    assert det._retrain_gap(det.first_time_) == DAY  # a fleet: every interval
    det.retrain_turnover = 0.1
    assert det._retrain_gap(det.first_time_) == 10 * DAY


def test_a_checkpoint_keeps_the_full_windows_span():
    from telecom_nb.engine.snapshot import capture, restore

    table = fleet(n_sectors=1, days=80, step="6h")
    cut = table["timestamp"].min() + 45 * DAY  # after the first retrain of a full window

    def detector():
        return IsolationForestDetector(n_estimators=5, window_size=150, retrain_turnover=0.5)

    whole = retrain_times(detector(), table)
    det = detector()
    before = retrain_times(det, table[table["timestamp"] < cut])
    resumed = restore(detector(), *capture(det))
    assert resumed._window_span == det._window_span is not None
    after = retrain_times(resumed, table[table["timestamp"] >= cut])
    assert before.append(after).equals(whole)


def test_the_first_models_wait_for_warm_rows_does_not_move_the_young_schedule():
    # young42: the first model waits for 128 rows past the features' cold start; the young
    # schedule doubles the age at each retrain, and counted from the first row that wait
    # moved the retrains of the next day by 16x it (the lte stand-in's first weekend read
    # by a model of the day before: 60 -> 241 false rows; NAB 69.94 -> 67.30)
    table = fleet(n_sectors=1, days=2, step="5min")
    det = IsolationForestDetector(n_estimators=10)
    times = retrain_times(det, table)
    assert times[0] > det.ready_time_  # it waited past the window's size rule
    assert times[1] - times[0] == det.ready_time_ - table["timestamp"].min()  # the age then


def test_one_series_full_window_waits_for_a_quarter_of_it_new_and_its_pass_agrees():
    # one49: by default one series' full window (150 rows every 6 h, 38 d at day 39.25)
    # refits once a quarter of it is new, 9.5 d later (a tenth, 3.8 d, was under the
    # growth rule's weekly cap: 7 d); the one-series pass finds the same retrains and scores
    table = fleet(n_sectors=1, days=80, step="6h")
    first = table["timestamp"].min()
    loop = IsolationForestDetector(n_estimators=5, window_size=150)
    times, scores = [], []
    for b in batches(table):
        scores.append(loop.score(b).score)
        job = loop.learn(b)
        if job is not None:
            times.append(job.data_time)
            assert job.run_sync()
    late = [b - a for a, b in itertools.pairwise(times) if a > first + 37.5 * DAY]
    assert len(late) >= 3 and set(late) == {9.5 * DAY}
    fast = IsolationForestDetector(n_estimators=5, window_size=150)
    got = fast.score_stream(table)
    np.testing.assert_array_equal(got.score, np.concatenate(scores))
    assert fast.model_version_ == len(times) and fast.last_retrain_ == times[-1]
