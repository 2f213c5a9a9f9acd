"""A large tick's freed memory goes back to the OS after the tick (engine/heap.py)."""

from __future__ import annotations

import threading

import pytest
from pipeline_fakes import ListSource, ThresholdDetector, make_batch, make_runner, run

from telecom_nb.engine import heap, runner


def test_a_large_tick_is_trimmed_after_it_ran_in_its_worker_thread(monkeypatch):
    calls = []
    monkeypatch.setattr(heap, "trim_heap", lambda: calls.append(
        threading.current_thread() is threading.main_thread()) or True)
    pipe = make_runner(ListSource([make_batch(0, 50), make_batch(1, 3), make_batch(2, 50)]),
                       ThresholdDetector(), interval=0, offload_rows=10)
    run(pipe.step(3))
    assert calls == [False, False]  # the two large ticks, each in its worker thread
    assert runner.trimmed is heap.trimmed


def test_trimmed_trims_also_when_the_tick_raises(monkeypatch):
    calls = []
    monkeypatch.setattr(heap, "trim_heap", lambda: calls.append(1) or True)

    def fails():
        raise ValueError("bad batch")

    with pytest.raises(ValueError):
        heap.trimmed(fails)
    assert heap.trimmed(len, [1, 2]) == 2
    assert calls == [1, 1]


def test_trim_heap_says_whether_it_could():
    assert heap.trim_heap() is (heap._TRIM is not None)
