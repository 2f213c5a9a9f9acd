"""Compiled (numba) twins of the scoring steps that run on every row of a tick.

On a 100k-sector tick each of these was a chain of numpy temporaries over a
rows x features array (tens of ms apiece): the forest's bounded input (numpy, through
one small buffer), each feature's tail units and the KPI contributions. Each kernel
reads every cell once and does the same float64 operations in the same order as its
numpy twin, NaN and signed zeros going as numpy's ``maximum``/``max`` take them, so the
numbers are identical (``tests/test_score_kernels.py`` compares both paths). Without
numba, or for inputs a kernel does not cover, the callers run their numpy code.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features import row_split
from telecom_nb.features.tick_kernels import _nmax, _nmin, numba

#: the numpy sum of this few values is a plain left-to-right loop (pairwise above)
MAX_MEMBERS = 7
#: rows of the forest input bounded at a time (x 34 features: ~0.5 MB, kept in L2)
BOUNDED_ROWS = 2048


def _tail_max(x, anchor, scale, reach, start, base, tail_scale, free, runs, out, lo,
              hi):  # pragma: no cover - compiled
    """``FeatureTails.units(x, capped=False).max(axis=1)`` of rows ``lo:hi``: body units;
    beyond reach the tails alone less ``runs`` (``free`` columns beyond the deepest level's
    start) or the milder of both."""
    f = x.shape[1]
    for i in range(lo, hi):
        best = 0.0
        for j in range(f):
            a = abs(x[i, j])
            u = (a - anchor[j]) / scale[j]
            if a > reach[j]:
                t = base[0, j] + _nmax(a - start[0, j], 0.0) / tail_scale[0, j]
                for k in range(1, start.shape[0]):
                    t = _nmin(t, base[k, j] + _nmax(a - start[k, j], 0.0) / tail_scale[k, j])
                u = t - runs[j] if free[j] and a > start[start.shape[0] - 1, j] else _nmin(u, t)
            best = u if j == 0 else _nmax(best, u)
        out[i] = best


def _contributions(x, single_col, single_w, single_start, multi, members, n_members,
                   static_w, out, lo, hi):  # pragma: no cover - compiled
    """:func:`~telecom_nb.detectors.explain.kpi_contributions` row by row (rows
    ``lo:hi``)."""
    n_kpis = out.shape[1]
    direct = np.empty(n_kpis)
    for i in range(lo, hi):
        for k in range(n_kpis):
            first, end = single_start[k], single_start[k + 1]
            d = 0.0
            if end > first:
                d = abs(x[i, single_col[first]]) * single_w[first]
                for c in range(first + 1, end):
                    d = _nmax(d, abs(x[i, single_col[c]]) * single_w[c])
            direct[k] = d
            out[i, k] = d
        for r in range(multi.shape[0]):
            m = n_members[r]
            total = direct[members[r, 0]]  # numpy's sum of a short row: left to right
            for q in range(1, m):
                total += direct[members[r, q]]
            a = abs(x[i, multi[r]])
            for q in range(m):
                kk = members[r, q]
                share = direct[kk] / total if total > 0 else static_w[r, q]
                out[i, kk] = _nmax(out[i, kk], a * share)


def _tail_second(x, columns, group, anchor, scale, reach, start, base, tail_scale, n_groups,
                 out, lo, hi):  # pragma: no cover - compiled
    """``second_largest(units(x[:, columns]), group)`` of rows ``lo:hi``: each group's
    strongest tail units, then the second largest of them as ``np.partition`` ranks them
    (NaN above all).

    A cell's units are written out as in ``_tail_max`` on purpose: one jitted helper for
    both (inline="always" too) made ``_tail_max`` 7x slower (100k x 42: 18 -> 136 ms)."""
    per = np.empty(n_groups)
    for i in range(lo, hi):
        for g in range(n_groups):
            per[g] = -np.inf
        for c in range(columns.shape[0]):
            a = abs(x[i, columns[c]])
            u = (a - anchor[c]) / scale[c]
            if a > reach[c]:
                t = base[0, c] + _nmax(a - start[0, c], 0.0) / tail_scale[0, c]
                for k in range(1, start.shape[0]):
                    t = _nmin(t, base[k, c] + _nmax(a - start[k, c], 0.0) / tail_scale[k, c])
                u = _nmin(u, t)
            per[group[c]] = _nmax(per[group[c]], u)
        first = -np.inf
        second = -np.inf
        nans = 0
        for g in range(n_groups):
            v = per[g]
            if v != v:
                nans += 1
            elif v > first:
                second = first
                first = v
            elif v > second:
                second = v
        out[i] = np.nan if nans >= 2 else (first if nans == 1 else second)


def _tail_top2(x, columns, group, anchor, scale, reach, start, base, tail_scale, n_groups,
               out, lo, hi):  # pragma: no cover - compiled
    """``top_two_sum(units(x[:, columns]), group)`` of rows ``lo:hi``: each group's
    strongest tail units (at least 0, NaN as 0), then the two largest of them summed
    (``KpiFamilies``)."""
    per = np.empty(n_groups)
    for i in range(lo, hi):
        for g in range(n_groups):
            per[g] = 0.0
        for c in range(columns.shape[0]):
            a = abs(x[i, columns[c]])
            u = (a - anchor[c]) / scale[c]
            if a > reach[c]:
                t = base[0, c] + _nmax(a - start[0, c], 0.0) / tail_scale[0, c]
                for k in range(1, start.shape[0]):
                    t = _nmin(t, base[k, c] + _nmax(a - start[k, c], 0.0) / tail_scale[k, c])
                u = _nmin(u, t)
            if u > per[group[c]]:  # NaN never is
                per[group[c]] = u
        first = 0.0
        second = 0.0
        for g in range(n_groups):
            v = per[g]
            if v > first:
                second = first
                first = v
            elif v > second:
                second = v
        out[i] = second + first


def _follows_abs(prev, x):  # pragma: no cover - compiled
    """``prev[i] == |x[i - 1]|`` for every row ``i >= 1`` (a NaN never is); stops at the
    first cell that is not."""
    for i in range(1, x.shape[0]):
        for j in range(x.shape[1]):
            if prev[i, j] != abs(x[i - 1, j]):  # a NaN: True
                return False
    return True


if numba is not None:
    _njit = numba.njit(cache=True, nogil=True, error_model="numpy")
    _tail_max = _njit(_tail_max)
    _follows_abs = _njit(_follows_abs)
    _contributions = _njit(_contributions)
    _tail_second = _njit(_tail_second)
    _tail_top2 = _njit(_tail_top2)


def _run(kernel, n: int, *args) -> None:
    """``kernel(*args, lo, hi)`` over all ``n`` rows: a large tick's in slices of rows on
    the caller and the row-split pool (:mod:`~telecom_nb.features.row_split`), each row
    computed alone as in one pass, so the numbers are the same. Each slice calls the same
    compiled kernel on the whole arrays with its own ``lo, hi``: no signature of its own
    (tick12c's ``parallel=True`` wrappers each compiled cold, and started OpenMP threads
    that competed with the row-split pool for the same 2 cores)."""
    row_split.over_rows(n, lambda lo, hi: kernel(*args, lo, hi))


def _float_matrix(x: np.ndarray) -> np.ndarray | None:
    """``x`` as a float64 matrix whose rows are contiguous, or None when the kernels do not
    apply. A slice of a row-major matrix's first columns (the detector's base columns) is
    read in place: copying 100k rows for each of the five kernels cost ~90 ms a tick."""
    if numba is None or not isinstance(x, np.ndarray) or x.ndim != 2 or x.dtype != np.float64:
        return None
    return x if x.strides[1] == x.itemsize else np.ascontiguousarray(x)


def bounded32(features: np.ndarray) -> np.ndarray | None:
    """``bounded(features).astype(float32)``, bit for bit; None where the kernels do not
    apply (the caller's numpy code then runs).

    numpy's ``log1p`` is vectorised (faster than the scalar one a kernel would call), so
    it runs in place on ``|x|``; ``copysign`` then gives it ``x``'s sign and ``+ 0.0``
    turns a zero's ``-0`` into ``np.sign``'s ``0``. Blocks of :data:`BOUNDED_ROWS` rows
    go through one small buffer that stays in cache: no rows x features float64
    temporary, whose fresh pages a large tick faulted in again after each heap trim
    (100k x 34 in a live tick, with the slice's copy gone too: 47 -> 15 ms thread CPU,
    and 27 MB less at the peak).
    """
    x = _float_matrix(features)
    if x is None:
        return None
    out = np.empty(x.shape, dtype=np.float32)
    # numpy releases the GIL in these loops: a large tick's slices of rows side by side
    row_split.over_rows(len(x), lambda lo, hi: _bounded_rows(x, out, lo, hi))
    return out


def _bounded_rows(x: np.ndarray, out: np.ndarray, lo: int, hi: int) -> None:
    """:func:`bounded32` of rows ``lo:hi``, through a buffer of its own."""
    buf = np.empty((min(BOUNDED_ROWS, hi - lo), x.shape[1]))
    for a in range(lo, hi, BOUNDED_ROWS):  # ~50 blocks at 100k rows, 1 at 500
        b = min(a + BOUNDED_ROWS, hi)
        part, logs = x[a:b], buf[: b - a]
        np.abs(part, out=logs)
        np.log1p(logs, out=logs)
        np.copysign(logs, part, out=logs)
        logs += 0.0
        out[a:b] = logs


def tail_max(features: np.ndarray, anchor: np.ndarray, scale: np.ndarray, reach: np.ndarray,
             start: np.ndarray, base: np.ndarray, tail_scale: np.ndarray,
             free: np.ndarray, runs: np.ndarray) -> np.ndarray | None:
    """The strongest feature's tail units per row (see ``FeatureTails``); None: not taken."""
    x = _float_matrix(features)
    if x is None or x.shape[1] == 0:
        return None
    if start.shape[0] == 0:  # the body only: no cell reaches a tail
        start = base = tail_scale = np.zeros((1, x.shape[1]))
        reach = np.full(x.shape[1], np.inf)
    out = np.empty(len(x))
    _run(_tail_max, len(x), x, *(np.ascontiguousarray(a, dtype=np.float64)
                                 for a in (anchor, scale, reach, start, base, tail_scale)),
         np.ascontiguousarray(free, dtype=np.bool_),
         np.ascontiguousarray(runs, dtype=np.float64), out)
    return out


def follows_abs(previous: np.ndarray, x: np.ndarray) -> bool:
    """Each row of ``previous`` after the first is ``|x|``'s row before it, value for value
    (one series' window: the predecessors are its own rows as |z|); False when the kernels
    do not apply or a cell differs."""
    p, q = _float_matrix(previous), _float_matrix(x)
    if p is None or q is None or p.shape != q.shape:
        return False
    return bool(_follows_abs(p, q))


def tail_second(features: np.ndarray, columns: np.ndarray, group: np.ndarray,
                tails: tuple[np.ndarray, ...]) -> np.ndarray | None:
    """The second strongest group's tail units per row (``SecondKpi``); None: not taken.

    ``tails`` = (anchor, scale, reach, start, base, tail_scale) of ``columns``, which have
    at least one tail level; one pass instead of a slice, a units matrix and a partition.
    """
    return _grouped(_tail_second, features, columns, group, tails)


def tail_top2(features: np.ndarray, columns: np.ndarray, group: np.ndarray,
              tails: tuple[np.ndarray, ...]) -> np.ndarray | None:
    """The two strongest groups' tail units summed per row (``KpiFamilies``); None: not
    taken. ``tails`` as for :func:`tail_second`, with at least one tail level."""
    return _grouped(_tail_top2, features, columns, group, tails)


def _grouped(kernel, features: np.ndarray, columns: np.ndarray, group: np.ndarray,
             tails: tuple[np.ndarray, ...]) -> np.ndarray | None:
    """Run a per-group tail-units kernel (``_tail_second``, ``_tail_top2``) on one matrix."""
    x = _float_matrix(features)
    n_groups = int(group.max()) + 1 if len(group) else 0
    if x is None or n_groups < 2 or tails[3].shape[0] == 0:
        return None
    out = np.empty(len(x))
    _run(kernel, len(x), x, np.ascontiguousarray(columns, dtype=np.int64),
         np.ascontiguousarray(group, dtype=np.int64),
         *(np.ascontiguousarray(a, dtype=np.float64) for a in tails), n_groups, out)
    return out


def _layout(w: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """The kernel's view of a weights matrix (single-KPI columns by KPI, relations and
    their members); None: a relation of more than :data:`MAX_MEMBERS` KPIs."""
    nonzero = w != 0
    single = nonzero.sum(axis=1) == 1
    multi = np.flatnonzero(~single & nonzero.any(axis=1))
    counts = nonzero[multi].sum(axis=1)
    if len(multi) and counts.max() > MAX_MEMBERS:
        return None
    kpi_of, nth = np.nonzero(nonzero[single].T)  # by KPI, then feature order
    single_col = np.flatnonzero(single)[nth]
    single_start = np.searchsorted(kpi_of, np.arange(w.shape[1] + 1))
    width = max(1, int(counts.max()) if len(multi) else 1)
    members = np.zeros((len(multi), width), dtype=np.int64)
    static_w = np.zeros((len(multi), width))
    for r, j in enumerate(multi):  # relations: a handful, not rows
        m = np.flatnonzero(nonzero[j])
        members[r, : len(m)] = m
        static_w[r, : len(m)] = w[j, m]
    return (single_col.astype(np.int64), w[single_col, kpi_of], single_start.astype(np.int64),
            multi.astype(np.int64), members, counts.astype(np.int64), static_w)


#: the last weights matrix (a copy) and its layout: a model's weights are the same every
#: tick, and the layout's ~20 small numpy calls were ~2 % of a 500-sector tick
_LAST_LAYOUT: list = [None]


def contributions(features: np.ndarray, weights: np.ndarray) -> np.ndarray | None:
    """rows x kpis contributions as ``kpi_contributions``; None: not taken."""
    x = _float_matrix(features)
    w = np.asarray(weights, dtype=np.float64)
    if x is None or w.ndim != 2 or w.shape[0] != x.shape[1] or (w < 0).any():
        return None
    last = _LAST_LAYOUT[0]
    if last is None or last[0].shape != w.shape or not np.array_equal(last[0], w):
        last = (w.copy(), _layout(w))
        _LAST_LAYOUT[0] = last  # one assignment: safe across threads
    if last[1] is None:
        return None
    out = np.empty((len(x), w.shape[1]))
    _run(_contributions, len(x), x, *last[1], out)
    return out
