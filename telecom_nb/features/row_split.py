"""A large tick's row-wise compiled passes split over threads, with the same numbers.

Most of a 100k-sector tick's feature work is compiled loops over rows (the seasonal
expectation and learning, the robust tables' updates, the area's medians, the
persistence z, the stacking), each row computed alone and written to its own cells. The
kernels release the GIL (``nogil``), so the rows are cut into a few slices per thread,
run by the calling thread and a small pool at once, each slice the *same* compiled
function (same types: a row slice of a C-ordered array is C-ordered): no new
compilation, no per-row Python, and every row's bits as in one pass. Below
:data:`PARALLEL_ROWS` rows (a 500-sector tick) the call runs as before, on the caller.

A pass that updates state in place may be split only where no two rows touch the same
cell (the callers check: a live tick's rows are distinct sectors). The slices go to
whichever thread is free first: on a loaded machine, where a helper may be woken
milliseconds late, the caller runs the rest itself rather than wait.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

try:
    import numba
except ImportError:  # pragma: no cover - numba is a dependency
    numba = None

#: from this many rows a pass is split over threads (below, a hand-off costs more than it
#: saves), in slices of at least :data:`MIN_SLICE` rows
PARALLEL_ROWS = 20_000
MIN_SLICE = 4096
#: slices per thread: a thread that starts late leaves its share to the others
SLICES_PER_THREAD = 4

_lock = threading.Lock()
_pool: tuple[int, int, ThreadPoolExecutor] | None = None  # (process, workers, pool)


def threads() -> int:
    """Threads a pass may use: ``NUMBA_NUM_THREADS`` (default: the CPUs this process may
    run on), read from numba's config and not through ``numba.get_num_threads()``, which
    starts numba's threading layer (OpenMP or TBB threads) that nothing here uses."""
    if numba is None:
        return 1
    return max(1, int(numba.config.NUMBA_NUM_THREADS))


def _executor(workers: int) -> ThreadPoolExecutor:
    """The helper threads (made once per process: a forked child makes its own)."""
    global _pool
    with _lock:
        if _pool is None or _pool[0] != os.getpid() or _pool[1] < workers:
            _pool = (os.getpid(), workers, ThreadPoolExecutor(workers, thread_name_prefix="rows"))
        return _pool[2]


def slices(n: int) -> list[tuple[int, int]]:
    """``[(lo, hi), ...]`` covering ``range(n)``: one slice below :data:`PARALLEL_ROWS` or
    on one thread (``NUMBA_NUM_THREADS=1``), else :data:`SLICES_PER_THREAD` per thread
    (each at least :data:`MIN_SLICE` rows)."""
    if n < PARALLEL_ROWS:
        return [(0, n)]
    workers = threads()
    parts = 1 if workers < 2 else max(1, min(workers * SLICES_PER_THREAD, n // MIN_SLICE))
    edges = [n * p // parts for p in range(parts + 1)]
    return list(itertools.pairwise(edges))


class _Pass:
    """One pass's slices, each taken by whichever thread asks first."""

    def __init__(self, parts: list[tuple[int, int]], call: Callable[[int, int], object]):
        self.parts, self.call = parts, call
        self.next = 0
        self.done = 0
        self.errors: list[BaseException] = []
        self.cond = threading.Condition()

    def _take(self) -> int:
        with self.cond:
            i, self.next = self.next, self.next + 1
            return i

    def work(self) -> None:
        while (i := self._take()) < len(self.parts):
            try:
                self.call(*self.parts[i])
            except BaseException as error:  # raised on the caller's thread
                self.errors.append(error)
            finally:
                with self.cond:
                    self.done += 1
                    self.cond.notify_all()

    def wait(self) -> None:
        """Until every slice is done (only those a helper took are waited for)."""
        with self.cond:
            self.cond.wait_for(lambda: self.done == len(self.parts))
        if self.errors:
            raise self.errors[0]


def over_rows(n: int, call: Callable[[int, int], object]) -> None:
    """``call(lo, hi)`` for slices covering ``range(n)``, on this thread and the pool's at
    the same time; returns when all are done (re-raising the first error).

    Each slice goes to the first thread free to take it, so a helper the scheduler wakes
    late (a loaded machine) only takes fewer: the caller never waits for one to start.
    """
    if n < PARALLEL_ROWS:  # a small batch (500 sectors): no list, no thread
        call(0, n)
        return
    parts = slices(n)
    if len(parts) == 1:
        call(0, n)
        return
    run = _Pass(parts, call)
    helpers = min(threads(), len(parts)) - 1
    pool = _executor(helpers)
    for _ in range(helpers):
        pool.submit(run.work)
    run.work()
    run.wait()
