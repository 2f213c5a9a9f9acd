"""The level-shift feature of one sector's rows in one compiled pass (``SeriesPass``).

``shift_pass`` scores then learns each row as ``LevelShift.transform_view`` then
``update_view`` would, one row per batch, with the same float64 operations in the same
order (the windows' bins oldest first, the references' medians as numpy's masked
``nanmedian``): the equivalence tests compare them bit for bit.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.any_layout import AnyLayout
from telecom_nb.features.level_shift_bins import (
    _NONE,
    BINS_PER_DAY,
    DAYS,
    MAD_BIAS,
    MAD_TO_SIGMA,
    MIN_DAYS,
    MIN_SCALE_BINS,
    PARTIAL_ROWS,
    RING,
    TRIM_ROWS,
    TRIMMED,
    WEEK_BINS,
    WEEK_GUARD,
    WEEK_SAME,
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


def _window_mean(y, bi, c0, j, bins, w, cur_sum, cur_n, cur_max, cur_min, ring_sum, ring_n,
                 ring_max, ring_min, ring_id):  # pragma: no cover - compiled
    """``LevelShift`` mean of the last ``bins`` bins (window ``w``) of KPI ``j`` with ``y``."""
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
    return _mean(p_sum + c_sum, p_n + c_n, hi, lo, _TRIM[w])


def _median(v, buf):  # pragma: no cover - compiled
    """``series_cells._ring_median(v, False)`` (numpy's masked nanmedian) without its three
    temporary arrays or a sort: each finite value's place in the stable sort by ``<`` (the
    values below it, and the equal ones before it) is the place the insertion sort it
    replaces gave it (numba's ``np.sort`` on fewer than 16 values, so even a -0.0 beside a
    0.0 lands where it did), and the middle places are read off without moving anything:
    the sort's mispredicted shifts (16 medians a row, ~1/5 of the one-series pass) become
    six comparisons a value. ``buf``: unused, left as it is (the callers' scratch)."""
    c = 0
    for x in v:
        c += not np.isnan(x)
    if c == 0:
        return np.nan
    h = c // 2
    mid = 0.0
    low = 0.0
    n = len(v)
    for i in range(n):
        x = v[i]
        place = 0
        for j in range(i):  # before it: below or equal (NaN neither)
            place += v[j] <= x
        for j in range(i + 1, n):  # after it: below
            place += v[j] < x
        ok = not np.isnan(x)
        if ok and place == h:
            mid = x
        if ok and place == h - 1:
            low = x
    lo = mid if c % 2 == 1 else low
    return (lo + mid) / 2.0


def _days(bi, j, bins, w, pos, ring_sum, ring_n, ring_max, ring_min, ring_id, ring_psum,
          ring_pn, ring_pmax, ring_pmin, means):  # pragma: no cover - compiled
    """The previous days' means of window ``w`` of KPI ``j`` for bin ``bi`` into ``means``
    (day 1 first), their bin ``bi`` cut to its first ``pos + 1`` rows (``pos`` < 0: whole
    bins); the number of days that have it."""
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
                if back == 0 and pos >= 0:
                    w_sum = w_sum + ring_psum[0, slot, pos, j]
                    w_n = w_n + ring_pn[0, slot, pos, j]
                    hi = max(hi, ring_pmax[0, slot, pos, j])
                    lo = min(lo, ring_pmin[0, slot, pos, j])
                else:
                    w_sum = w_sum + ring_sum[0, slot, j]
                    w_n = w_n + ring_n[0, slot, j]
                    hi = max(hi, ring_max[0, slot, j])
                    lo = min(lo, ring_min[0, slot, j])
        means[d - 1] = _mean(w_sum, w_n, hi, lo, _TRIM[w])
        valid += w_n > 0
    return valid


def _reference(means, valid, spread, spread_n, dev, buf):  # pragma: no cover - compiled
    """``LevelShift._next_reference`` of the days' ``means``: the reference (NaN: too few
    days), the smoothed spread and its count after it."""
    if valid < MIN_DAYS:
        return np.nan, spread, spread_n
    r = _median(means, buf)
    for d in range(DAYS):
        dev[d] = abs(means[d] - r)
    mad = _median(dev, buf) * MAD_TO_SIGMA
    mad = mad / MAD_BIAS[valid]
    a = max(1.0 / (spread_n + 1.0), 1.0 / BINS_PER_DAY)
    return r, spread + a * (mad - spread), spread_n + 1.0


def _lift(s, w, j, pos, pspread, pspread_n, spread, spread_n):  # pragma: no cover
    """Position ``pos``'s spread ``s`` as read: never below a later position's or the whole
    bins' (each once trusted, :data:`MIN_SCALE_BINS`): a mean of fewer rows is noisier, so
    a thinner spread there is a few days' chance (NAB asg: a job's regular first rows)."""
    for q in range(pos + 1, PARTIAL_ROWS):
        if pspread_n[0, w, q, j] >= MIN_SCALE_BINS:
            s = max(s, pspread[0, w, q, j])
    if spread_n[0, w, j] >= MIN_SCALE_BINS:
        s = max(s, spread[0, w, j])
    return s


def _agree(a, b):  # pragma: no cover - compiled
    """``a`` as far as ``b`` shows it too (the same sign; 0 otherwise)."""
    if _sign(a) != _sign(b):
        return 0.0
    return _sign(a) * min(abs(a), abs(b))


def shift_pass(y, b, out, cur, cur_sum, cur_n, cur_max, cur_min, ring_sum, ring_n, ring_max,
               ring_min, ring_id, ref, spread, spread_n, floors, cur_rows, ring_psum, ring_pn,
               ring_pmax, ring_pmin, pspread, pspread_n, week, ring_wz):  # pragma: no cover
    """Rows ``y`` (n x k, scaled) in bins ``b`` of state row 0: ``out`` (n x k) filled.

    A row opening a bin rolls it before it is scored (the previous days' bins are all
    closed by then). A bin's row at position ``pos`` < :data:`PARTIAL_ROWS` reads the
    previous days' bins cut to their first ``pos + 1`` rows (their spread its own), a later
    row their whole bins (computed once, by the bin's first such row): a bin's first row
    alone read against whole bins made a 5-minute job's burst mid-bin a -8 "shift" (NAB
    asg). Each window's z is the nearer of the days' and the same window's a week before
    (day 7 of the ring) when that window was itself near its week before (``ring_wz``: a
    weekly shape, shown twice, is no shift; a fault a week before does not hide one now)."""
    n, k = y.shape
    nw = len(_W)
    means = np.empty(DAYS)
    dev = np.empty(DAYS)
    buf = np.empty(DAYS)  # the medians' sorted values
    r_ = np.empty((nw, k))  # the row's reference, spread, spread count and week-ago mean
    s_ = np.empty((nw, k))
    n_ = np.empty((nw, k))
    wk = np.empty((nw, k))
    wzs = np.empty(k)  # the row's z against the week before (ring_wz)
    for i in range(n):
        bi = b[i]
        c0 = cur[0]
        if bi > c0:  # roll first: close the open bin
            if c0 != _NONE:
                slot = c0 % RING
                for j in range(k):
                    ring_sum[0, slot, j] = cur_sum[0, j]
                    ring_n[0, slot, j] = cur_n[0, j]
                    ring_max[0, slot, j] = cur_max[0, j]
                    ring_min[0, slot, j] = cur_min[0, j]
                    for p in range(int(cur_rows[0]), PARTIAL_ROWS):  # fewer rows: all
                        ring_psum[0, slot, p, j] = cur_sum[0, j]
                        ring_pn[0, slot, p, j] = cur_n[0, j]
                        ring_pmax[0, slot, p, j] = cur_max[0, j]
                        ring_pmin[0, slot, p, j] = cur_min[0, j]
                ring_id[0, slot] = c0
            cur[0] = bi
            cur_rows[0] = 0.0
            for j in range(k):
                cur_sum[0, j] = 0.0
                cur_n[0, j] = 0.0
                cur_max[0, j] = -np.inf
                cur_min[0, j] = np.inf
        if bi < cur[0]:  # a late row of an older bin: no z, nothing learned
            for j in range(k):
                out[i, j] = 0.0
            continue
        pos = int(cur_rows[0])
        for w in range(nw):
            for j in range(k):
                if pos < PARTIAL_ROWS:
                    valid = _days(bi, j, _W[w], w, pos, ring_sum, ring_n, ring_max, ring_min,
                                  ring_id, ring_psum, ring_pn, ring_pmax, ring_pmin, means)
                    r, s, c = _reference(means, valid, pspread[0, w, pos, j],
                                         pspread_n[0, w, pos, j], dev, buf)
                    pspread[0, w, pos, j] = s
                    pspread_n[0, w, pos, j] = c
                    s = _lift(s, w, j, pos, pspread, pspread_n, spread, spread_n)
                    week_mean = means[DAYS - 1]
                elif pos == PARTIAL_ROWS:  # the bin's whole-bin references, once
                    valid = _days(bi, j, _W[w], w, -1, ring_sum, ring_n, ring_max, ring_min,
                                  ring_id, ring_psum, ring_pn, ring_pmax, ring_pmin, means)
                    r, s, c = _reference(means, valid, spread[0, w, j], spread_n[0, w, j],
                                         dev, buf)
                    ref[0, w, j] = r
                    spread[0, w, j] = s
                    spread_n[0, w, j] = c
                    week_mean = means[DAYS - 1]
                    week[0, w, j] = week_mean
                else:
                    r, s, c = ref[0, w, j], spread[0, w, j], spread_n[0, w, j]
                    week_mean = week[0, w, j]
                r_[w, j] = r
                s_[w, j] = s
                n_[w, j] = c
                wk[w, j] = week_mean
        c0 = cur[0]
        ago = bi - WEEK_BINS
        kept = ring_id[0, ago % RING] == ago
        for j in range(k):  # score
            v = y[i, j]
            good = np.isfinite(v)
            # the week before's window was as its own week before: a weekly shape, shown twice
            prior = ring_wz[0, ago % RING, j] if kept else np.nan
            repeat = WEEK_GUARD and abs(prior) < WEEK_SAME
            zw = 0.0
            wz = 0.0
            for w in range(nw):
                m = _window_mean(v, bi, c0, j, _W[w], w, cur_sum, cur_n, cur_max, cur_min,
                                 ring_sum, ring_n, ring_max, ring_min, ring_id)
                scale = max(s_[w, j], floors[j])
                z = (m - r_[w, j]) / scale
                good = good and n_[w, j] >= MIN_SCALE_BINS and np.isfinite(z)
                zk = (m - wk[w, j]) / scale  # against the same window a week before
                wz = zk if w == 0 else (_agree(wz, zk) if np.isfinite(wz + zk) else np.nan)
                if repeat and abs(zk) < abs(z):  # the nearer of the two (a statistic kept)
                    z = zk
                zw = z if w == 0 else _agree(zw, z)
            out[i, j] = min(max(zw, -Z_CLIP), Z_CLIP) if good else 0.0
            wzs[j] = wz
        pos = int(cur_rows[0])  # learn
        slot = bi % RING
        for j in range(k):
            ring_wz[0, slot, j] = wzs[j]  # the bin's last row's stays
            v = y[i, j]
            ok = np.isfinite(v) and v != 0.0
            cur_sum[0, j] = cur_sum[0, j] + (v if ok else 0.0)
            cur_n[0, j] = cur_n[0, j] + (1.0 if ok else 0.0)
            if ok:
                cur_max[0, j] = max(cur_max[0, j], v)
                cur_min[0, j] = min(cur_min[0, j], v)
            if pos < PARTIAL_ROWS:  # the open bin's first rows, kept in its slot
                ring_psum[0, slot, pos, j] = cur_sum[0, j]
                ring_pn[0, slot, pos, j] = cur_n[0, j]
                ring_pmax[0, slot, pos, j] = cur_max[0, j]
                ring_pmin[0, slot, pos, j] = cur_min[0, j]
        cur_rows[0] = cur_rows[0] + 1.0


# the cells are inlined into the row loops (numba's inline, exact: the same operations):
# a call passing ~10 state arrays cost ~0.1 us (their reference counts), ~2 us a row
if numba is not None:
    _mean = numba.njit(cache=True, inline="always")(_mean)
    _median = numba.njit(cache=True, inline="always")(_median)
    _window_mean = numba.njit(cache=True, inline="always")(_window_mean)
    _days = numba.njit(cache=True, inline="always")(_days)
    _reference = numba.njit(cache=True, inline="always")(_reference)
    _lift = numba.njit(cache=True, inline="always")(_lift)
    _agree = numba.njit(cache=True, inline="always")(_agree)
    shift_pass = AnyLayout(numba.njit(cache=True, nogil=True)(shift_pass))
