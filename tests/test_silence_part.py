"""The zero-run record (detectors/silence_part.py): a bursty series silent longer than ever."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_features import batches

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.param_paths import param_refs
from telecom_nb.detectors.silence_part import NONE, ZeroRuns
from telecom_nb.engine.snapshot import capture, restore
from telecom_nb.errors import ParameterError

DAY = pd.Timedelta("1D")


def _bursty(step: str, days: int = 6, silence: str = "20h", seed: int = 3) -> pd.DataFrame:
    """Exact zeros between bursts (about one an hour, 15-45 minutes long), then a silence of
    ``silence`` from day ``days - 1`` on (labelled ``quiet``), then bursts again."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range(
        "2026-03-02", periods=int(days * DAY / pd.Timedelta(step)), freq=step, tz="UTC"
    )
    minutes = ((ts - ts[0]) / pd.Timedelta("1min")).to_numpy()
    value = np.zeros(len(ts))
    t = 0.0
    while t < minutes[-1]:
        t += rng.uniform(20, 120)  # a gap, then a burst
        on = (minutes >= t) & (minutes < t + rng.uniform(15, 45))
        value[on] = rng.uniform(5, 50, on.sum())
        t += 45
    elapsed = ts - ts[0]
    quiet = (elapsed >= (days - 1.5) * DAY) & (elapsed < (days - 1.5) * DAY + pd.Timedelta(silence))
    value[quiet] = 0.0
    return pd.DataFrame({schema.TIMESTAMP: ts, schema.SECTOR: "s", "v": value, "quiet": quiet})


@pytest.mark.parametrize("step", ["5min", "30min"])
def test_a_silence_longer_than_any_reads_once_in_it_at_any_cadence(step):
    frame = _bursty(step)
    runs = ZeroRuns()
    ns = pd.DatetimeIndex(frame[schema.TIMESTAMP]).asi8
    read = runs.rows(
        np.zeros(len(frame), np.int64), ns, frame[["v"]].to_numpy(), True, 1.25, 30, 3.0
    )
    assert (read > 0).sum() == 1  # once per run, at its onset
    assert read[frame["quiet"].to_numpy()].max() >= 3.0
    assert runs.count[0, 0] >= 30  # the runs were counted in data time at either cadence


def test_reading_without_update_writes_nothing():
    frame = _bursty("15min")
    runs = ZeroRuns()
    ns, v = pd.DatetimeIndex(frame[schema.TIMESTAMP]).asi8, frame[["v"]].to_numpy()
    quiet = np.flatnonzero(frame["quiet"].to_numpy())
    at = quiet[len(quiet) - 2]  # deep in the silence
    pos = np.zeros(at, np.int64)
    runs.rows(pos, ns[:at], v[:at], True, 1.25, 30, 3.0)
    before = [a.copy() for a in (runs.count, runs.longest, runs.total, runs.start, runs.fired)]
    assert runs.start[0, 0] != NONE and runs.fired[0, 0]
    again = runs.rows(np.zeros(1, np.int64), ns[at : at + 1], v[at : at + 1], False, 1.25, 30, 3.0)
    assert again[0] == 0.0  # already read at its onset
    for a, b in zip(
        before, (runs.count, runs.longest, runs.total, runs.start, runs.fired), strict=True
    ):
        np.testing.assert_array_equal(a, b)


def _scores_by_loop(frame: pd.DataFrame, **params) -> np.ndarray:
    det = make_detector("iforest", kpis=["v"], n_estimators=10, **params)
    out = []
    for b in batches(frame):
        out.append(det.score(b).score)
        job = det.learn(b)
        if job is not None:
            job.run_sync()
    return np.concatenate(out)


def test_the_one_series_pass_equals_the_loop_and_the_part_reads_in_the_detector():
    frame = _bursty("30min", days=8)[[schema.TIMESTAMP, schema.SECTOR, "v"]]
    quiet = _bursty("30min", days=8)["quiet"].to_numpy()
    fast = make_detector("iforest", kpis=["v"], n_estimators=10).score_stream(frame).score
    np.testing.assert_array_equal(fast, _scores_by_loop(frame))
    off = make_detector("iforest", kpis=["v"], n_estimators=10, silence_margin=0)
    assert fast[quiet].max() >= 3.0 > off.score_stream(frame).score[quiet].max()


def restored_halves(frame: pd.DataFrame, cut: int, added: str):
    """Assert a detector checkpointed at ``cut`` and restored scores the rest as the
    uninterrupted one; return one restored from that checkpoint without its ``added``
    state (saved by code from before it)."""
    whole = make_detector("iforest", kpis=["v"], n_estimators=10).score_stream(frame).score
    det = make_detector("iforest", kpis=["v"], n_estimators=10)
    first = det.score_stream(frame.iloc[:cut]).score
    tree, arrays = capture(det)
    back = restore(make_detector("iforest", kpis=["v"], n_estimators=10), tree, arrays)
    rest = back.score_stream(frame.iloc[cut:]).score
    np.testing.assert_array_equal(np.r_[first, rest], whole)
    del tree["attrs"][added]
    return restore(make_detector("iforest", kpis=["v"], n_estimators=10), tree, arrays)


def test_a_restored_record_continues_and_an_old_checkpoint_starts_it_afresh():
    frame = _bursty("30min", days=8)[[schema.TIMESTAMP, schema.SECTOR, "v"]]
    old = restored_halves(frame, len(frame) // 2, "_silence")
    assert len(old._silence.count) == 0


def test_parameters_are_checked_and_listed():
    with pytest.raises(ParameterError, match="silence_margin"):
        make_detector("iforest", silence_margin=0.5)
    with pytest.raises(ParameterError, match="silence_runs"):
        make_detector("iforest", silence_runs=0)
    assert {"silence_margin", "silence_runs"} <= set(param_refs(make_detector("iforest")))
