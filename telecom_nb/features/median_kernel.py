"""Column and group medians by selection, compiled (numba), with numpy's numbers.

A tick of a small fleet takes ~10 medians over a few hundred to 2,000 rows (the weekday
effects' cross sections, the fleet's typical day, the province peers): numpy sorts every
column (strided) and then gathers, ~100-350 us a call at 1,000 rows. Only the middle one
or two values are needed: a quickselect per column finds the upper middle value, and the
lower one is the largest value left below it (the selection leaves only those there).
A column of a fleet tick (1,000 values) spent ~9 us in that selection's mispredicted
branches: from :data:`RADIX_FROM` values it is a radix selection over the floats' bits
instead (~3.7 us, the same bits; a column holding a -0.0 keeps the quickselect).
The formulas are numpy's own, path by path (:mod:`~telecom_nb.features.group_median`
documents them); ``tests/test_nanmedian.py`` compares with numpy's ``nanmedian`` and
``median``. Without numba the functions return None and the numpy code runs.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.robust_kernel import numba


def select_kth(a, k):  # pragma: no cover - compiled
    """``a[k]`` as if ``a`` were sorted (no NaN in ``a``); afterwards ``a[:k] <= a[k]``."""
    lo, hi = 0, len(a) - 1
    while hi > lo:
        pivot = a[(lo + hi) // 2]
        i, j = lo, hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    return a[k]


def _middle(buf, c, finite, odd_twice):  # pragma: no cover - compiled
    """The median of ``buf[:c]`` (no NaN) at position ``finite``'s middle: the upper
    middle value ``hi`` at ``finite // 2``, the lower ``lo`` at ``(finite - 1) // 2``;
    ``(lo + hi) / 2`` when ``finite`` is even, else ``hi`` (or ``(hi + hi) / 2``)."""
    upper = finite // 2
    hi = select_kth(buf[:c], upper)
    if finite % 2 == 1:
        return (hi + hi) / 2.0 if odd_twice else hi
    lo = buf[0]
    for i in range(1, upper):
        if buf[i] > lo:
            lo = buf[i]
    return (lo + hi) / 2.0


#: from this many values a column's median takes the radix selection (random columns,
#: one call each: 64 values 1.09 -> 0.65 us, 1,000 values 11.4 -> 3.4 us; at 32 the two
#: are within 0.2 us, so the national medians of ~31 provinces keep the quickselect)
RADIX_FROM = 64
_SIGN = np.uint64(1) << np.uint64(63)


def _radix_select(keys, c, k, counts):  # pragma: no cover - compiled
    """The ``k``-th smallest of ``keys[:c]`` (uint64), a byte at a time from the top:
    count the candidates' byte, keep those in the byte holding position ``k`` (in place:
    ``keys`` is overwritten). No comparison of values, so no branch to mispredict."""
    n = c
    shift = np.uint64(56)
    mask = np.uint64(255)
    while True:
        counts[:] = 0
        for i in range(n):
            counts[(keys[i] >> shift) & mask] += 1
        d = 0
        while k >= counts[d]:
            k -= counts[d]
            d += 1
        if counts[d] < n:  # else every candidate shares this byte: nothing to drop
            m = 0
            ud = np.uint64(d)
            for i in range(n):
                v = keys[i]
                keys[m] = v
                m += ((v >> shift) & mask) == ud
            n = m
        if n == 1 or shift == 0:
            return keys[0]
        same = True  # ties (a column's zeros): the rest of the bytes would not split them
        for i in range(1, n):
            same &= keys[i] == keys[0]
        if same:
            return keys[0]
        shift -= np.uint64(8)


def _radix_middle(buf, c, odd_twice, keys, counts):  # pragma: no cover - compiled
    """:func:`_middle`'s median of ``buf[:c]`` (no NaN, no -0.0) by radix selection.

    A float's bits, the sign bit flipped (all bits for a negative number), order as the
    floats do; with no -0.0 beside a +0.0, equal floats are equal bits, so the value at a
    position is the one the quickselect finds, bit for bit. The lower middle value (even
    ``c``) is the largest value below the upper one, or the upper one itself when it is
    tied across both positions."""
    bits = buf[:c].view(np.uint64)
    for i in range(c):
        b = bits[i]
        keys[i] = b ^ ((np.uint64(0) - (b >> np.uint64(63))) | _SIGN)
    upper = c // 2
    key = _radix_select(keys, c, upper, counts)
    keys[0] = key ^ (((key >> np.uint64(63)) - np.uint64(1)) | _SIGN)
    hi = keys[:1].view(np.float64)[0]
    if c % 2 == 1:
        return (hi + hi) / 2.0 if odd_twice else hi
    below = 0
    lo = -np.inf
    for i in range(c):  # no branch on the values: a select the compiler keeps flat
        v = buf[i]
        lt = v < hi
        below += lt
        w = v if lt else -np.inf
        lo = w if w > lo else lo
    if below < upper:
        lo = hi
    return (lo + hi) / 2.0


def _columns(block, odd_twice, out):  # pragma: no cover - compiled
    n, k = block.shape
    buf = np.empty(n)
    bits = buf.view(np.uint64)
    keys = np.empty(n, dtype=np.uint64)
    counts = np.empty(256, dtype=np.int64)
    for j in range(k):
        c = 0
        negative_zero = False
        for i in range(n):
            v = block[i, j]
            if not np.isnan(v):
                buf[c] = v
                negative_zero |= bits[c] == _SIGN
                c += 1
        if c == 0:
            out[j] = np.nan
        elif c < RADIX_FROM or negative_zero:  # -0.0 and +0.0 tie: the quickselect's pick
            out[j] = _middle(buf, c, c, odd_twice)
        else:
            out[j] = _radix_middle(buf, c, odd_twice, keys, counts)


def _groups(codes, values, order, starts, sizes, out):  # pragma: no cover - compiled
    n_groups, k = out.shape
    buf = np.empty(max(1, len(codes)))
    for g in range(n_groups):
        a = starts[g]
        for j in range(k):
            c = 0
            finite = 0
            for t in range(sizes[g]):
                v = values[order[a + t], j]
                if not np.isnan(v):
                    buf[c] = v
                    c += 1
                    if np.isfinite(v):
                        finite += 1
            if finite == 0:
                continue
            # the lexsort path: -inf sorts before the finite values and counts in the
            # position, +inf after; 0.5 * (lo + hi) whatever the count's parity (an odd
            # count's (hi + hi) / 2: the same number)
            out[g, j] = _middle(buf, c, finite, True)


def _few_groups(codes, values, small, out, counts):  # pragma: no cover - compiled
    """Each group's column medians as :func:`~telecom_nb.features.group_median.nanmedian_fast`
    gives them on the group's rows (in row order), and its finite counts.

    The rows are counted into place group by group (a stable counting sort, one column at
    a time) instead of one sort and one call per group. nanmedian_fast's paths, per group:
    one row gives its value; a group with a NaN in any column takes numpy's nanmedian
    (under ``small`` rows an odd count's middle value as ``(hi + hi) / 2``); one without
    takes ``np.median``'s numbers (the compiled selection nanmedian_fast uses on float64).
    """
    n, k = values.shape
    n_groups = out.shape[0]
    sizes = np.zeros(n_groups, dtype=np.int64)
    any_nan = np.zeros(n_groups, dtype=np.bool_)
    for i in range(n):
        g = codes[i]
        sizes[g] += 1
        for j in range(k):
            v = values[i, j]
            if np.isnan(v):
                any_nan[g] = True
            elif np.isfinite(v):
                counts[g, j] += 1.0
    starts = np.zeros(n_groups, dtype=np.int64)
    for g in range(1, n_groups):
        starts[g] = starts[g - 1] + sizes[g - 1]
    buf = np.empty(max(1, n))
    fill = np.empty(n_groups, dtype=np.int64)
    for j in range(k):
        fill[:] = starts
        for i in range(n):
            v = values[i, j]
            if not np.isnan(v):
                g = codes[i]
                buf[fill[g]] = v
                fill[g] += 1
        for g in range(n_groups):
            a, c = starts[g], fill[g] - starts[g]
            if c == 0:
                continue  # no row, or NaN only: NaN
            if sizes[g] == 1:
                out[g, j] = buf[a]
                continue
            odd_twice = any_nan[g] and sizes[g] < small
            out[g, j] = _middle(buf[a : a + c], c, c, odd_twice)


if numba is not None:
    select_kth = numba.njit(cache=True)(select_kth)
    _middle = numba.njit(cache=True)(_middle)
    _radix_select = numba.njit(cache=True)(_radix_select)
    _radix_middle = numba.njit(cache=True)(_radix_middle)
    _columns = numba.njit(cache=True, nogil=True)(_columns)
    _groups = numba.njit(cache=True, nogil=True)(_groups)
    _few_groups = numba.njit(cache=True, nogil=True)(_few_groups)


def column_medians(block: np.ndarray, odd_twice: bool) -> np.ndarray | None:
    """Per column: the median of the non-NaN values (NaN where none); an odd count's
    middle value as ``(hi + hi) / 2`` when ``odd_twice`` (numpy's masked path). None
    without numba."""
    if numba is None or block.ndim != 2:
        return None
    out = np.empty(block.shape[1])
    _columns(np.asarray(block, dtype=np.float64), bool(odd_twice), out)
    return out


def group_medians(codes: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray | None:
    """groups x columns: ``0.5 * (lo + hi)`` of each group's values in a column at the
    positions its finite count gives (NaN where it has none), as the one-lexsort path of
    :func:`~telecom_nb.features.group_median.group_medians`. None without numba."""
    if numba is None or values.ndim != 2:
        return None
    codes = np.asarray(codes, dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    out = np.full((n_groups, values.shape[1]), np.nan)
    _groups(codes, np.asarray(values, dtype=np.float64), order, starts, sizes, out)
    return out


def few_group_medians(
    codes: np.ndarray, values: np.ndarray, n_groups: int, small: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """(groups x columns medians, groups x columns finite counts) in one compiled pass:
    the numbers of a loop calling ``nanmedian_fast`` on each group's rows (NaN where a
    group has no row or only NaN). None without numba or for other than float64 (np.median
    of a float32 block partitions its own way: a median of 0.0 and -0.0 keeps another sign)."""
    if numba is None or values.ndim != 2 or values.dtype != np.float64:
        return None
    out = np.full((n_groups, values.shape[1]), np.nan)
    counts = np.zeros((n_groups, values.shape[1]))
    _few_groups(
        np.asarray(codes, dtype=np.int64), np.ascontiguousarray(values), int(small), out, counts
    )
    return out, counts
