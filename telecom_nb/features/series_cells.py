"""Scalar cells and range-novelty ring statistics of the one-series pass (``series_kernel``).

numpy's NaN rules for one value at a time (``fmax``/``fmin`` keeping the first of ties,
``nan_to_num``, ``sign``, the z clip) and ``RangeNovelty``'s ring summary of one sector,
written for numba so that ``series_pass`` gives the per-batch path's numbers. Kept apart
from the pass itself, which is one long loop; ``tick_kernels`` has its own ``_fmax`` with
numpy's tie rule for fleets (ties -> the second, signed zeros as numpy).
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.robust_kernel import _nmax, _nmin, numba
from telecom_nb.features.seasonal import Z_CLIP

_BIG = np.finfo(np.float64).max


def _clip(z):  # pragma: no cover - compiled
    return _nmin(_nmax(z, -Z_CLIP), Z_CLIP)


def _sign(v):  # pragma: no cover - compiled
    if v != v:
        return v
    return 1.0 if v > 0 else (-1.0 if v < 0 else 0.0)


def _nan0(v):  # pragma: no cover - compiled
    """numpy's ``nan_to_num``."""
    if v != v:
        return 0.0
    if v == np.inf:
        return _BIG
    if v == -np.inf:
        return -_BIG
    return v


def _fmax(a, b):  # pragma: no cover - compiled
    if a != a:
        return b
    if b != b:
        return a
    return a if a >= b else b


def _fmin(a, b):  # pragma: no cover - compiled
    if a != a:
        return b
    if b != b:
        return a
    return a if a <= b else b


def _ring_median(v, f32):  # pragma: no cover - compiled
    """np.nanmedian of a short row (numpy's masked path: (lo + hi) / 2, in the dtype)."""
    s = np.sort(v[~np.isnan(v)])
    c = len(s)
    if c == 0:
        return np.nan
    h = c // 2
    lo = s[h] if c % 2 == 1 else s[h - 1]
    if f32:
        return float(np.float32(np.float32(lo) + np.float32(s[h]))) / 2.0
    return (lo + s[h]) / 2.0


def _ring_stats(mx, mn, ns, ids, now, blocks, st, f32):  # pragma: no cover - compiled
    """``RangeNovelty._ring_stats`` of one sector into ``st`` (4 x k); (rows, blocks)."""
    nb, k = mx.shape
    valid = np.zeros(nb, dtype=np.bool_)
    n_rows = 0
    n_blocks = 0
    for b in range(nb):
        valid[b] = ids[b] < now and ids[b] >= now - blocks and ns[b] > 0
        if valid[b]:
            n_rows += ns[b]
            n_blocks += 1
    col = np.empty(nb)
    for j in range(k):
        hi = np.nan
        lo = np.nan
        for b in range(nb):
            if valid[b]:
                hi = _fmax(hi, mx[b, j])
                lo = _fmin(lo, mn[b, j])
        st[0, j] = hi
        st[1, j] = lo
        for b in range(nb):
            col[b] = mx[b, j] if valid[b] else np.nan
        st[2, j] = _ring_median(col, f32)
        for b in range(nb):
            col[b] = mn[b, j] if valid[b] else np.nan
        st[3, j] = _ring_median(col, f32)
    return n_rows, n_blocks


if numba is not None:
    _clip = numba.njit(cache=True)(_clip)
    _sign = numba.njit(cache=True)(_sign)
    _nan0 = numba.njit(cache=True)(_nan0)
    _fmax = numba.njit(cache=True)(_fmax)
    _fmin = numba.njit(cache=True)(_fmin)
    _ring_median = numba.njit(cache=True)(_ring_median)
    _ring_stats = numba.njit(cache=True)(_ring_stats)
