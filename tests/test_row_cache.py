"""The window's row-wise transforms kept across retrains (detectors/row_cache.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb.detectors import make_detector
from telecom_nb.detectors.fit_inputs import FitInputs
from telecom_nb.detectors.joint import bounded
from telecom_nb.detectors.row_cache import RowCache
from telecom_nb.detectors.window import SampleWindow
from telecom_nb.engine.snapshot import capture, restore


def _counted(calls: list[int]):
    def transform(rows: np.ndarray) -> np.ndarray:
        calls.append(len(rows))
        return bounded(rows)

    return transform


def test_only_new_rows_are_transformed_and_the_result_is_the_whole_transform():
    rng = np.random.default_rng(2016)
    window, cache, calls = SampleWindow(500, 3), RowCache(), []
    for step in range(6):
        window.append(rng.standard_normal((170, 3)) * 5)
        rows = window.snapshot()
        out = cache.rows("b", (0, 1, 2), window.row_key(), rows, _counted(calls))
        assert np.array_equal(out.view(np.uint64), bounded(rows).view(np.uint64))
        if step:  # 170 rows appended since: only those are transformed
            assert calls[-1] == 170
    assert calls[0] == 170


def test_a_changed_window_or_transform_computes_every_row():
    rng = np.random.default_rng(2017)
    window, cache, calls = SampleWindow(400, 2), RowCache(), []
    window.append(rng.standard_normal((400, 2)))
    cache.rows("b", 1, window.row_key(), window.snapshot(), _counted(calls))
    window.append(rng.standard_normal((40, 2)))
    cache.rows("b", 2, window.row_key(), window.snapshot(), _counted(calls))  # other columns
    assert calls[-1] == 400
    window.refill(420, np.array([1]), None)  # kept rows changed: a new name
    rows = window.snapshot()
    out = cache.rows("b", 2, window.row_key(), rows, _counted(calls))
    assert calls[-1] == 400 and np.array_equal(out, bounded(rows))
    assert cache.rows("b", 2, None, rows, _counted(calls)) is not None and calls[-1] == 400


def test_a_young_windows_warm_rows_keep_their_names():
    """A window still holding its cold start (its first all-0 rows) fits on the warm rows
    only (``FitInputs.warm``): they keep their names, so each fit transforms only the rows
    appended since the last one, and the numbers are the whole transform's."""
    rng = np.random.default_rng(2019)
    window, previous, cache, calls = SampleWindow(5_000, 3), SampleWindow(5_000, 3), RowCache(), []
    window.append(np.zeros((90, 3)))  # the cold start
    previous.append(np.full((90, 3), np.nan))
    for step in range(5):
        rows = rng.standard_normal((170, 3)) * 5
        window.append(rows)
        previous.append(np.abs(rows))
        inputs = FitInputs(window.snapshot(), {}, True, 1, previous.snapshot(),
                           (window.row_key(), previous.row_key())).warm(least=100)
        assert len(inputs.window) == 170 * (step + 1)  # the cold rows left out
        assert inputs.rows == ((window.row_key()[0], 90), (previous.row_key()[0], 90))
        out = cache.rows("b", (0, 1, 2), inputs.rows[0], inputs.window, _counted(calls))
        assert np.array_equal(out.view(np.uint64), bounded(inputs.window).view(np.uint64))
        assert calls[-1] == 170  # only the rows appended since the last fit


def test_a_restored_window_names_its_rows_anew():
    window = SampleWindow(50, 2)
    window.append(np.ones((60, 2)))
    before = window.row_key()
    tree, arrays = capture(window)
    assert restore(window, tree, arrays).row_key() != before
    assert before[1] == 10  # rows appended before the snapshot's first


def _table(rows: int) -> pd.DataFrame:
    from telecom_nb.bench import make_replay_table

    return make_replay_table(rows, one_series=True, seed=2018)


@pytest.mark.parametrize("rows, window_size", [(2500, 600), (1200, 5_000)])
def test_a_one_series_replay_scores_as_without_the_cache(monkeypatch, rows, window_size):
    """A full window's fits, and a young one's (never full: its cold start stays in it)."""
    table = _table(rows)

    def scores() -> np.ndarray:
        det = make_detector("iforest", window_size=window_size)
        return det.score_stream(table).score

    kept = scores()
    from telecom_nb.detectors.iforest import IsolationForestDetector

    monkeypatch.setattr(IsolationForestDetector, "caches_rows", False)
    assert np.array_equal(kept, scores())
