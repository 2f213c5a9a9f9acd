"""A fleet tick's trimmed mean square of the weekday effects, numpy's numbers in one pass.

``weekly._trimmed_excess`` reads, per KPI column of a sampled sectors x KPIs block, the
``q`` quantile of ``dev**2`` (``np.nanquantile``) and the means of ``dev**2`` and of the
noise over the rows at or below it (``np.nanmean`` of the masked blocks). In numpy that is
a sort of the whole block along its columns for one quantile, two masked copies and their
reductions: ~0.1-0.2 ms a 1,000-sector tick, every tick. Here each column's two order
statistics the quantile reads are selected (``median_kernel.select_kth``, the column
medians' quickselect: the values at those positions are the sorted block's, the same
numbers whatever the algorithm; numba's own ``np.partition`` compiled in ~7 s), the quantile
is :meth:`~telecom_nb.features.column_quantiles.SortedColumns.quantile`'s interpolation
in the same IEEE operations, and the sums add row 0, row 1, ... per column as
``masked_mean.mean_where``'s pass does: the same bits (``tests/test_column_quantiles.py``).
"""

from __future__ import annotations

import math

import numpy as np

from telecom_nb.features.median_kernel import select_kth
from telecom_nb.features.robust_kernel import numba


def trimmed_means(
    dev: np.ndarray, noise: np.ndarray, q: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(mean_where(dev**2, kept), mean_where(noise, kept))`` with ``kept = dev**2 <=
    np.nanquantile(dev**2, q, axis=0)``; None where the pass does not apply (no numba,
    other shapes, layouts or types, fewer than two columns: ``mean_where`` reduces a
    single column pairwise), and the caller's numpy code runs."""
    if (
        _trimmed is None
        or not isinstance(dev, np.ndarray)
        or not isinstance(noise, np.ndarray)
        or dev.ndim != 2
        or dev.shape[1] < 2
        or noise.shape != dev.shape
        or dev.dtype != np.float64
        or noise.dtype != np.float64
        or not dev.flags.c_contiguous
        or not noise.flags.c_contiguous
        or not 0.0 <= q <= 1.0
    ):
        return None
    k = dev.shape[1]
    sums = np.zeros((2, k))
    counts = np.zeros((2, k), dtype=np.intp)
    _trimmed(dev, noise, float(q), sums, counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums[0] / counts[0], sums[1] / counts[1]


def _cut(buf, m, q):  # pragma: no cover - compiled
    """``SortedColumns.quantile``'s number for the ``m`` values of ``buf`` (no NaN,
    ``m >= 1``, in any order; ``buf`` reordered): ``column_quantiles._sorted_level``'s
    operations on the two order statistics it reads."""
    virtual = float(m - 1) * q
    if virtual >= m - 1:  # numpy takes the last value twice (index -1)
        a = b = np.max(buf[:m])
        gamma = virtual + 1.0  # virtual - (-1)
    else:
        prev = math.floor(virtual)
        gamma = virtual - float(prev)
        a = select_kth(buf[:m], prev)
        b = a if prev + 1 > m - 1 else np.min(buf[prev + 1 : m])
    diff = b - a
    return b - diff * (1.0 - gamma) if gamma >= 0.5 else a + diff * gamma


def _trimmed(dev, noise, q, sums, counts):  # pragma: no cover - compiled
    """``sums[0, j]``, ``counts[0, j]``: ``dev[:, j]**2``'s non-NaN values at or below
    their ``q`` quantile, summed from row 0 as ``masked_mean._sums`` does; ``sums[1]``,
    ``counts[1]``: the non-NaN noise of the same rows."""
    n, k = dev.shape
    buf = np.empty(n)
    for j in range(k):
        m = 0
        for i in range(n):
            v = dev[i, j] * dev[i, j]
            if not np.isnan(v):
                buf[m] = v
                m += 1
        cut = _cut(buf, m, q) if m else np.nan
        for i in range(n):
            v = dev[i, j] * dev[i, j]
            kept = v <= cut  # False at a NaN value or cut
            w = noise[i, j]
            add = v if kept else 0.0
            add_noise = w if kept and not np.isnan(w) else 0.0
            if i == 0:  # numpy starts from the first row, not from 0.0
                sums[0, j] = add
                sums[1, j] = add_noise
            else:
                sums[0, j] += add
                sums[1, j] += add_noise
            if kept:
                counts[0, j] += 1
                if not np.isnan(w):
                    counts[1, j] += 1


if numba is not None:
    _cut = numba.njit(cache=True, nogil=True)(_cut)
    _trimmed = numba.njit(cache=True, nogil=True)(_trimmed)
else:  # pragma: no cover - numba is a dependency
    _trimmed = None
