"""Where a NAB score is lost: the parts add up to perfect minus raw, file by file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb.evaluation.nab import PROFILES, file_layout, score_file
from telecom_nb.evaluation.nab_corpus import score_corpus
from telecom_nb.evaluation.nab_loss import corpus_loss, file_loss

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
