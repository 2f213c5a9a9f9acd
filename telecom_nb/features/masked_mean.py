"""Column means over a mask, compiled (numba), with numpy's numbers.

``np.nanmean(np.where(mask, x, nan), axis=0)`` of a rows x columns block (a fleet tick's
sectors x series) costs ~0.3 ms at 1,000 rows: the masked copy, and numpy's reduction over
the first axis of a C-ordered block, which adds one row at a time with one inner loop call
per row. That order is sequential per column (row 0, then row 1, ...), so one compiled pass
in the same order gives the same bits. A single column is reduced pairwise by numpy (the
block is then one contiguous run): it stays on numpy, as does everything without numba.
``tests/test_column_quantiles.py`` compares with numpy over many shapes.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.robust_kernel import numba


def _sums(values, mask, sums, counts):  # pragma: no cover - compiled
    n, k = values.shape
    for i in range(n):
        for j in range(k):
            v = values[i, j]
            ok = mask[i, j] and not np.isnan(v)
            add = v if ok else 0.0
            if i == 0:
                sums[j] = add  # numpy starts from the first row, not from 0.0
            else:
                sums[j] += add
            if ok:
                counts[j] += 1


if numba is not None:
    _sums = numba.njit(cache=True, nogil=True)(_sums)


def mean_where(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``np.nanmean(np.where(mask, values, nan), axis=0)`` of a 2-D block, the same bits
    (a column with nothing to average: NaN, without numpy's warning)."""
    values = np.asarray(values, dtype=np.float64)
    if numba is None or values.ndim != 2 or values.shape[1] < 2:
        keep = mask & ~np.isnan(values)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (np.sum(np.where(keep, values, 0.0), axis=0)
                    / np.sum(keep, axis=0, dtype=np.intp))
    sums = np.zeros(values.shape[1])
    counts = np.zeros(values.shape[1], dtype=np.intp)
    _sums(values, np.ascontiguousarray(mask, dtype=np.bool_), sums, counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts
