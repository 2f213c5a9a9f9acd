"""Row slices over threads: every row once, none waiting for a late helper, errors raised."""

from __future__ import annotations

import itertools
import threading

import pytest

from telecom_nb.features import row_split


def test_small_batches_and_one_thread_stay_on_the_callers_thread(monkeypatch):
    assert row_split.slices(row_split.PARALLEL_ROWS - 1) == [(0, row_split.PARALLEL_ROWS - 1)]
    monkeypatch.setattr(row_split, "threads", lambda: 1)  # NUMBA_NUM_THREADS=1, one core
    big = 10 * row_split.PARALLEL_ROWS
    assert row_split.slices(big) == [(0, big)]
    row_split.over_rows(big, lambda lo, hi: None)
    seen = []
    row_split.over_rows(10, lambda lo, hi: seen.append((lo, hi, threading.get_ident())))
    assert seen == [(0, 10, threading.get_ident())]


@pytest.mark.usefixtures("split_rows")
@pytest.mark.parametrize("n", [24, 25, 100, 1001])
def test_slices_cover_every_row_once(n):
    parts = row_split.slices(n)
    assert len(parts) == min(12, n // 8)
    assert parts[0][0] == 0 and parts[-1][1] == n
    assert all(a[1] == b[0] and a[0] < a[1] for a, b in itertools.pairwise(parts))
    hits = [0] * n

    def visit(lo: int, hi: int) -> None:
        for i in range(lo, hi):
            hits[i] += 1

    row_split.over_rows(n, visit)
    assert hits == [1] * n


def test_a_late_helper_leaves_its_slices_to_the_caller(monkeypatch):
    monkeypatch.setattr(row_split, "PARALLEL_ROWS", 24)
    monkeypatch.setattr(row_split, "MIN_SLICE", 8)
    monkeypatch.setattr(row_split, "threads", lambda: 2)
    gate = threading.Event()
    pool = row_split._executor(1)
    for _ in range(row_split._pool[1]):  # every helper busy elsewhere (queued first)
        pool.submit(gate.wait)
    seen = []
    try:
        row_split.over_rows(100, lambda lo, hi: seen.append((lo, hi, threading.get_ident())))
    finally:
        gate.set()
    assert sorted(s[:2] for s in seen) == row_split.slices(100)
    assert {s[2] for s in seen} == {threading.get_ident()}


@pytest.mark.usefixtures("split_rows")
def test_an_error_in_a_slice_is_raised():
    def fail_late(lo: int, hi: int) -> None:
        if hi == 100:
            raise ValueError("last slice")

    with pytest.raises(ValueError, match="last slice"):
        row_split.over_rows(100, fail_late)
