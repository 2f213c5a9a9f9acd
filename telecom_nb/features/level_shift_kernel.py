"""The level-shift feature of one sector's rows in one compiled pass (``SeriesPass``).

``shift_pass`` scores then learns each row as ``LevelShift.transform_view`` then
``update_view`` would, one row per batch, with the same float64 operations in the same
order (the windows' bins oldest first, the references' medians as numpy's masked
``nanmedian``): the equivalence tests compare them bit for bit.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.any_layout import AnyLayout
from telecom_nb.features.level_shift import (
    _NONE,
    BINS_PER_DAY,
    DAYS,
    MAD_BIAS,
    MAD_TO_SIGMA,
    MIN_DAYS,
    MIN_SCALE_BINS,
    RING,
    TRIM_ROWS,
    TRIMMED,
    WINDOWS,
)
from telecom_nb.features.robust_kernel import numba
from telecom_nb.features.seasonal import Z_CLIP
from telecom_nb.features.series_cells import _sign

_W = np.array(WINDOWS, dtype=np.int64)
_TRIM = np.array(TRIMMED, dtype=np.bool_)


def _mean(total, count, hi, lo, trim):  # pragma: no cover - compiled
    """``level_shift.window_mean`` of one window."""
    if count == 0:
        return np.nan
    if trim and count >= TRIM_ROWS:
        return (total - hi - lo) / (count - 2.0)
    return total / count


def _window_z(y, bi, c0, j, bins, w, cur_sum, cur_n, cur_max, cur_min, ring_sum, ring_n,
              ring_max, ring_min, ring_id, ref, spread, floors):  # pragma: no cover - compiled
    """``LevelShift`` z of the last ``bins`` bins (window ``w``) of KPI ``j`` with ``y``."""
    ok = np.isfinite(y) and y != 0.0
    same = bi == c0
    c_sum = (cur_sum[0, j] if same else 0.0) + (y if ok else 0.0)
    c_n = (cur_n[0, j] if same else 0.0) + (1.0 if ok else 0.0)
    hi = max(cur_max[0, j] if same else -np.inf, y if ok else -np.inf)
    lo = min(cur_min[0, j] if same else np.inf, y if ok else np.inf)
    p_sum = 0.0
    p_n = 0.0
    for back in range(bins - 1, 0, -1):
        want = bi - back
        slot = want % RING
        if ring_id[0, slot] == want:
            s, m = ring_sum[0, slot, j], ring_n[0, slot, j]
            a, b = ring_max[0, slot, j], ring_min[0, slot, j]
        elif c0 == want:
            s, m = cur_sum[0, j], cur_n[0, j]
            a, b = cur_max[0, j], cur_min[0, j]
        else:
            s, m = 0.0, 0.0
            a, b = -np.inf, np.inf
        p_sum = p_sum + s
        p_n = p_n + m
        hi = max(hi, a)
        lo = min(lo, b)
    total = p_sum + c_sum
    count = p_n + c_n
    scale = max(spread[0, w, j], floors[j])
    if count == 0:
        return np.nan
    return (_mean(total, count, hi, lo, _TRIM[w]) - ref[0, w, j]) / scale


def _median(v, buf):  # pragma: no cover - compiled
    """``series_cells._ring_median(v, False)`` (numpy's masked nanmedian) without its three
    temporary arrays (~0.4 us a call, 16 calls a row): the finite values go into ``buf`` by
    insertion, the very comparisons (``<``) and moves of numba's ``np.sort`` on fewer than
    16 values (an insertion sort), so even a -0.0 beside a 0.0 lands where it did."""
    c = 0
    for x in v:
        if np.isnan(x):
            continue
        i = c
        while i > 0 and x < buf[i - 1]:
            buf[i] = buf[i - 1]
            i -= 1
        buf[i] = x
        c += 1
    if c == 0:
        return np.nan
    h = c // 2
    lo = buf[h] if c % 2 == 1 else buf[h - 1]
    return (lo + buf[h]) / 2.0


def _reference(bi, j, bins, w, ring_sum, ring_n, ring_max, ring_min, ring_id, ref, spread,
               spread_n, means, dev, buf):  # pragma: no cover - compiled
    """``LevelShift._reference`` of KPI ``j``, window ``w``, for the new bin ``bi``."""
    valid = 0
    for d in range(1, DAYS + 1):
        w_sum = 0.0
        w_n = 0.0
        hi = -np.inf
        lo = np.inf
        for back in range(bins - 1, -1, -1):
            want = bi - d * BINS_PER_DAY - back
            slot = want % RING
            if ring_id[0, slot] == want:
                w_sum = w_sum + ring_sum[0, slot, j]
                w_n = w_n + ring_n[0, slot, j]
                hi = max(hi, ring_max[0, slot, j])
                lo = min(lo, ring_min[0, slot, j])
        means[d - 1] = _mean(w_sum, w_n, hi, lo, _TRIM[w])
        valid += w_n > 0
    if valid >= MIN_DAYS:
        r = _median(means, buf)
        for d in range(DAYS):
            dev[d] = abs(means[d] - r)
        mad = _median(dev, buf) * MAD_TO_SIGMA
        mad = mad / MAD_BIAS[valid]
        ref[0, w, j] = r
        a = max(1.0 / (spread_n[0, w, j] + 1.0), 1.0 / BINS_PER_DAY)
        spread[0, w, j] = spread[0, w, j] + a * (mad - spread[0, w, j])
        spread_n[0, w, j] = spread_n[0, w, j] + 1.0
    else:
        ref[0, w, j] = np.nan


def shift_pass(y, b, out, cur, cur_sum, cur_n, cur_max, cur_min, ring_sum, ring_n, ring_max,
               ring_min, ring_id, ref, spread, spread_n, floors):  # pragma: no cover - compiled
    """Rows ``y`` (n x k, scaled) in bins ``b`` of state row 0: ``out`` (n x k) filled.

    A row opening a bin rolls it before it is scored, so it reads that bin's references
    (the previous days' bins, all closed by then), not the open (previous) bin's: at an
    hour's or 15 minutes' cadence every row opens a bin, and each hour was compared with
    the hour before on the previous days (a steep day's ramps read as shifts)."""
    n, k = y.shape
    means = np.empty(DAYS)
    dev = np.empty(DAYS)
    buf = np.empty(DAYS)  # the medians' sorted values
    for i in range(n):
        bi = b[i]
        c0 = cur[0]
        if bi > c0:  # roll first: close the open bin, the new bin's references
            if c0 != _NONE:
                slot = c0 % RING
                for j in range(k):
                    ring_sum[0, slot, j] = cur_sum[0, j]
                    ring_n[0, slot, j] = cur_n[0, j]
                    ring_max[0, slot, j] = cur_max[0, j]
                    ring_min[0, slot, j] = cur_min[0, j]
                ring_id[0, slot] = c0
            cur[0] = bi
            for j in range(k):
                cur_sum[0, j] = 0.0
                cur_n[0, j] = 0.0
                cur_max[0, j] = -np.inf
                cur_min[0, j] = np.inf
            for w in range(len(_W)):
                for j in range(k):
                    _reference(bi, j, _W[w], w, ring_sum, ring_n, ring_max, ring_min, ring_id,
                               ref, spread, spread_n, means, dev, buf)
        c0 = cur[0]  # a row opening a bin reads that bin's references
        for j in range(k):  # score
            v = y[i, j]
            hour = _window_z(v, bi, c0, j, _W[0], 0, cur_sum, cur_n, cur_max, cur_min,
                             ring_sum, ring_n, ring_max, ring_min, ring_id, ref, spread, floors)
            recent = _window_z(v, bi, c0, j, _W[1], 1, cur_sum, cur_n, cur_max, cur_min,
                               ring_sum, ring_n, ring_max, ring_min, ring_id, ref, spread,
                               floors)
            good = (np.isfinite(v) and spread_n[0, 0, j] >= MIN_SCALE_BINS
                    and np.isfinite(hour) and spread_n[0, 1, j] >= MIN_SCALE_BINS
                    and np.isfinite(recent))
            if good and _sign(hour) == _sign(recent):
                z = _sign(hour) * min(abs(hour), abs(recent))
                out[i, j] = min(max(z, -Z_CLIP), Z_CLIP)
            else:
                out[i, j] = 0.0
        if bi == cur[0]:
            for j in range(k):
                v = y[i, j]
                ok = np.isfinite(v) and v != 0.0
                cur_sum[0, j] = cur_sum[0, j] + (v if ok else 0.0)
                cur_n[0, j] = cur_n[0, j] + (1.0 if ok else 0.0)
                if ok:
                    cur_max[0, j] = max(cur_max[0, j], v)
                    cur_min[0, j] = min(cur_min[0, j], v)


# the cells are inlined into the row loops (numba's inline, exact: the same operations):
# a call passing ~10 state arrays cost ~0.1 us (their reference counts), ~2 us a row
if numba is not None:
    _mean = numba.njit(cache=True, inline="always")(_mean)
    _median = numba.njit(cache=True, inline="always")(_median)
    _window_z = numba.njit(cache=True, inline="always")(_window_z)
    _reference = numba.njit(cache=True, inline="always")(_reference)
    shift_pass = AnyLayout(numba.njit(cache=True, nogil=True)(shift_pass))
