"""A young window's snapshot is a read-only view that the window's later writes leave alone."""

from __future__ import annotations

import numpy as np
import pytest

from telecom_nb.detectors.window import SampleWindow


def rows(start: int, n: int, width: int = 3) -> np.ndarray:
    return np.arange(start * width, (start + n) * width, dtype=np.float64).reshape(n, width)


def test_young_snapshot_is_a_view_not_a_copy():
    window = SampleWindow(10, 3)
    window.append(rows(0, 4))
    snap = window.snapshot()
    assert np.shares_memory(snap, window._buf)  # no copy while the window is young
    assert not snap.flags.writeable
    with pytest.raises(ValueError):
        snap[0, 0] = 1.0
    window.append(rows(4, 5))  # below the ring's end: written after the view's rows
    assert np.shares_memory(snap, window._buf)
    np.testing.assert_array_equal(snap, rows(0, 4))
    np.testing.assert_array_equal(window.snapshot(), rows(0, 9))


@pytest.mark.parametrize("batch", [1, 3, 10, 25])
def test_snapshots_keep_their_rows_through_wraps_and_long_batches(batch):
    window, taken, appended = SampleWindow(10, 3), [], 0
    while appended < 60:
        window.append(rows(appended, batch))
        appended += batch
        taken.append((appended, window.snapshot()))
    for end, snap in taken:  # each one as the window held it then
        np.testing.assert_array_equal(snap, rows(max(end - 10, 0), min(end, 10)))


def test_refill_leaves_a_young_snapshot_as_taken():
    window = SampleWindow(10, 3)
    window.append(rows(0, 8))
    snap = window.snapshot()
    draw = window.refill(4, np.array([1]), None)
    assert len(draw) == 4
    np.testing.assert_array_equal(snap, rows(0, 8))
    after = window.snapshot()
    assert not np.array_equal(after[:4, 1], rows(0, 4)[:, 1])  # the window's own rows moved
    np.testing.assert_array_equal(after[4:], rows(4, 4))
