"""The step-size record (detectors/step_record.py): a series moving in larger steps than ever,
inside its usual range."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_silence_part import _scores_by_loop, restored_halves

from telecom_nb import schema
from telecom_nb.cli import main
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.step_record import READING, WARM, WINDOW, StepRecord, _median
from telecom_nb.params import ParameterError


def _series(n: int, start: int, step: str = "5min", seed: int = 5) -> pd.DataFrame:
    """A level of 50 with small noise and lone spikes to 80 and 20 (the usual range), from
    row ``start`` on a jitter of 4 around it (inside the range; labelled ``moving``)."""
    rng = np.random.default_rng(seed)
    value = 50 + 0.3 * rng.standard_normal(n)
    spikes = np.arange(37, n, 53)
    value[spikes] += np.where(np.arange(len(spikes)) % 2 == 0, 30.0, -30.0)
    moving = np.arange(n) >= start
    value[moving] += np.clip(4.0 * rng.standard_normal(moving.sum()), -15, 15)
    ts = pd.date_range("2026-03-02", periods=n, freq=step, tz="UTC")
    return pd.DataFrame({schema.TIMESTAMP: ts, schema.SECTOR: "s", "v": value, "moving": moving})


def test_larger_steps_inside_the_range_read_once_at_their_onset():
    frame = _series(1200, 900)
    read = StepRecord().rows(np.zeros(len(frame), np.int64), frame[["v"]].to_numpy(), True)
    moving = frame["moving"].to_numpy()
    assert (read > 0).sum() == 1  # once, at the onset: later windows are compared with it
    assert read[moving].max() == READING
    assert np.flatnonzero(read)[0] < 900 + WINDOW  # within the first window of the change


def test_lone_spikes_and_a_young_series_do_not_read():
    frame = _series(1200, 1200)  # spikes only, no change
    v = frame[["v"]].to_numpy()
    assert StepRecord().rows(np.zeros(len(v), np.int64), v, True).max() == 0.0
    young = _series(WARM * WINDOW - 10, 100)  # a change before WARM windows are seen
    v = young[["v"]].to_numpy()
    assert StepRecord().rows(np.zeros(len(v), np.int64), v, True).max() == 0.0


def test_reading_without_update_writes_nothing_and_unknown_rows_are_skipped():
    frame = _series(1200, 900)
    v = frame[["v"]].to_numpy()
    rec = StepRecord()
    rec.rows(np.zeros(905, np.int64), v[:905], True)
    before = [a.copy() for a in (rec.last, rec.steps, rec.lagged, rec.seen, rec.best, rec.since)]
    rec.rows(np.zeros(1, np.int64), v[905:906], False)
    rec.rows(np.full(3, -1, np.int64), v[906:909], True)  # a sector never learned
    after = (rec.last, rec.steps, rec.lagged, rec.seen, rec.best, rec.since)
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_one_series_pass_equals_the_loop_and_the_record_reads_in_the_detector():
    whole = _series(480, 400, step="30min")
    frame = whole[[schema.TIMESTAMP, schema.SECTOR, "v"]]
    fast = make_detector("iforest", kpis=["v"], n_estimators=10).score_stream(frame).score
    np.testing.assert_array_equal(fast, _scores_by_loop(frame))
    assert fast[whole["moving"].to_numpy()].max() >= READING


def test_a_restored_record_continues_and_an_old_checkpoint_starts_it_afresh():
    frame = _series(480, 400, step="30min")[[schema.TIMESTAMP, schema.SECTOR, "v"]]
    old = restored_halves(frame, 350, "_steps")
    assert len(old._steps.seen) == 0


def test_the_record_parameters_are_listed_and_a_bad_one_refused_in_one_line(capsys, tmp_path):
    """nab50b: ``step_margin`` / ``step_window`` are listed by ``telecom-nb detectors`` and a
    bad value is refused in one line naming it."""
    assert main(["detectors"]) == 0
    listed = capsys.readouterr().out.split("\n\n")[0]
    assert "step_margin = 2.0" in listed and "step_window = 24" in listed
    for bad in ("step_margin=0.5", "step_window=1"):
        code = main(["detect", str(tmp_path / "missing.csv"), "--set", bad, "--out",
                     str(tmp_path / "o.csv")])
        err = capsys.readouterr().err.strip()
        assert code == 2 and len(err.splitlines()) == 1 and bad.split("=")[0] in err, err
    with pytest.raises(ParameterError, match="step_margin"):
        make_detector("iforest", step_margin=-1.0)


def test_zero_switches_the_record_off_and_a_running_detector_takes_a_new_margin():
    whole = _series(480, 400, step="30min")
    frame = whole[[schema.TIMESTAMP, schema.SECTOR, "v"]]
    moving = whole["moving"].to_numpy()
    off = make_detector("iforest", kpis=["v"], n_estimators=10, step_margin=0)
    assert off.score_stream(frame).score[moving].max() < 3.0
    for cut, reads in ((100, True), (390, False)):  # on again 300 / 10 rows before the change
        det = make_detector("iforest", kpis=["v"], n_estimators=10, step_margin=0)
        first = det.score_stream(frame.iloc[:cut]).score
        det.set_params(step_margin=2.0)
        rest = det.score_stream(frame.iloc[cut:]).score
        assert bool(np.r_[first, rest][moving].max() >= READING) is reads  # 8 windows seen?


def test_switched_off_the_record_forgets_and_on_again_starts_afresh():
    """A record paused for a while would compare today's steps with windows from before
    the pause (and its last value with one long gone): off forgets it."""
    frame = _series(480, 400, step="30min")[[schema.TIMESTAMP, schema.SECTOR, "v"]]
    det = make_detector("iforest", kpis=["v"], n_estimators=10)
    det.score_stream(frame.iloc[:300])
    assert det._steps.seen.sum() > 0
    det.set_params(step_margin=0)
    det.score_stream(frame.iloc[300:310])
    assert len(det._steps.seen) == 0
    det.set_params(step_margin=2.0)
    det.score_stream(frame.iloc[310:320])
    assert det._steps.seen.max() == 9  # the ten rows since: nine steps, nothing older


def test_the_window_median_is_numpys_to_the_bit():
    """nab50b's cheaper median (an in-place sort of one scratch window): the same float as
    ``np.median`` for odd and even windows, ties and zeros (rounded steps tie often)."""
    rng = np.random.default_rng(3)
    for m in (2, 3, 7, 24, 25):
        for _ in range(50):
            w = np.round(rng.exponential(1.0, m), int(rng.integers(0, 3)))
            assert _median(w.copy(), m) == np.median(w)
