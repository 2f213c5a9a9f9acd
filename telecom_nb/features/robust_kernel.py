""":meth:`RobustTable.update` as one compiled pass (numba), with the same numbers.

The numpy version makes ~25 temporary arrays per call; on a 100k-sector tick with a
sector x slot table that is tens of ms per table. Here each cell is read once, the
same float64 operations run in the same order (no fast-math, NaN propagating as
numpy's ``maximum``/``minimum``/``clip`` do), and where a cell may repeat the results
are written back after all are computed, so repeated cells behave as numpy's fancy
assignment (last wins, all computed from the old values); rows in increasing cell order
(a live tick's) cannot repeat one and are updated in place (3x faster: no temporaries),
a large tick's in slices of rows side by side (:mod:`~.row_split`).
``tests/test_features.py`` and ``tests/test_robust_kernel.py`` compare both paths.
Without numba, :func:`update` returns False and the numpy code runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    import numba
except ImportError:  # pragma: no cover - numba is a dependency; numpy is the fallback
    numba = None

from telecom_nb.features import row_split
from telecom_nb.features.any_layout import AnyLayout
from telecom_nb.features.compact import count_units, tenths_read, tenths_store
from telecom_nb.features.robust_stats import (
    GATE_Z,
    GATED_WEIGHT,
    HUBER_K,
    MAD_TO_SIGMA,
    MAX_COUNT,
    MIN_COUNT_TO_CLIP,
)

#: below this many cells the numpy path is as fast (no dispatch or index set-up); the
#: compiled path's set-up is ~15 us since its index checks are one compiled pass, while
#: numpy's ~25 temporaries cost ~140 us even at 31 provinces x 4 KPIs (was 256 cells)
MIN_CELLS = 64


def _nmax(a, b):  # pragma: no cover - compiled
    """numpy's ``maximum``: NaN if either is NaN."""
    if a != a or b != b:
        return a + b
    return a if a >= b else b


def _nmin(a, b):  # pragma: no cover - compiled
    if a != a or b != b:
        return a + b
    return a if a <= b else b


def _nan0(v):  # pragma: no cover - compiled
    """numpy's ``nan_to_num``: NaN 0, infinities the largest finite values."""
    if v != v:
        return 0.0
    if v == np.inf:
        return np.finfo(np.float64).max
    if v == -np.inf:
        return -np.finfo(np.float64).max
    return v


def robust_cell(lv0, dv, cn, xi, sc_in, informed, fr_in, has_far, st, has_start, alpha,
                gate):  # pragma: no cover - compiled
    """One cell of :meth:`RobustTable.update`: (level, dev, count) after sample ``xi``.

    ``sc_in`` is the caller's scale when ``informed``, ``fr_in`` its far verdict when
    ``has_far``, ``st`` the start of an empty cell when ``has_start``.
    """
    ok = np.isfinite(xi)
    xs = xi if ok else lv0
    first = cn == 0.0
    lv = lv0
    if has_start:
        if first:
            lv = st if np.isfinite(st) else xs
        first = first and not np.isfinite(st)
    weight = _nmax(1.0 / (cn + 1.0), alpha)
    sc = sc_in if informed else dv * MAD_TO_SIGMA
    sc = _nmax(sc, 1e-12)
    cold = cn < MIN_COUNT_TO_CLIP
    bound = np.inf if (cold and not informed) else HUBER_K * sc
    if has_far:
        fr = fr_in
        if not fr:
            bound = np.inf
    else:
        fr = gate and (not cold) and (abs(xs - lv) > GATE_Z * sc)
    fr = fr and ok
    dev_weight = 0.0 if fr else weight
    w = weight * GATED_WEIGHT if fr else weight
    resid = _nmin(_nmax(xs - lv, -bound), bound)
    nl = xs if first else lv + w * resid
    nd = 0.0 if first else dv + dev_weight * (abs(resid) - dv)
    step = (GATED_WEIGHT if fr else 1.0) if ok else 0.0
    return (nl if ok else lv0), (nd if ok else dv), _nmin(cn + step, MAX_COUNT)


def _distinct(base):  # pragma: no cover - compiled
    """Rows in increasing cell order (a live tick's): no cell repeats."""
    for i in range(1, base.shape[0]):  # noqa: SIM110 - compiled: a loop, no generator
        if base[i] <= base[i - 1]:
            return False
    return True


