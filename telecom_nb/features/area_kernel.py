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
from telecom_nb.features.robust_kernel import _nan0, numba
from telecom_nb.features.tick_kernels import _nmax, _sign


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


def _one_tick(rows, ok, near, src, hit):  # pragma: no cover - compiled
    """:func:`~telecom_nb.features.area._same_tick` of one tick's rows."""
    at = np.full(near.shape[0] + 1, -1, dtype=np.int64)  # registry row -> batch row
    for i in range(rows.shape[0]):
        if ok[i]:
            at[rows[i]] = i  # a repeated sector: the last, as numpy's assignment
    m = 0
    for i in range(rows.shape[0]):
        if ok[i]:
            for q in range(near.shape[1]):
                s = near[rows[i], q]
                v = at[s] if s >= 0 else -1
                src[m, q] = v if v >= 0 else 0
                hit[m, q] = v >= 0
            m += 1


def _evidence(med, z, rows, level, dev, count, fleet_sd, mad, prior_ticks, min_sd, step,
              warm_up, out):  # pragma: no cover - compiled
    """:meth:`~telecom_nb.features.area.AreaMedian.transform` after the medians, per cell
    in numpy's order (``shrunk_rows``, the standardised median, the geometric mean)."""
    n, k = med.shape
    for i in range(n):
        r = rows[i]
        known = r >= 0 and r < level.shape[0]
        rr = r if known else 0
        for j in range(k):
            c = np.float64(count[rr, j])
            spread = (c * (np.float64(dev[rr, j]) * mad) + prior_ticks * fleet_sd[j]) / (
                c + prior_ticks)
            area = _nan0((med[i, j] - np.float64(level[rr, j])) / _nmax(spread, min_sd))
            own = _nan0(z[i, j])
            sign = _sign(own)
            both = _nmax(sign * area, 0.0)
            ok = known and c * step >= warm_up
            out[i, j] = sign * np.sqrt(abs(own) * both) if ok else 0.0


if numba is not None:
    _one_tick = numba.njit(cache=True, nogil=True)(_one_tick)
    _evidence = numba.njit(cache=True, nogil=True, error_model="numpy")(_evidence)


def one_tick(rows: np.ndarray, ok: np.ndarray, near: np.ndarray) -> tuple | None:
    """``_same_tick`` of a single tick's rows without the gathered neighbour block and its
    temporaries (4 x 6 MB at 100k sectors); None without numba."""
    if numba is None or near.dtype != np.int64 or rows.dtype != np.int64:
        return None
    m = int(np.count_nonzero(ok))
    src = np.empty((m, near.shape[1]), dtype=np.int64)
    hit = np.empty((m, near.shape[1]), dtype=np.bool_)
    _one_tick(rows, np.ascontiguousarray(ok), np.ascontiguousarray(near), src, hit)
    return src, hit


def evidence(table, rows: np.ndarray, med: np.ndarray, z: np.ndarray, fleet_sd: np.ndarray,
             prior_ticks: float, min_sd: float, step_ns: int, warm_up_ns: int):
    """``AreaMedian.transform``'s result from the medians in one pass (no ~10 rows x KPIs
    temporaries); None where this path does not apply (the numpy lines run)."""
    from telecom_nb.features.robust_stats import MAD_TO_SIGMA

    arrays = (table.level, table.dev, table.count)
    if (numba is None or table.n_rows == 0 or med.dtype != np.float64 or z.dtype != np.float64
            or any(a.dtype not in (np.float64, np.float32) or a.ndim != 2 for a in arrays)
            or rows.dtype.kind not in "iu"):
        return None
    out = np.empty(med.shape)
    fleet_sd = np.asarray(fleet_sd, dtype=np.float64)
    options = (MAD_TO_SIGMA, float(prior_ticks), float(min_sd), float(max(step_ns, 1)),
               float(warm_up_ns))
    row_split.over_rows(len(med), lambda lo, hi: _evidence(
        med[lo:hi], z[lo:hi], rows[lo:hi], *arrays, fleet_sd, *options, out[lo:hi]))
    return out
