"""The parts' columns found from the feature names, kept while the names stay the same."""

from __future__ import annotations

from telecom_nb.bench import make_replay_table
from telecom_nb.detectors import make_detector


def test_kept_columns_are_the_fresh_ones_and_follow_the_names():
    det = make_detector("iforest")
    det.score_stream(make_replay_table(400, one_series=True, seed=2019))
    kept = det._part_params()
    assert det._part_params() == kept
    det._names_memo = None
    assert det._part_params() == kept  # found again: the same columns
    key, found = det._names_memo
    det._names_memo = ((key[0], ("another KPI",)), {k: ((0,),) for k in found})
    assert det._part_params() == kept  # other names or KPIs: found again
    assert det._names_memo[0] == key
