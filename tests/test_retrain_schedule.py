"""The retrain schedule on the data clock: doubling while young, then every interval;
a few series then stretch it with their history's age (at most weekly)."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from test_features import batches, fleet

from telecom_nb.detectors import IsolationForestDetector
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
    first = table["timestamp"].min()
    for before, after in itertools.pairwise(times):
        age = before - first
        gap = max(min(DAY, age), min(age * 0.25, 7 * DAY))
        assert after - before == gap.ceil("4h")  # the first batch past the gap
    assert (times[1:] - times[:-1]).max() == 7 * DAY
    assert len(times) < 12  # daily: 35


@pytest.mark.parametrize(("sectors", "growth"), [(1, 0.0), (12, None)])
def test_fleets_and_growth_zero_retrain_every_interval(sectors, growth):
    det = IsolationForestDetector(n_estimators=10, window_size=400, retrain_growth=growth)
    times = retrain_times(det, fleet(n_sectors=sectors, days=16, step="2h"))
    gaps = times[1:] - times[:-1]
    # one series is warm at day 10.7 (128 rows)
    assert (gaps[gaps >= DAY] == DAY).all() and (gaps == DAY).sum() >= 4


def test_retrain_growth_is_checked():
    with pytest.raises(ParameterError, match="retrain_growth"):
        IsolationForestDetector(retrain_growth=2.0)
    assert IsolationForestDetector(retrain_growth=0.5).get_params()["retrain_growth"] == 0.5
