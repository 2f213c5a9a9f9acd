"""Independent feature parts of a large tick on a second thread, with the same numbers.

A 100k-sector tick's feature work still has a one-thread part (~240 ms CPU) between its
row-split passes (:mod:`~.row_split`): the parts' Python, numpy calls and the passes too
small to split. Some parts read only the view, their own state and the view's shared
caches, so one of them can run on a second thread while the others run on the caller:
the peer part's z beside the seasonal z (score), the seasonal part's learning beside
the other parts' (learn). Each part computes exactly what it computed alone, so every
number is the same; the caller fills the shared caches (registry rows, scaled KPIs, the
seasonal z) before the fork, so neither thread computes what the other reads, and joins
the second thread before it returns or raises: a checkpoint or a ``set_params`` between
calls never sees a part half-run.

The parts thread leaves the heap alone: the runner trims once after the tick
(``engine/heap.trim_heap``), and a trim between the parts (as here until the 46th session)
handed back pages the rest of the tick faulted in again (~3-6k of a 100k tick's ~25k minor
faults) with the aged RSS unchanged.

Errors surface as in the serial order ``before, side, after``: the first one that order
would have raised, the same exception object (same type and message). Below
:data:`PARALLEL_ROWS` rows (a 500-sector tick) or on one CPU, callers run as before.
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from telecom_nb.features import row_split

#: from this many rows a tick's parts may run on two threads (below, a hand-off costs
#: more than the overlap saves: the row-split passes' own threshold)
PARALLEL_ROWS = row_split.PARALLEL_ROWS

_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None  # (process, pool)


def worth(n: int) -> bool:
    """Whether a tick of ``n`` rows runs parts on two threads (not on one CPU)."""
    return n >= PARALLEL_ROWS and row_split.threads() >= 2


def _executor() -> ThreadPoolExecutor:
    """The one parts thread (made once per process: a forked child makes its own). Not
    the row-split pool: a part running there would leave its passes no helper."""
    global _pool
    with _lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="part"))
        return _pool[1]


def _join(future: Future) -> None:
    """Wait for ``future`` whatever it raised (an earlier error is the one surfacing)."""
    with contextlib.suppress(BaseException):  # later in the serial order: not raised
        future.result()


def overlap(
    side: Callable[[], Any],
    before: Callable[[], Any] | None = None,
    after: Callable[[], Any] | None = None,
) -> tuple[Any, Any, Any]:
    """``(before(), side(), after())`` with ``side`` on the parts thread while ``before``
    then ``after`` run here; ``side`` is always finished when this returns or raises.

    The parts' own ``warnings.catch_warnings`` blocks (an all-NaN median) change one
    process-wide filter list: two threads' blocks interleaved could leave a filter behind
    or drop the other's, so RuntimeWarnings are ignored while both run, and the list is
    as it was afterwards.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        future = _executor().submit(side)
        try:
            first = before() if before is not None else None
        except BaseException:
            _join(future)
            raise
        late: BaseException | None = None
        last = None
        try:
            last = after() if after is not None else None
        except BaseException as error:  # raised after the side's (serial order)
            late = error
        if late is None:
            try:
                return first, future.result(), last
            except BaseException:  # the side's error (done), or an interrupt: wait
                _join(future)
                raise
        middle = future.exception()  # waits; the side's error comes first in the order
        if middle is not None:
            raise middle
        raise late
