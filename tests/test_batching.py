"""One definition of 'a batch per timestamp' and of the progress bar."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb.batching import progress, run_bounds, timestamp_bounds


def test_run_bounds_cut_runs_of_equal_keys():
    assert run_bounds(np.array([5, 5, 7, 9, 9, 9])).tolist() == [0, 2, 3, 6]
    assert run_bounds(np.array([1])).tolist() == [0, 1]
    assert run_bounds(np.array([], dtype=np.int64)).tolist() == [0, 0]


def test_timestamp_bounds_of_a_tz_aware_table():
    stamps = pd.to_datetime(["2026-01-05 00:00", "2026-01-05 00:00", "2026-01-05 00:15"],
                            utc=True)
    frame = pd.DataFrame({"timestamp": stamps, "v": [1, 2, 3]})
    assert timestamp_bounds(frame).tolist() == [0, 2, 3]
    assert timestamp_bounds(frame.iloc[:0]).tolist() == [0]


def test_progress_disabled_returns_the_iterable_itself():
    items = [1, 2, 3]
    assert progress(items, desc="x", enabled=False) is items
    assert list(progress(items, desc="x")) == items
