"""Row slices over threads: every row once, the caller's thread first, errors raised."""

from __future__ import annotations

import itertools
import threading

import pytest

from telecom_nb.features import row_split


def test_small_batches_stay_on_the_callers_thread():
    assert row_split.slices(row_split.PARALLEL_ROWS - 1) == [(0, row_split.PARALLEL_ROWS - 1)]
    seen = []
    row_split.over_rows(10, lambda lo, hi: seen.append((lo, hi, threading.get_ident())))
    assert seen == [(0, 10, threading.get_ident())]


@pytest.mark.usefixtures("split_rows")
@pytest.mark.parametrize("n", [24, 25, 100, 1001])
def test_slices_cover_every_row_once(n):
    parts = row_split.slices(n)
    assert len(parts) == 3
    assert parts[0][0] == 0 and parts[-1][1] == n
    assert all(a[1] == b[0] and a[0] < a[1] for a, b in itertools.pairwise(parts))
    hits = [0] * n
    threads = set()

    def visit(lo: int, hi: int) -> None:
        threads.add(threading.get_ident())
        for i in range(lo, hi):
            hits[i] += 1

    row_split.over_rows(n, visit)
    assert hits == [1] * n
    assert threading.get_ident() in threads


@pytest.mark.usefixtures("split_rows")
def test_an_error_in_a_slice_is_raised():
    def fail_late(lo: int, hi: int) -> None:
        if hi == 100:
            raise ValueError("last slice")

    with pytest.raises(ValueError, match="last slice"):
        row_split.over_rows(100, fail_late)
