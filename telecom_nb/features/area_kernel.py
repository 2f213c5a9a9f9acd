"""The area's neighbour medians as one compiled pass (numba).

:func:`~telecom_nb.features.area.masked_median` sorts a (rows x KPIs x neighbours) block
built by gathering the neighbours' z: 17M values on 100k sectors of 14 KPIs, seconds of
numpy steps a tick. Here each row's neighbours are copied once into a (neighbours x KPIs)
block (blanks and infinities as +inf, which sort last) and the block is sorted by a fixed
sorting network (Batcher's odd-even merge: 19 compare-exchanges for 8 neighbours), each
compare-exchange a min and a max over all KPIs at once: no data-dependent branch (an
insertion sort of random values mispredicts most of its compares) and SIMD over the KPIs.
The median of the ``c`` valid values is then read at ranks ``(c - 1) // 2`` and ``c // 2``:
the same number as numpy's (only the sign of a zero may differ between equal values).
Without numba, :func:`neighbour_medians` returns None and the numpy code runs.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from telecom_nb.features import row_split
from telecom_nb.features.robust_kernel import numba


@lru_cache(maxsize=8)
def sorting_network(n: int) -> np.ndarray:
    """(pairs x 2) compare-exchanges that sort ``n`` values ascending: Batcher's odd-even
    merge sort on the next power of two, without the pairs that touch a padded input
    (padding is +inf: it never moves, so those pairs do nothing)."""
    size = 1
    while size < n:
        size *= 2
    pairs = []
    p = 1
    while p < size:
        k = p
        while k >= 1:
            for j in range(k % p, size - k, 2 * k):
                for i in range(min(k, size - j - k)):
                    a, b = i + j, i + j + k
                    if a // (2 * p) == b // (2 * p) and b < n:
                        pairs.append((a, b))
            k //= 2
        p *= 2
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _kernel(z, src, hit, pairs, min_count, out):  # pragma: no cover - compiled
    m, k = out.shape
    width = src.shape[1]
    block = np.empty((width, k))  # the row's neighbours' z, by neighbour then KPI
    count = np.empty(k, dtype=np.int64)
    for i in range(m):
        count[:] = 0
        for q in range(width):
            if hit[i, q]:
                zr = z[src[i, q]]
                for j in range(k):
                    v = zr[j]
                    ok = v - v == 0.0  # finite: NaN and +-inf give NaN
                    block[q, j] = v if ok else np.inf
                    count[j] += ok
            else:
                block[q, :] = np.inf
        for p in range(pairs.shape[0]):
            a, b = pairs[p, 0], pairs[p, 1]
            for j in range(k):
                va, vb = block[a, j], block[b, j]
                block[a, j] = va if va < vb else vb
                block[b, j] = vb if va < vb else va
        for j in range(k):
            c = count[j]
            if c < min_count or c == 0:
                out[i, j] = np.nan
            else:
                out[i, j] = 0.5 * (block[(c - 1) // 2, j] + block[c // 2, j])


if numba is not None:
    _kernel = numba.njit(cache=True, nogil=True)(_kernel)


def neighbour_medians(z: np.ndarray, src: np.ndarray, hit: np.ndarray,
                      min_count: int) -> np.ndarray | None:
    """(rows x KPIs) median of ``z[src[i, q]]`` over the ``hit`` neighbours ``q`` of each
    row, finite values only, NaN where fewer than ``min_count``; None without numba."""
    if numba is None:
        return None
    out = np.empty((len(src), z.shape[1]))
    z = np.ascontiguousarray(z, dtype=np.float64)
    src, hit = np.ascontiguousarray(src, np.int64), np.ascontiguousarray(hit, np.bool_)
    pairs = sorting_network(src.shape[1])
    row_split.over_rows(len(src), lambda lo, hi: _kernel(
        z, src[lo:hi], hit[lo:hi], pairs, int(min_count), out[lo:hi]))
    return out
