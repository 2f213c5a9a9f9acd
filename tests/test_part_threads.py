"""A large tick's parts on two threads (:mod:`telecom_nb.features.part_threads`) give the
serial numbers, whichever part runs first, and raise the serial order's error."""

from __future__ import annotations

import threading
import time
import types
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np
import pytest

from telecom_nb import heap_trim
from telecom_nb.engine.snapshot import capture
from telecom_nb.features import part_threads
from telecom_nb.features.peers import PeerComparison
from telecom_nb.features.pipeline import KpiFeatures
from telecom_nb.sources.simulator import KpiSimulator

SECTORS, TICKS = 60, 12


class _Ordered:
    """An executor whose one task runs at submit ("first") or when its result is asked
    ("last"): the two extreme interleavings of a side part with the caller's."""

    def __init__(self, when: str) -> None:
        self.when = when

    def submit(self, call: Callable[[], object]) -> Future:
        future: Future = _Lazy(call)
        if self.when == "first":
            future.run_now()
        return future


class _Lazy(Future):
    def __init__(self, call: Callable[[], object]) -> None:
        super().__init__()
        self.call = call

    def run_now(self) -> None:
        if not self.done():
            try:
                self.set_result(self.call())
            except BaseException as error:
                self.set_exception(error)

    def result(self, timeout=None):
        self.run_now()
        return super().result(timeout)

    def exception(self, timeout=None):
        self.run_now()
        return super().exception(timeout)


@pytest.fixture(scope="module")
def batches() -> list:
    sim = KpiSimulator(n_sectors=SECTORS, seed=1860, step="1h")  # a cadence to learn
    return [sim.next_batch() for _ in range(TICKS)]


def _run(batches: list, threaded: bool, monkeypatch) -> tuple[list[np.ndarray], dict]:
    """Each batch's features (scored, then learned), then one batch learned unscored (the
    learning computes the seasonal z itself), and the state after."""
    monkeypatch.setattr(part_threads, "PARALLEL_ROWS", SECTORS if threaded else 10**9)
    monkeypatch.setattr(part_threads.row_split, "threads", lambda: 2)
    features = KpiFeatures()
    out = []
    for batch in batches:
        out.append(features.transform(batch).to_numpy())
        features.update(batch)
    features.update(batches[0].copy())
    return out, capture(features)[1]


def _same(a: tuple[list[np.ndarray], dict], b: tuple[list[np.ndarray], dict]) -> None:
    for x, y in zip(a[0], b[0], strict=True):
        np.testing.assert_array_equal(x, y)
    assert a[1].keys() == b[1].keys()
    for name in a[1]:
        np.testing.assert_array_equal(a[1][name], b[1][name], err_msg=name)


@pytest.mark.parametrize("order", ["thread", "first", "last"])
def test_two_threads_give_the_serial_numbers(batches, monkeypatch, order):
    want = _run(batches, False, monkeypatch)
    sides: list[str] = []
    if order == "thread":  # the real parts thread: it ran the side parts
        spy = PeerComparison.transform_view

        def noted(self, view):
            sides.append(threading.current_thread().name)
            return spy(self, view)

        monkeypatch.setattr(PeerComparison, "transform_view", noted)
    else:  # a side part run before, or after, all of the caller's
        monkeypatch.setattr(part_threads, "_executor", lambda: _Ordered(order))
    _same(_run(batches, True, monkeypatch), want)
    if order == "thread":
        # from the second tick (the first one's registry is empty: a few series)
        assert sum(name.startswith("part") for name in sides) == TICKS - 1


def test_a_small_tick_stays_on_one_thread(batches, monkeypatch):
    def refuse():
        raise AssertionError("a small tick used the parts thread")

    monkeypatch.setattr(part_threads, "_executor", refuse)
    monkeypatch.setattr(part_threads, "PARALLEL_ROWS", SECTORS + 1)
    features = KpiFeatures()
    for batch in batches[:2]:
        features.transform(batch)
        features.update(batch)


def test_the_serial_orders_error_surfaces(batches, monkeypatch):
    monkeypatch.setattr(part_threads, "PARALLEL_ROWS", SECTORS)
    monkeypatch.setattr(part_threads.row_split, "threads", lambda: 2)
    features = KpiFeatures()
    features.transform(batches[0])
    features.update(batches[0])
    season = features.parts_[0]

    def peers_fail(view):
        raise ValueError("peer part failed")

    peers = next(p for p in features.parts_ if isinstance(p, PeerComparison))
    monkeypatch.setattr(peers, "transform_view", peers_fail)
    with pytest.raises(ValueError, match=r"^peer part failed$"):  # on the parts thread
        features.transform(batches[1])

    def season_fails(view):
        raise RuntimeError("seasonal z failed")

    monkeypatch.setattr(season, "transform_view", season_fails)
    with pytest.raises(RuntimeError, match=r"^seasonal z failed$"):  # earlier in the order
        features.transform(batches[2])  # (batch 1's seasonal z is kept from the call above)
    monkeypatch.undo()
    monkeypatch.setattr(part_threads, "PARALLEL_ROWS", SECTORS)
    monkeypatch.setattr(part_threads.row_split, "threads", lambda: 2)

    def learn_fails(view):
        raise KeyError("seasonal learn failed")

    monkeypatch.setattr(season, "update_view", learn_fails)
    features.transform(batches[1])
    with pytest.raises(KeyError, match="seasonal learn failed"):
        features.update(batches[1])


def test_overlap_raises_the_first_error_in_serial_order():
    def fail(message: str) -> Callable[[], None]:
        def call() -> None:
            raise ValueError(message)

        return call

    done = threading.Event()

    finished = []

    def slow_side() -> None:
        done.wait(5)
        time.sleep(0.05)
        finished.append(True)
        raise ValueError("side")

    def before() -> None:
        done.set()
        raise ValueError("before")

    with pytest.raises(ValueError, match=r"^before$"):
        part_threads.overlap(slow_side, before=before)
    assert finished  # joined before raising: nothing runs on after the call
    with pytest.raises(ValueError, match=r"^side$"):
        part_threads.overlap(fail("side"), before=lambda: 1, after=fail("after"))
    with pytest.raises(ValueError, match=r"^after$"):
        part_threads.overlap(lambda: 2, before=lambda: 1, after=fail("after"))
    assert part_threads.overlap(lambda: 2, before=lambda: 1, after=lambda: 3) == (1, 2, 3)


def test_the_parts_leave_the_heap_to_the_end_of_the_tick(monkeypatch):
    """A trim between the parts hands back pages the rest of the tick faults in again
    (~3-6k minor faults a 100k tick); the runner trims once, after the tick's sinks."""
    trims = []
    monkeypatch.setattr(heap_trim, "_LIBC",
                        types.SimpleNamespace(malloc_trim=lambda pad: trims.append(pad)))
    assert part_threads.overlap(lambda: "side", lambda: "before", lambda: "after") == (
        "before", "side", "after")
    assert trims == []