def _in_place(level, dev, count, base, x, scale, informed, far_in, has_far, start, has_start,
              alpha, gate, per):  # pragma: no cover - compiled
    """Distinct cells: each reads only its own old values, so write in place (3x faster
    than computing all first: no temporaries); any slice of the rows alone gives the same.
    Offsets unsigned (:func:`_cell_bases` checked them): loads without the negative-index
    fix-up, ~6 % of this pass."""
    n, k = x.shape
    for i in range(n):
        b = np.uint64(base[i])
        for j in range(k):
            c = b + np.uint64(j)
            level[c], dev[c], nc = robust_cell(
                float(level[c]), float(dev[c]), tenths_read(count[c], per), x[i, j],
                scale[i, j] if informed else 0.0, informed,
                far_in[i, j] if has_far else False, has_far,
                start[i, j] if has_start else np.nan, has_start, alpha, gate)
            count[c] = tenths_store(nc, per)


def _kernel(level, dev, count, base, x, scale, informed, far_in, has_far, start, has_start,
            alpha, gate, per):  # pragma: no cover - compiled
    """Any cells (repeats allowed): all computed from the old values, then written."""
    n, k = x.shape
    new_l = np.empty((n, k))
    new_d = np.empty((n, k))
    new_c = np.empty((n, k))
    for i in range(n):
        b = base[i]
        for j in range(k):
            c = b + j
            new_l[i, j], new_d[i, j], new_c[i, j] = robust_cell(
                float(level[c]), float(dev[c]), tenths_read(count[c], per), x[i, j],
                scale[i, j] if informed else 0.0, informed,
                far_in[i, j] if has_far else False, has_far,
                start[i, j] if has_start else np.nan, has_start, alpha, gate)
    for i in range(n):  # write after computing: repeated cells as numpy (last wins)
        b = base[i]
        for j in range(k):
            level[b + j] = new_l[i, j]
            dev[b + j] = new_d[i, j]
            count[b + j] = tenths_store(new_c[i, j], per)


if numba is not None:
    _nmax = numba.njit(cache=True)(_nmax)
    _nmin = numba.njit(cache=True)(_nmin)
    _nan0 = numba.njit(cache=True)(_nan0)
    robust_cell = numba.njit(cache=True)(robust_cell)
    _distinct = numba.njit(cache=True, nogil=True)(_distinct)
    _in_place = AnyLayout(numba.njit(cache=True, nogil=True)(_in_place))
    _kernel = AnyLayout(numba.njit(cache=True, nogil=True)(_kernel))


def _cell_bases(rows, slot, n_rows, n_slots, row_step, slot_step, two):  # pragma: no cover
    """Flat offsets of ``rows`` (and ``slot`` when ``two``) and a status: -1 an index out
    of range, 1 increasing offsets (:func:`_distinct`), else 0: :func:`_bases`'s checks
    and sums in one compiled pass (the same int64 offsets)."""
    n = rows.shape[0]
    flat = np.empty(n, dtype=np.int64)
    distinct = True
    for i in range(n):
        r = rows[i]
        if r < 0 or r >= n_rows:
            return flat, -1
        f = np.int64(r) * row_step
        if two:
            s = slot[i]
            if s < 0 or s >= n_slots:
                return flat, -1
            f += np.int64(s) * slot_step
        flat[i] = f
        if i > 0 and f <= flat[i - 1]:
            distinct = False
    return flat, 1 if distinct else 0


if numba is not None:
    _cell_bases = numba.njit(cache=True, nogil=True)(_cell_bases)


def _bases(table: Any, cells: tuple) -> tuple[np.ndarray, bool] | None:
    """(flat offset in :func:`_flat`'s buffer of each row's first cell, whether they
    increase: no cell repeats), or None for an index this path does not take."""
    shape, steps = table.level.shape, _steps(table.level)
    if len(cells) != len(shape) - 1 or not all(
            isinstance(c, np.ndarray) and c.ndim == 1 and c.dtype.kind in "iu" for c in cells):
        return None
    n = len(cells[0])
    if any(len(c) != n for c in cells) or n == 0:
        return None
    if len(cells) <= 2:  # a table's (rows,) or (rows, slot): one compiled pass
        two = len(cells) == 2
        flat, status = _cell_bases(cells[0], cells[-1], shape[0], shape[1 if two else 0],
                                   steps[0], steps[1 if two else 0], two)
        return None if status < 0 else (flat, status == 1)
    flat = np.zeros(n, dtype=np.int64)
    for c, size, step in zip(cells, shape[:-1], steps[:-1], strict=True):
        if c.min() < 0 or c.max() >= size:
            return None  # numpy raises (or wraps negatives): let it
        flat += c.astype(np.int64) * step
    return flat, bool(_distinct(flat))


