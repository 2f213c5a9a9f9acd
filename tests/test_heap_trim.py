"""A large tick's freed memory goes back to the OS after the tick (engine/heap.py)."""

from __future__ import annotations

import threading

import pyarrow as pa
from pipeline_fakes import ListSource, ThresholdDetector, make_batch, make_runner, run

from telecom_nb.engine import heap, runner
from telecom_nb.errors import KpiInputError


def test_a_large_tick_is_trimmed_after_its_sinks_on_the_loop_thread(monkeypatch):
    events = []
    monkeypatch.setattr(runner, "trim_heap", lambda: events.append(
        ("trim", threading.current_thread() is threading.main_thread())) or True)
    pipe = make_runner(ListSource([make_batch(0, 50), make_batch(1, 3), make_batch(2, 50)]),
                       ThresholdDetector(), [lambda s: events.append(("sink", len(s.frame)))],
                       interval=0, offload_rows=10)
    run(pipe.step(3))
    # the sinks' temporaries go back too; a small tick (in line) is not trimmed
    assert events == [("sink", 50), ("trim", True), ("sink", 3), ("sink", 50), ("trim", True)]


def test_a_rejected_large_tick_is_trimmed_too(monkeypatch):
    calls = []
    monkeypatch.setattr(runner, "trim_heap", lambda: calls.append(1) or True)
    pipe = make_runner(ListSource([make_batch(0, 50)]), ThresholdDetector(), interval=0,
                       offload_rows=10)

    def rejects(batch):
        raise KpiInputError("bad batch")

    monkeypatch.setattr(pipe.engine, "run", rejects)
    assert run(pipe.step(1)) == []
    assert calls == [1]


def test_trim_heap_says_whether_it_could():
    assert heap.trim_heap() is (heap._TRIM is not None)


def test_arenas_are_capped_where_malloc_allows_it():
    assert heap.limit_arenas() is (heap._TRIM is not None)


def test_arrow_allocates_from_malloc_where_the_heap_is_trimmed():
    assert heap.use_system_pool() is (heap._TRIM is not None)
    if heap._TRIM is not None:
        assert pa.default_memory_pool().backend_name == "system"
        assert pa.array(["a", "b"]).buffers()[-1] is not None  # allocates from it


def test_the_compilers_pages_are_let_go_and_mapped_again_when_it_runs():
    import numba

    from telecom_nb import heap_trim

    assert numba.njit(lambda x: x + 1)(1) == 2  # LLVM's code runs: its pages are mapped
    if not heap_trim._clean_mappings(heap_trim.COMPILER_LIBRARY):
        return  # not Linux: nothing to read or release
    assert heap_trim.release_compiler_code() > 1024  # KiB
    left = sum(rss for *_, rss in heap_trim._clean_mappings(heap_trim.COMPILER_LIBRARY))
    assert left < 1024, left
    assert numba.njit(lambda x: x * 3)(2) == 6  # compiles again from the file's pages
    assert sum(rss for *_, rss in heap_trim._clean_mappings(heap_trim.COMPILER_LIBRARY)) > left


def test_the_compilers_pages_are_read_again_only_after_a_kernel_loads(monkeypatch):
    """``release_new_compiler_code`` reads /proc/self/smaps (~9 ms) only when numba has
    loaded or compiled a kernel since the last release."""
    import numba

    from telecom_nb import heap_trim

    reads = []
    monkeypatch.setattr(heap_trim, "_CLEAN_RANGES", {})
    monkeypatch.setattr(heap_trim, "_clean_mappings", lambda _: reads.append(1) or [])
    heap_trim.release_compiler_code()
    if not reads:
        return  # not Linux: nothing to read or release
    heap_trim.release_new_compiler_code()
    heap_trim.release_new_compiler_code()
    assert len(reads) == 1
    assert numba.njit(lambda x: x - 4)(5) == 1  # a new kernel: LLVM's pages mapped again
    heap_trim.release_new_compiler_code()
    heap_trim.release_new_compiler_code()
    assert len(reads) == 2


def test_large_blocks_are_asked_for_unless_the_user_set_it(monkeypatch):
    """Where glibc answers, ``return_large_blocks`` sets its mmap threshold (read in this
    process only: allocator settings in children aborted on CI); a
    ``MALLOC_MMAP_THRESHOLD_`` of the user's own wins."""
    from telecom_nb import heap_trim

    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert heap_trim.return_large_blocks() is (getattr(heap_trim._LIBC, "mallopt", None)
                                               is not None)
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert not heap_trim.return_large_blocks()


def test_the_heap_keeps_twice_the_threshold_free_at_its_top(monkeypatch):
    """Fixing glibc's mmap threshold also fixed its trim threshold at 128 KiB: a block
    freed at the heap's top was handed back and faulted in again at the next tick. The
    top keeps twice the threshold (glibc's own rule when it raises the threshold), unless
    the user set ``MALLOC_TRIM_THRESHOLD_``."""
    import types

    from telecom_nb import heap_trim

    calls = []

    def mallopt(param, value):
        calls.append((param, value))
        return 1

    monkeypatch.setattr(heap_trim, "_LIBC", types.SimpleNamespace(mallopt=mallopt))
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    assert heap_trim.return_large_blocks(8 * 2**20)
    assert calls == [(-1, 16 * 2**20), (-3, 8 * 2**20)]
    calls.clear()
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert heap_trim.return_large_blocks(8 * 2**20)
    assert calls == [(-3, 8 * 2**20)]


def test_a_replay_maps_alone_the_blocks_of_a_column_or_more():
    """A table's float64 column and larger get their own mappings; within glibc's range."""
    from telecom_nb.heap_trim import LARGE_BLOCK, MAX_LARGE_BLOCK, column_block

    assert column_block(1000) == LARGE_BLOCK  # the smallest: as before
    assert column_block(1_025_724) == 8 * 1_025_724  # an operator export of ~1M rows
    assert column_block(10**8) == MAX_LARGE_BLOCK


def test_the_compilers_clean_ranges_are_read_once_a_process(monkeypatch):
    """/proc/self/smaps (~16 ms CPU a read, three a ``detect``) is read at the first
    release that finds the library mapped; later releases let the same ranges go."""
    import numba

    from telecom_nb import heap_trim

    assert numba.njit(lambda x: x + 2)(1) == 3  # LLVM is mapped
    read = heap_trim._clean_mappings
    if not read(heap_trim.COMPILER_LIBRARY):
        return  # not Linux: nothing to read or release
    reads = []
    monkeypatch.setattr(heap_trim, "_CLEAN_RANGES", {}, raising=False)
    monkeypatch.setattr(heap_trim, "_clean_mappings", lambda lib: reads.append(1) or read(lib))
    assert heap_trim.release_compiler_code() > 1024  # KiB
    assert numba.njit(lambda x: x * 5)(2) == 10  # compiles: LLVM's pages mapped again
    assert sum(rss for *_, rss in read(heap_trim.COMPILER_LIBRARY)) > 1024
    assert heap_trim.release_compiler_code() > 1024
    assert len(reads) == 1
    assert sum(rss for *_, rss in read(heap_trim.COMPILER_LIBRARY)) < 1024  # let go again
