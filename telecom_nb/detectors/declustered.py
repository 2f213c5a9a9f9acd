"""A feature-tail fit's declustered rows sorted per column, taken from the window's sort.

:meth:`~telecom_nb.detectors.feature_tails.FeatureTails.fit` reads its tail levels on the
window's ``|z|`` less the rows continuing a cluster (``|previous| > gate``). numpy's way
masks those cells NaN and sorts the whole block again, after the pass over it that counts
the gate's exceedances and onsets: ~9.5 ms of a fleet retrain's ~15 ms fit on 20k x 42,
twice a retrain (the window's and the area part's all-row fit). The declustered sorted
column is the window's sorted column less the left-out values: each left-out value is
found in it by a binary search (its run of equal values' first place) and that many of
the run are skipped. Equal values have equal bits here (``|z|`` holds no NaN on this path
and no ``-0.0``), so the column is the one numpy's sort gives, value for value
(``tests/test_declustered.py`` compares). Without numba the caller sorts as before.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.column_quantiles import SortedColumns
from telecom_nb.features.tick_kernels import numba

#: binary searches run side by side (independent loads overlap: ~3x a search at a time)
LANES = 8


def _declustered(
    ordered, a, previous, gate, out, kept, both, left, fill, drop, at
):  # pragma: no cover - compiled
    """Per column ``j``: ``out[:, j]`` = the sorted ``a[i, j]`` with ``|previous[i, j]| <=
    gate[j]`` (or NaN previous: numpy's comparison is False), NaN after them, ``kept[j]``
    of them; ``both[j]`` = the left-out rows with ``a > gate``. ``ordered``, ``a`` and
    ``out`` column-major (a column is contiguous), ``previous`` row-major (read once)."""
    n, f = a.shape
    for i in range(n):  # the left-out values per column (previous's rows in order)
        for j in range(f):
            g = gate[j]
            if abs(previous[i, j]) > g:
                v = a[i, j]
                left[j, fill[j]] = v
                fill[j] += 1
                if v > g:
                    both[j] += 1
    for j in range(f):
        drop[:] = 0
        col = ordered[:, j]
        for r0 in range(0, fill[j], LANES):  # each value's first place in the column (it
            m = min(LANES, fill[j] - r0)  # is in it): LANES searches side by side, branch-free
            for t in range(m):
                at[t] = 0
            length = n
            while length > 1:
                half = length >> 1
                for t in range(m):
                    b = at[t]
                    at[t] = b + half if col[b + half - 1] < left[j, r0 + t] else b
                length -= half
            for t in range(m):
                lo = at[t] + (1 if col[at[t]] < left[j, r0 + t] else 0)
                while drop[lo]:  # an equal value left out already: the run's next one
                    lo += 1
                drop[lo] = 1
        w = 0
        for k in range(n):  # the kept values in order, without a branch
            out[w, j] = col[k]
            w += 1 - drop[k]
        for r in range(w, n):
            out[r, j] = np.nan
        kept[j] = n - fill[j]


if numba is not None:
    _declustered = numba.njit(cache=True, nogil=True)(_declustered)


def declustered(
    plain: SortedColumns,
    a: np.ndarray,
    previous: np.ndarray,
    gate: np.ndarray,
    *,
    reuse: bool = False,
) -> tuple[SortedColumns, np.ndarray, np.ndarray] | None:
    """``(SortedColumns(np.where(going, nan, a)), beyond, onsets)`` with ``going =
    |previous| > gate``, ``beyond = (a > gate).sum(axis=0)``, ``onsets = (beyond &
    ~going).sum(axis=0)``; ``plain``: ``a``'s sort (``a`` without NaN). None where the
    kernel does not apply (no numba, other shapes or types): the caller's numpy code.
    ``reuse``: ``a`` (column-major, the caller's own) is not read again: the sort is
    written into its memory (a fresh 20k x 42 block's page faults cost ~1-2 ms a fit)."""
    if (
        numba is None
        or a.ndim != 2
        or previous.shape != a.shape
        or a.dtype != np.float64
        or previous.dtype != np.float64
        or plain.ordered.shape != a.shape
    ):
        return None
    n, f = a.shape
    out = a if reuse and a.flags.f_contiguous else np.empty((n, f), order="F")
    kept = np.empty(f, dtype=np.intp)
    both = np.zeros(f, dtype=np.intp)
    _declustered(  # ``previous`` in place: a fit's is a view of the window's first columns
        np.asfortranarray(plain.ordered),
        np.asfortranarray(a),
        previous,
        np.ascontiguousarray(gate, dtype=np.float64),
        out,
        kept,
        both,
        np.empty((f, n)),
        np.zeros(f, dtype=np.intp),
        np.zeros(n + 1, dtype=np.uint8),
        np.zeros(LANES, dtype=np.intp),
    )
    beyond = plain.above(gate)
    return SortedColumns(out, ordered=True, count=kept), beyond, beyond - both


def compile_layouts() -> None:
    """The kernel's three layouts compiled (cached on disk): a fit's predecessors as a view
    of the window's first columns and as a sampled copy, and a one-column fit (C and F at
    once), so a large fleet's first calibration sample does not compile one (~1 s)."""
    a = np.asfortranarray(np.arange(6.0).reshape(3, 2))
    wide = np.arange(9.0).reshape(3, 3)
    plain = SortedColumns(a, no_nan=True)
    gate = plain.quantile(0.5)
    for previous in (wide[:, :2], np.ascontiguousarray(wide[:, :2])):
        declustered(plain, a, previous, gate)
    one = SortedColumns(a[:, :1], no_nan=True)
    declustered(one, a[:, :1], wide[:, :1].copy(), one.quantile(0.5))
