"""Median per group of rows, vectorised (provinces: tens; arbitrary labels: many)."""

from __future__ import annotations

import warnings

import numpy as np

from telecom_nb.features import median_kernel
from telecom_nb.features.masked_mean import column_counts

#: below this many rows numpy's nanmedian takes its masked-array path
_NANMEDIAN_SMALL = 600
#: with at most this many groups, a loop over groups (not sectors) is the fastest ...
FEW_GROUPS = 256
#: ... unless the rows are this few: then one sort per column beats a call per group
FEW_ROWS = 2000


def nanmedian_fast(block: np.ndarray) -> np.ndarray:
    """Column medians ignoring NaN; plain ``median`` when there is no NaN (10x faster)."""
    if len(block) == 1:
        return block[0].astype(np.float64)
    if np.isnan(block).any():
        return _nanmedian_columns(block)
    compiled = (median_kernel.column_medians(block, odd_twice=False)
                if block.dtype == np.float64 else None)  # np.median keeps float32 as is
    if compiled is not None:  # np.median's numbers, by selection (no NaN here)
        return compiled
    return np.median(block, axis=0)


def quiet_nanmedian(block: np.ndarray) -> np.ndarray:
    """:func:`nanmedian_fast` with numpy's RuntimeWarnings (an all-NaN column) silenced.
    The compiled selection of a float64 block warns of nothing: only numpy's paths get
    the warning filters, whose set-up and reset (~1.6 us) came ~7 times a fleet tick."""
    if median_kernel.numba is not None and block.ndim == 2 and block.dtype == np.float64:
        return nanmedian_fast(block)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return nanmedian_fast(block)


def _nanmedian_columns(block: np.ndarray) -> np.ndarray:
    """``np.nanmedian(block, axis=0)``, the same numbers, from one sort.

    numpy's nanmedian goes through masked arrays (or one Python call per column): the
    middle value, or the mean ``(a + b) / 2`` of the two middle values, of each column's
    non-NaN values; a column of NaN only gives NaN. ``tests/test_nanmedian.py`` compares.
    """
    compiled = median_kernel.column_medians(block, odd_twice=len(block) < _NANMEDIAN_SMALL)
    if compiled is not None:  # the lines below by selection (same numbers)
        return compiled
    ordered = np.sort(block.astype(np.float64, copy=False), axis=0)  # NaN sort last
    count = (~np.isnan(block)).sum(axis=0)
    cols = np.arange(block.shape[1])
    lo = ordered[np.maximum(count - 1, 0) // 2, cols]
    hi = ordered[np.minimum(count // 2, len(ordered) - 1), cols]
    with np.errstate(over="ignore", invalid="ignore"):  # huge or infinite values
        # numpy's masked path (under 600 rows) also averages the middle value with itself
        middle = (hi + hi) / 2.0 if len(block) < _NANMEDIAN_SMALL else hi
        out = np.where(count % 2 == 1, middle, (lo + hi) / 2.0)
    return np.where(count > 0, out, np.nan)


def nanmedian_lanes(a: np.ndarray) -> np.ndarray:
    """``np.nanmedian(a, axis=1)`` of a rows x n x columns array, the same numbers: each
    (row, column) lane's median as :func:`_nanmedian_columns` takes a column's (numpy's
    masked-array path under 600 values, ~0.4 ms a call for a few rows of 7 days)."""
    rows, n, k = a.shape
    block = np.ascontiguousarray(a.transpose(1, 0, 2)).reshape(n, rows * k)
    return _nanmedian_columns(block).reshape(rows, k)


def group_medians(codes: np.ndarray, values: np.ndarray, n_groups: int,
                  min_count: int = 1) -> np.ndarray:
    """groups x columns medians of ``values`` (rows x columns), ignoring NaN.

    A group with fewer than ``min_count`` finite values in a column gets NaN.
    """
    few = n_groups <= FEW_GROUPS and len(values) >= FEW_ROWS
    if few:  # the loop over groups below, in one compiled pass (same numbers)
        compiled = median_kernel.few_group_medians(codes, values, n_groups, _NANMEDIAN_SMALL)
        if compiled is not None:
            out, counts = compiled
            out[counts < min_count] = np.nan
            return out
    out = np.full((n_groups, values.shape[1]), np.nan)
    finite = np.isfinite(values)
    counts = np.stack(
        [np.bincount(codes, weights=finite[:, j], minlength=n_groups)
         for j in range(values.shape[1])], axis=1,
    )
    compiled = None
    if values.dtype == np.float64 and not few:
        compiled = median_kernel.group_medians(codes, values, n_groups)
    if compiled is not None:  # the one-sort-per-column path below, by selection
        out = compiled
    elif few:
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(n_groups + 1))
        ordered = values[order]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN groups stay NaN
            for g in range(n_groups):
                block = ordered[bounds[g] : bounds[g + 1]]
                if len(block):
                    out[g] = nanmedian_fast(block)
    else:
        sizes = np.bincount(codes, minlength=n_groups)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        for j in range(values.shape[1]):
            order = np.lexsort((values[:, j], codes))  # NaN last inside each group
            col = values[order, j]
            c = counts[:, j].astype(np.int64)
            has = c > 0
            lo = starts + np.maximum(c - 1, 0) // 2
            hi = starts + c // 2
            hi = np.where(has, hi, lo)
            out[has, j] = 0.5 * (col[lo[has]] + col[np.minimum(hi[has], len(col) - 1)])
    out[counts < min_count] = np.nan
    return out


#: sectors sampled for a fleet-wide statistic (a stride keeps 100k sectors cheap)
FLEET_SAMPLE = 2000
#: sectors with enough history needed before a fleet-wide statistic is usable
MIN_FLEET_SECTORS = 10


def fleet_sample(n_sectors: int) -> slice:
    """The strided sample of at most ~FLEET_SAMPLE of ``n_sectors`` a fleet median reads."""
    return slice(None, None, max(1, n_sectors // FLEET_SAMPLE))


def fleet_median(values: np.ndarray, counts: np.ndarray, min_count: float,
                 sampled: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per-column median of ``values`` (sectors x columns) over *warm* sectors.

    A sector is warm in a column once its ``counts`` reach ``min_count``; a strided
    sample of at most ~FLEET_SAMPLE sectors is used. Returns the medians and, per
    column, whether at least MIN_FLEET_SECTORS warm sectors backed it (else NaN).
    ``sampled``: ``values`` and ``counts`` are that sample already (:func:`fleet_sample`).
    """
    sample = slice(None) if sampled else fleet_sample(len(counts))
    warm = counts[sample] >= min_count
    enough = column_counts(warm) >= MIN_FLEET_SECTORS
    if not enough.any():
        return np.full(values.shape[1:], np.nan), enough
    # float64: a float32 state table's median of two middle values as a float64 one's
    picked = np.where(warm, values[sample].astype(np.float64, copy=False), np.nan)
    if picked.ndim == 2:  # a column with no warm sector: NaN, quietly
        # numpy's nanmedian takes a masked-array path below 600 rows (a small fleet's
        # every tick): the one-sort twin gives its numbers
        med = quiet_nanmedian(picked)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(picked, axis=0)
    return np.where(enough, med, np.nan), enough