def _steps(a: np.ndarray) -> tuple[int, ...]:
    """Element strides of ``a``."""
    return tuple(s // a.itemsize for s in a.strides)


def _flat(a: np.ndarray) -> np.ndarray | None:
    """The 1-d buffer behind ``a`` when its axes are a permutation of a C-ordered block
    with the last axis innermost (C order, or slot-major: :mod:`~.layout`); else None."""
    if a.size == 0 or a.strides[-1] != a.itemsize:
        return None
    if a.flags.c_contiguous:  # the per-sector tables: no sort of the strides (6 calls a tick)
        return a.reshape(-1)
    # numpy's stable argsort of the strides, reversed (a Python sort of a few: ~10 us less)
    block = a.transpose(sorted(range(a.ndim), key=a.strides.__getitem__)[::-1])
    return block.reshape(-1) if block.flags.c_contiguous else None


#: an absent input's placeholder, read-only as the broadcast inputs are (one compiled
#: signature per storage); made once: shared read-only, across threads too
_NO_FLOAT = np.broadcast_to(0.0, (1, 1))
_NO_BOOL = np.broadcast_to(False, (1, 1))


def update(table: Any, cells: tuple, x: np.ndarray, scale: np.ndarray | None,
           far: np.ndarray | None, start: np.ndarray | None) -> bool:
    """Do ``table.update(cells, x, scale, far, start)`` compiled; False if not taken."""
    if numba is None or x.ndim != 2 or x.size < MIN_CELLS:
        return False
    arrays = (table.level, table.dev, table.count)
    flats = [_flat(a) for a in arrays]
    steps = _steps(table.level)
    if any(f is None for f in flats) or any(_steps(a) != steps for a in arrays[1:]):
        return False
    bases = _bases(table, cells)
    if bases is None or x.shape[0] != len(bases[0]) or x.shape[1] != table.level.shape[-1]:
        return False
    base, distinct = bases
    shape = x.shape
    x = np.asarray(x, dtype=np.float64)
    sc = _NO_FLOAT if scale is None else np.broadcast_to(np.asarray(scale, np.float64), shape)
    fr = _NO_BOOL if far is None else np.broadcast_to(np.asarray(far, dtype=np.bool_), shape)
    st = _NO_FLOAT if start is None else np.broadcast_to(np.asarray(start, np.float64), shape)
    options = (float(table.alpha), bool(table.gate), float(count_units(table.count)))
    if not distinct:
        _kernel(*flats, base, x, sc, scale is not None, fr, far is not None, st,
                start is not None, *options)
        return True

    def rows(lo: int, hi: int) -> None:  # distinct cells: slices of rows run side by side
        _in_place(*flats, base[lo:hi], x[lo:hi], _rows(sc, lo, hi), scale is not None,
                  _rows(fr, lo, hi), far is not None, _rows(st, lo, hi), start is not None,
                  *options)

    row_split.over_rows(len(base), rows)
    return True


def _rows(a: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Rows ``lo:hi`` of a per-row input (the (1, 1) placeholder of an absent one whole)."""
    return a if a.shape == (1, 1) else a[lo:hi]


def compile_out_of_order() -> None:
    """The pass for rows out of cell order compiled (and cached) for both state dtypes: an
    export's rows come in cell-name order while a cell on air late is indexed last, so its
    replay takes this pass, which the warm-up's simulated fleets (rows in index order) never
    reach -- a user's first ``detect`` of an export compiled it (one of the four
    :mod:`~telecom_nb.warm` names)."""
    if numba is None:
        return
    from telecom_nb.features.compact import STATE_FLOAT
    from telecom_nb.features.robust_stats import RobustTable

    for dtype in (np.float64, STATE_FLOAT):
        table = RobustTable((MIN_CELLS,), 0.1, dtype=dtype, count_dtype=dtype)
        table.grow(2)
        table.update((np.array([1, 0]),), np.zeros((2, MIN_CELLS)))
