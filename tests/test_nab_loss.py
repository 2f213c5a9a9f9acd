"""Where a NAB score is lost: the parts add up to perfect minus raw, file by file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb.evaluation.nab import PROFILES, file_layout, score_file
from telecom_nb.evaluation.nab_corpus import corpus_rows, score_corpus
from telecom_nb.evaluation.nab_loss import (
    corpus_loss,
    false_alarm_places,
    file_loss,
    window_detail,
)
from telecom_nb.evaluation.nab_runner import NabResult

TS = pd.date_range("2020-01-01", periods=100, freq="5min")
WINS = [(TS[30], TS[39]), (TS[60], TS[69])]  # probation: 15 rows


@pytest.mark.parametrize("profile", list(PROFILES))
def test_the_parts_add_up_to_perfect_minus_raw(profile):
    prof = PROFILES[profile]
    det = np.zeros(100, dtype=bool)
    det[[5, 20, 35, 38, 45, 90]] = True  # probation, FP, late TP (+ a later one), FPs
    layout = file_layout(TS, WINS, prof)
    loss = file_loss(layout, det, prof)
    raw = score_file(TS, det, WINS, prof).score
    assert loss["fp"] + loss["late"] + loss["missed"] == pytest.approx(2 * prof.tp_weight - raw)
    assert (loss["n_fp"], loss["n_missed"], loss["windows"]) == (3, 1, 2)
    assert loss["missed"] == prof.tp_weight + prof.fn_weight
    assert 0 < loss["late"] < prof.tp_weight and loss["fp"] > 0


def test_corpus_loss_per_file_at_a_threshold():
    rng = np.random.default_rng(0)
    scores = {f"f{i}.csv": pd.Series(rng.random(100), index=TS) for i in range(3)}
    windows = {path: WINS for path in scores}
    frame = corpus_loss(scores, windows, "standard", 0.9)
    corpus = score_corpus(scores, windows, "standard", 0.9)
    assert set(frame.index) == set(scores)
    assert frame["loss"].sum() == pytest.approx(corpus.perfect - corpus.raw)
    assert frame["loss"].is_monotonic_decreasing


def test_false_alarms_are_placed_and_missed_windows_say_how_close_they_came():
    # 5-minute rows, one 2-hour pause before row 90; windows 30-39 and 60-69 (width 10)
    ts = pd.DatetimeIndex(list(TS[:90]) + list(TS[90:] + pd.Timedelta("2h")))
    wins = [(ts[30], ts[39]), (ts[60], ts[69])]
    alerts = np.zeros(100)
    alerts[[18, 25, 45, 55, 80, 91]] = 1.0  # young, before, after, before, other, gap
    alerts[62] = 0.5  # under the threshold: window 1 is missed, its alert peak 0.5
    rows = np.zeros(100)
    rows[[61, 66]] = [0.4, 0.8]
    kw = {"timestamps": {"f.csv": ts}}
    places = false_alarm_places({"f.csv": alerts}, {"f.csv": wins}, "standard", 0.9,
                                young="95min", **kw)
    assert places["row"].tolist() == [18, 25, 45, 55, 80, 91]
    assert places["place"].tolist() == ["young", "before", "after", "before", "other", "gap"]
    assert (places["cost"] > 0).all()
    detail = window_detail({"f.csv": alerts}, {"f.csv": wins}, "standard", 0.9,
                           row_scores={"f.csv": rows}, **kw)
    assert detail["found"].tolist() == [False, False]
    assert detail.loc[1, "peak_alert"] == 0.5 and detail.loc[1, "peak_row"] == 0.8
    assert detail.loc[1, "peak_row_first_half"] == 0.4
    assert detail.loc[0, "top_alert_outside"] == 1.0
    alerts[33] = 1.0
    found = window_detail({"f.csv": alerts}, {"f.csv": wins}, "standard", 0.9, **kw)
    assert found.loc[0, "found"] and found.loc[0, "at"] == pytest.approx(-0.7)


def test_the_rows_placed_once_read_as_placing_them_every_call():
    """``rows`` (``corpus_rows``, a run's :meth:`NabResult.placed`): the loss, the false
    alarms' places and the windows' detail as when each call placed the rows itself."""
    rng = np.random.default_rng(1)
    scores = {f"f{i}.csv": rng.random(100) for i in range(3)}
    windows = {path: WINS for path in scores}
    kw = {"timestamps": {path: TS for path in scores}}
    placed = corpus_rows(scores, windows, **kw)
    pd.testing.assert_frame_equal(corpus_loss(scores, windows, "standard", 0.9, rows=placed),
                                  corpus_loss(scores, windows, "standard", 0.9, **kw))
    for table in (false_alarm_places, window_detail):
        pd.testing.assert_frame_equal(table(scores, windows, "standard", 0.9, rows=placed, **kw),
                                      table(scores, windows, "standard", 0.9, **kw))
    result = NabResult("d", {"standard": 1.0}, {"standard": 0.9}, {}, {}, 300, 1.0,
                       list(scores), file_scores=scores, timestamps=kw["timestamps"],
                       windows=windows, profiles={"standard": PROFILES["standard"]})
    pd.testing.assert_frame_equal(result.loss("standard"),
                                  corpus_loss(scores, windows, "standard", 0.9, **kw))
    assert result.placed() is result.placed()  # placed once
