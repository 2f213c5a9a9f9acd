"""Order statistics of a block's rows, selected in place by a branch-free quickselect.

A one-series retrain's body fits (:meth:`~telecom_nb.features.column_quantiles.
SortedColumns.abs_quantiles`: the features' q50 and q75 of ``|z|`` and the joint and
smoothed distances', three a fit) need of each varying column of 20k rows only the four
order statistics those two quantiles read, and a joint distance's fit the medians of its
bounded columns (:func:`~telecom_nb.detectors.joint.median_rows`). numpy's ``partition``
(after a sign split, its introselect being up to 5x slower on a column tied at zero)
spent ~130-250 us a column, most of it in mispredicted branches: its partition branches
on every comparison, and ``|z|`` against a pivot near its median is a coin toss.

Here each partition step is branch-free (Lomuto's with the swap always written and the
boundary moved by the comparison's 0 or 1), pivots the median of three: rows ``< p`` go
left; when the position sits at or beyond them, a second pass over the right side moves
the rows ``== p`` next, so ties (a quarter of a column at 0.0) end a selection rather than
stall it. A position right after one just selected holds the least value above it (one
scan). A selection is the value ``np.sort`` puts there whatever the algorithm, so the
quantiles read are numpy's, bit for bit; a row holding a NaN or a ``-0.0`` (equal to
``0.0`` here, placed its own way by numpy's sort) is left to the caller.

A 20k x 42 window (22 varying columns): 7.0 -> 4.2 ms a body fit (``/tmp/one55``'s
captures of a 100k one-series replay's fits, process CPU); ``median_rows`` of a 19k x 12
bounded block 2.6 -> 1.05 ms.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.robust_kernel import numba

#: ranges this short are sorted (a few comparisons each: partitioning costs more)
SMALL = 32
#: partition rounds before a range is sorted instead (median-of-three's bad cases: the
#: answer is the same, only slower)
ROUNDS = 64


def select_rows(block: np.ndarray, rows: np.ndarray, at: np.ndarray) -> np.ndarray | None:
    """In place: each row ``j`` of ``rows`` of the C-ordered float64 ``block`` holds at each
    position of ``at`` (ascending, unique) the value ``np.sort(block[j])`` holds there; its
    other values are moved, not changed. Returns which of ``rows`` were done: a row holding
    a NaN or a ``-0.0`` (numpy's sort places its signed zeros its own way) is left as it
    was. None (nothing done) without numba or for another block: the caller selects its
    own way."""
    if (_select_rows is None or block.ndim != 2 or block.dtype != np.float64
            or not block.flags.c_contiguous or not block.flags.writeable):
        return None
    rows = np.asarray(rows, dtype=np.int64)
    done = np.zeros(len(rows), dtype=np.bool_)
    _select_rows(block, rows, np.asarray(at, dtype=np.int64), done)
    return done


def compile_select() -> None:
    """Compile the kernel (a warm-up's windows may be too short to need it)."""
    select_rows(np.zeros((1, 2 * SMALL)), np.zeros(1, dtype=np.int64),
                np.array([SMALL, SMALL + 1]))


def _below(a, lo, hi, p):  # pragma: no cover - compiled
    """``a[lo:hi]``'s values ``< p`` moved to its front, branch-free; returns their end."""
    s = lo
    for i in range(lo, hi):
        t = a[i]
        a[i] = a[s]
        a[s] = t
        s += t < p
    return s


def _at_most(a, lo, hi, p):  # pragma: no cover - compiled
    """As :func:`_below` for the values ``<= p``."""
    s = lo
    for i in range(lo, hi):
        t = a[i]
        a[i] = a[s]
        a[s] = t
        s += t <= p
    return s


def _select(a, lo, hi, k):  # pragma: no cover - compiled
    """``a[k]`` the value ``np.sort(a[lo:hi])`` puts at ``k``, ``a[lo:k] <= a[k] <=
    a[k + 1:hi]``."""
    rounds = ROUNDS
    while hi - lo > SMALL and rounds > 0:
        rounds -= 1
        mid = lo + (hi - lo) // 2
        x, y, z = a[lo], a[mid], a[hi - 1]
        if x > y:
            x, y = y, x
        if y > z:
            y = z
            if x > y:
                y = x
        s = _below(a, lo, hi, y)
        if k < s:
            hi = s
            continue
        e = _at_most(a, s, hi, y)  # [s, e) == y
        if k < e:
            return
        lo = e
    a[lo:hi].sort()


def _plain(a):  # pragma: no cover - compiled
    """Whether ``a`` holds neither a NaN nor a ``-0.0`` (one pass without an early exit:
    its compares vectorise)."""
    bad = False
    for i in range(len(a)):
        v = a[i]
        bad |= (v != v) | ((v == 0.0) & (np.signbit(v)))
    return not bad


def _select_rows(block, rows, at, done):  # pragma: no cover - compiled
    """:func:`select_rows`' loop: each position selected in what the last one left
    above it."""
    n = block.shape[1]
    for j in range(len(rows)):
        a = block[rows[j]]
        if not _plain(a):
            continue
        done[j] = True
        lo = 0
        for k in at:
            if k == lo and k > 0:  # right after a selected one: the least above it
                m = k
                for i in range(k + 1, n):
                    if a[i] < a[m]:
                        m = i
                t = a[k]
                a[k] = a[m]
                a[m] = t
            else:
                _select(a, lo, n, k)
            lo = k + 1


if numba is not None:
    _below = numba.njit(cache=True, nogil=True)(_below)
    _at_most = numba.njit(cache=True, nogil=True)(_at_most)
    _select = numba.njit(cache=True, nogil=True)(_select)
    _plain = numba.njit(cache=True, nogil=True)(_plain)
    _select_rows = numba.njit(cache=True, nogil=True)(_select_rows)
else:  # pragma: no cover - numba is a dependency
    _select_rows = None
