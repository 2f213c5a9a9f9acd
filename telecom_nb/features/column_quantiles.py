"""``np.nanquantile(x, q, axis=0)`` (linear method), the same numbers, from one sort.

numpy's nanquantile along an axis calls a Python function per column
(``apply_along_axis``): on a fleet's 20k-row window that was most of a feature-tail fit,
itself the largest piece of a fleet retrain after the forest. Sorting the columns once
(NaN last) gives every quantile of the columns and of their exceedances over a level
(a suffix of the sorted non-NaN values, shifted; the shift keeps their order). Each
number is numpy's: the virtual index ``(n - 1) * q``, its floor and the same two-sided
``_lerp``; ``tests/test_column_quantiles.py`` compares.

A caller that reads a few quantiles only (a body fit's two, a median) needs only the
order statistics those read: :func:`select_positions` puts them in place (a sign split,
then numpy's partition of one side), ~3x less than the sort on one series' windows.
"""

from __future__ import annotations

import math

import numpy as np

from telecom_nb.features.order_select import select_rows
from telecom_nb.features.radix_sort import sort_rows
from telecom_nb.features.robust_kernel import numba


class SortedColumns:
    """A rows x columns block sorted per column (NaN last) and its non-NaN counts."""

    def __init__(
        self,
        block: np.ndarray,
        *,
        ordered: bool = False,
        no_nan: bool = False,
        count: np.ndarray | None = None,
    ) -> None:
        """``ordered``: ``block`` is already sorted per column, NaN last (not sorted again);
        ``no_nan``: the caller knows ``block`` holds no NaN (every value counts: no pass
        over the block to count them, ~0.6 ms on a 20k x 42 window); ``count``: the caller
        knows each column's non-NaN values (an ``ordered`` block's)."""
        block = np.asarray(block, dtype=np.float64)
        self.ordered = block if ordered else np.sort(block, axis=0)
        if count is not None:
            self.count = np.asarray(count, dtype=np.intp)
        elif no_nan:
            self.count = np.full(self.ordered.shape[1], len(self.ordered), dtype=np.intp)
        else:
            # counted along contiguous rows (an integer: any order; numpy's reduction over
            # the first axis of a narrow block makes one inner loop call per row, ~0.14 ms
            # at 1,000)
            self.count = np.ascontiguousarray(~np.isnan(self.ordered).T).sum(axis=1)
        self._cols = np.arange(self.ordered.shape[1])

    @classmethod
    def of_abs(cls, block: np.ndarray) -> SortedColumns | None:
        """``SortedColumns(np.abs(block), no_nan=True)``, the same sorted values; None when
        ``block`` holds a NaN. One series' feature window has ~half its columns constant
        (its unused features) and numpy's vectorised sort is fastest along contiguous
        rows: ``|block|`` is written transposed in one compiled pass that also tells the
        constant columns (already in order), and only the others are sorted (a 20k x 42
        body fit 5.7-6.7 -> 2.1-2.2 ms), by a radix sort of their bits
        (:func:`~telecom_nb.features.radix_sort.sort_rows`: a fleet's 20k-row columns ~3x
        numpy's sort). ``|x|`` of a float is never ``-0.0`` and a multiset of numbers
        without NaN has one sorted order: the arrays are numpy's."""
        x = np.asarray(block, dtype=np.float64)
        if _abs_transposed is None or x.ndim != 2 or not len(x):
            a = np.abs(x)
            return None if np.isnan(a).any() else cls(a, no_nan=True)
        out = np.empty((x.shape[1], len(x)))
        varying = np.zeros(x.shape[1], dtype=np.bool_)
        if _abs_transposed(x, out, varying):
            return None
        sort_rows(out, np.flatnonzero(varying))  # numpy's arrays, by a radix sort (~3x)
        return cls(out.T, ordered=True, no_nan=True)

    @classmethod
    def abs_quantiles(cls, block: np.ndarray, q: np.ndarray) -> np.ndarray | None:
        """``SortedColumns.of_abs(block).quantile(q)``, the same numbers, without sorting:
        each varying column holds in place only the order statistics ``q`` reads
        (:func:`select_positions`); None when ``block`` holds a NaN. A one-series
        retrain's body-only fits (three a fit: the features, the joint and smoothed
        distances) read q50 and q75 of 20k rows and sorted them (~0.35 s a 100k replay);
        the varying columns' positions in one compiled call
        (:func:`~telecom_nb.features.order_select.select_rows`, branch-free: 7.0 -> 4.2
        ms a 20k x 42 window)."""
        x = np.asarray(block, dtype=np.float64)
        if _abs_transposed is None or x.ndim != 2 or not len(x):
            plain = cls.of_abs(x)
            return None if plain is None else plain.quantile(q)
        out = np.empty((x.shape[1], len(x)))
        varying = np.zeros(x.shape[1], dtype=np.bool_)
        if _abs_transposed(x, out, varying):
            return None
        at = read_positions(len(x), q)
        select_each(out, np.flatnonzero(varying), at)  # |x|: no NaN, no -0.0
        return cls(out.T, ordered=True, no_nan=True).quantile(q)

    @classmethod
    def sorted_quantile(cls, ordered: np.ndarray, q: np.ndarray | float) -> np.ndarray | float:
        """``np.quantile(ordered, q)`` of a sorted 1-D array without NaN, without numpy's
        copy and partition of it (a retrain's calibrations read their sorted reference).
        Each level is read in scalar steps (:func:`_sorted_level`): the block's ~20 numpy
        calls on one column cost ~40 us a call, ~16 calls a one-series retrain."""
        ordered = np.asarray(ordered, dtype=np.float64)
        qs = np.asarray(q, dtype=np.float64)
        if len(ordered) == 0 or not ((qs >= 0.0) & (qs <= 1.0)).all():  # numpy's way
            out = cls(ordered[:, None], ordered=True, no_nan=True).quantile(q)
            return float(out[0]) if qs.ndim == 0 else out[:, 0]
        if qs.ndim == 0:
            return _sorted_level(ordered, float(qs))
        return np.array([_sorted_level(ordered, v) for v in qs.ravel().tolist()])

    def quantile(self, q: np.ndarray | float) -> np.ndarray:
        """``np.nanquantile(block, q, axis=0)`` (all-NaN columns: NaN)."""
        return self._lerp(np.zeros_like(self.count), self.count, q, None)

    def excess_quantile(self, level: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
        """How many values of each column are above ``level`` (per column), and
        ``np.nanquantile(np.where(block > level, block - level, nan), q, axis=0)``."""
        above = self.above(level)
        return above, self._lerp(self.count - above, above, q, level)

    def above(self, level: np.ndarray) -> np.ndarray:
        """``(block > level).sum(axis=0)``: a binary search of every column's sorted non-NaN
        values at once (~15 steps over the columns instead of a pass over the block, ~0.8
        ms a level on a fleet's 20k x 42 window); a NaN level: none above, as numpy's
        comparison. ``v <= level`` is monotone along a sorted column (-0.0 and 0.0 compare
        equal however the sort left them)."""
        level = np.broadcast_to(np.asarray(level, dtype=np.float64), self.count.shape)
        lo, hi = np.zeros_like(self.count), self.count.copy()
        last = max(len(self.ordered) - 1, 0)
        while True:
            open_ = lo < hi
            if not open_.any():
                break
            mid = (lo + hi) // 2
            below = open_ & (self.ordered[np.minimum(mid, last), self._cols] <= level)
            lo = np.where(below, mid + 1, lo)  # values up to mid are <= level
            hi = np.where(open_ & ~below, mid, hi)
        above = self.count - lo
        above[np.isnan(level)] = 0
        return above

    def _lerp(self, start: np.ndarray, m: np.ndarray, q, shift) -> np.ndarray:
        """numpy's linear quantile of each column's sorted values ``start:start + m``
        (minus ``shift``), for every ``q`` (rows of the result for an array ``q``)."""
        qs = np.asarray(q, dtype=np.float64)
        virtual = (m - 1).astype(np.float64) * qs.reshape(-1, 1)  # (n - 1) * q
        prev = np.floor(virtual)
        nxt = prev + 1
        top = virtual >= m - 1  # numpy takes the last value twice (index -1)
        prev[top] = -1
        nxt[top] = -1
        gamma = virtual - prev
        last = np.maximum(start + m - 1, 0)
        prev_i = np.where(top, last, start + np.maximum(prev, 0).astype(np.intp))
        next_i = np.where(top, last, start + np.minimum(nxt, np.maximum(m - 1, 0)).astype(np.intp))
        a = self.ordered[prev_i, self._cols]
        b = self.ordered[next_i, self._cols]
        with np.errstate(invalid="ignore", over="ignore"):
            if shift is not None:
                a, b = a - shift, b - shift
            diff = b - a
            out = a + diff * gamma
            np.subtract(b, diff * (1 - gamma), out=out, where=gamma >= 0.5)
        out[:, m == 0] = np.nan  # an all-NaN column
        return out if qs.ndim else out[0]


def _sorted_level(ordered: np.ndarray, q: float) -> float:
    """:meth:`SortedColumns._lerp`'s number for one non-empty sorted column and one ``q``
    in [0, 1], in Python floats: the same IEEE operations in the same order (the virtual
    index, its floor, the two-sided interpolation; infinities give the same NaN)."""
    m = len(ordered)
    virtual = float(m - 1) * q
    if virtual >= m - 1:  # numpy takes the last value twice (index -1)
        a = b = float(ordered[m - 1])
        gamma = virtual + 1.0  # virtual - (-1)
    else:
        prev = math.floor(virtual)
        gamma = virtual - float(prev)
        a, b = float(ordered[prev]), float(ordered[min(prev + 1, m - 1)])
    diff = b - a
    return b - diff * (1.0 - gamma) if gamma >= 0.5 else a + diff * gamma


def read_positions(n: int, q: np.ndarray) -> np.ndarray:
    """The sorted positions :meth:`SortedColumns.quantile` reads for ``n`` values without
    NaN and the levels ``q`` (its ``_lerp``'s two indices per level), unique, ascending."""
    virtual = float(n - 1) * np.asarray(q, dtype=np.float64).ravel()
    prev = np.floor(virtual)
    top = virtual >= n - 1  # numpy reads the last value twice
    low = np.where(top, n - 1, np.maximum(prev, 0)).astype(np.intp)
    high = np.where(top, n - 1, np.minimum(prev + 1, max(n - 1, 0))).astype(np.intp)
    return np.unique(np.r_[low, high])


def select_each(block: np.ndarray, rows: np.ndarray, at: np.ndarray) -> None:
    """In place: each row of ``rows`` of ``block`` holds at each position of ``at``
    (ascending) the value ``np.sort`` puts there -- by the compiled branch-free selection
    (:func:`~telecom_nb.features.order_select.select_rows`) where it can, by
    :func:`select_positions` for the rows it leaves (a NaN or a ``-0.0``; no numba; another
    layout)."""
    done = select_rows(block, rows, at)
    for j in (rows if done is None else rows[~done]).tolist():
        select_positions(block[j], at)


def select_positions(row: np.ndarray, at: np.ndarray) -> None:
    """In place: the contiguous 1-D ``row`` holds at each position of ``at`` (ascending)
    the value ``np.sort(row)`` holds there; its other values are moved, not changed.

    numpy's partition of a column tied at zero around the position (a one-series window's
    bounded z: a quarter of its values 0.0) was up to 5x slower than its sort: the row is
    split by sign first (negatives, zeros, positives: one compiled pass), a position in the
    zeros reads 0.0 and each side is partitioned alone. A row holding a NaN or -0.0 is
    sorted (the numbers np.sort gives, whatever order its zeros take)."""
    split = None if _split_signs is None else _split_signs(row)
    if split is None or split[0] < 0:
        row.sort()
        return
    neg, zeros = split
    pos = neg + zeros
    left, right = at[at < neg], at[at >= pos] - pos
    if len(left):
        row[:neg].partition(_many(left))
    if len(right):
        row[pos:].partition(_many(right))


def _many(at: np.ndarray) -> np.ndarray:
    """``at`` as two positions at least: numpy partitions at one position by its SIMD
    selection, ~4x slower here than its introselect at two (the same one, twice: 0.73 ->
    0.17 ms on a one-series window's 20k-row column)."""
    return at if len(at) > 1 else np.repeat(at, 2)


def _split_signs(row):  # pragma: no cover - compiled
    """In place: ``row``'s negative values first, then its zeros, then its positive ones;
    returns how many negatives and zeros, or (-1, 0) at a NaN or a -0.0 (the values only
    swapped places)."""
    lo, i, hi = 0, 0, len(row)  # [0, lo) < 0, [lo, i) == +0.0, [hi, n) > 0
    while i < hi:
        v = row[i]
        if v < 0.0:
            row[i] = row[lo]
            row[lo] = v
            lo += 1
            i += 1
        elif v > 0.0:
            hi -= 1
            row[i] = row[hi]
            row[hi] = v
        elif v == 0.0 and math.copysign(1.0, v) > 0.0:
            i += 1
        else:
            return -1, 0
    return lo, i - lo


def _abs_transposed(x, out, varying):  # pragma: no cover - compiled
    """``out[j, i] = |x[i, j]|``; ``varying[j]``: column ``j`` holds two values; returns
    whether a NaN was seen (then ``out`` is not used)."""
    n, f = x.shape
    for i in range(n):
        for j in range(f):
            v = abs(x[i, j])
            if v != v:
                return True
            out[j, i] = v
            if v != out[j, 0]:
                varying[j] = True
    return False


_abs_transposed = None if numba is None else numba.njit(cache=True, nogil=True)(_abs_transposed)
_split_signs = None if numba is None else numba.njit(cache=True, nogil=True)(_split_signs)
