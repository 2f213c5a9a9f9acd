"""A large tick's row-wise compiled passes split over threads, with the same numbers.

Most of a 100k-sector tick's feature work is compiled loops over rows (the seasonal
expectation and learning, the robust tables' updates, the area's medians, the
persistence z, the stacking), each row computed alone and written to its own cells. The
kernels release the GIL (``nogil``), so the rows are cut into one slice per thread and
each slice runs the *same* compiled function (same types: a row slice of a C-ordered
array is C-ordered) on a small pool while the calling thread runs the first: no new
compilation, no per-row Python, and every row's bits as in one pass. Below
:data:`PARALLEL_ROWS` rows (a 500-sector tick) the call runs as before, on the caller.

A pass that updates state in place may be split only where no two rows touch the same
cell (the callers check: a live tick's rows are distinct sectors).
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

_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None


def threads() -> int:
    """Threads a pass may use: numba's (``NUMBA_NUM_THREADS``, the forest walk's too)."""
    if numba is None:
        return 1
    return max(1, int(numba.get_num_threads()))


def _executor(workers: int) -> ThreadPoolExecutor:
    """The helper threads (made once per process: a forked child makes its own)."""
    global _pool
    with _lock:
        if _pool is None or _pool[0] != os.getpid() or _pool[1]._max_workers < workers:
            _pool = (os.getpid(), ThreadPoolExecutor(workers, thread_name_prefix="rows"))
        return _pool[1]


def slices(n: int) -> list[tuple[int, int]]:
    """``[(lo, hi), ...]`` covering ``range(n)``: one slice below :data:`PARALLEL_ROWS`,
    else one per thread (each at least :data:`MIN_SLICE` rows)."""
    parts = 1 if n < PARALLEL_ROWS else max(1, min(threads(), n // MIN_SLICE))
    edges = [n * p // parts for p in range(parts + 1)]
    return list(itertools.pairwise(edges))


def over_rows(n: int, call: Callable[[int, int], object]) -> None:
    """``call(lo, hi)`` for slices covering ``range(n)``: the first on this thread, the
    others on the pool at the same time; returns when all are done (re-raising the
    first error)."""
    parts = slices(n)
    if len(parts) == 1:
        call(0, n)
        return
    futures = [_executor(len(parts) - 1).submit(call, lo, hi) for lo, hi in parts[1:]]
    try:
        call(*parts[0])
    finally:
        for future in futures:
            future.result()
