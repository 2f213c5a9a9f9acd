"""The level record's per-row cells, compiled: one sector's row scored or learned.

Both ways through :class:`~telecom_nb.features.level_record.LevelRecord` call these cells
(a batch of a few series' rows: ``score_rows`` then ``learn_rows``; one series' rows in
``SeriesPass``: ``series_rows``, each row scored then learned), so the two give the same
numbers bit for bit. Without numba they run as plain Python (correct, slow).

State of sector ``s`` (``k`` KPIs): a ring of sub-bins of ``window / bins`` data time
(``bin_id``, ``bin_sum``, ``bin_n``, and the extremes of the levels made in each:
``bin_lmax``, ``bin_lmin``, which join the block once a span old), the current day block's
extremes of the level (``cur``), a ring of ``blocks`` closed blocks (``ring``); ``ids``
holds per sector the current block, the last sub-bin and the last span-sized bin seen (a
row older than those is scored, not learned); ``clock`` the last distinct times learned,
their count and their median gap: the sector's cadence.

**The span** a level averages is the fewest whole windows holding ``span_rows`` steps of that
cadence (at most as many windows as the ring of sub-bins holds): one hour at 5 or 15
minutes, two at 30 minutes, three hourly. At 30 minutes and slower a one-hour level has
fewer than :data:`MIN_ROWS` rows and is never read; a span of the last rows alone would
judge a rise against levels sharing its rows (a record of itself by small steps): the
levels of the last span wait a span before they bound a record, whatever its length.
"""

from __future__ import annotations

import math

import numpy as np

from telecom_nb.features.range_novelty import GUMBEL_SHIFT, MAX_LOG_P
from telecom_nb.features.robust_kernel import numba

#: a block / bin id no data time reaches
NONE = np.iinfo(np.int64).min // 2
#: fewest rows behind a level: at a cadence as slow as the window a "level" is one row,
#: which range novelty already reads
MIN_ROWS = 3
#: positions in ``ids``
CUR, LAST_BIN, LAST_WIN = 0, 1, 2
#: distinct learned times whose median gap is a sector's cadence (a median shrugs off
#: gaps); ``clock`` holds them, then their count and that cadence in ns (0: unknown)
TIMES = 17
COUNT, STEP = TIMES, TIMES + 1


def span_bins(s, clock, slots, cfg):  # pragma: no cover - compiled
    """Sub-bins of sector ``s``'s level span: the fewest whole windows (``cfg[0]`` sub-bins
    of ``cfg[5]`` ns) holding ``cfg[4]`` steps of its cadence, at most ``slots``."""
    nb = int(cfg[0])
    step = clock[s, STEP]
    if step <= 0:
        return nb
    window = nb * int(cfg[5])
    m = (int(cfg[4]) * step + window - 1) // window
    return nb * max(1, min(m, slots // nb))


def observe(s, ns, clock, gaps):  # pragma: no cover - compiled
    """Note a learned row's time (a new one); the cadence is the last gaps' median."""
    c = clock[s, COUNT]
    if c > 0 and ns <= clock[s, (c - 1) % TIMES]:
        return
    clock[s, c % TIMES] = ns
    c += 1
    clock[s, COUNT] = c
    n = min(c, TIMES)
    if n < 2:
        return
    first = c - n
    for i in range(n - 1):
        gaps[i] = clock[s, (first + i + 1) % TIMES] - clock[s, (first + i) % TIMES]
    clock[s, STEP] = int(_median(gaps, n - 1))


def _level(s, b, nb, y, j, bin_id, bin_sum, bin_n):  # pragma: no cover - compiled
    """Mean of KPI ``j`` over the sub-bins ``b-nb+1..b`` stored, with ``y`` (NaN: fewer
    than :data:`MIN_ROWS` rows)."""
    total = 0.0
    count = 0.0
    slots = bin_id.shape[1]
    for m in range(nb):
        slot = (b - m) % slots
        if bin_id[s, slot] == b - m:
            total = total + bin_sum[s, slot, j]
            count = count + bin_n[s, slot, j]
    if np.isfinite(y):
        total = total + y
        count = count + 1.0
    if count < MIN_ROWS:
        return np.nan
    return total / count


def _median(v, n):  # pragma: no cover - compiled
    """Median of ``v[:n]`` (sorted in place; numpy's: the middle two averaged)."""
    for i in range(1, n):
        x = v[i]
        m = i - 1
        while m >= 0 and v[m] > x:
            v[m + 1] = v[m]
            m -= 1
        v[m + 1] = x
    h = n // 2
    return v[h] if n % 2 else 0.5 * (v[h - 1] + v[h])


def score_row(s, bi, d, y, out, ids, bin_id, bin_sum, bin_n, bin_lmax, bin_lmin, ring_id,
              ring_max, ring_min, ring_win, cur_max, cur_min, cur_win, clock, floors, percent,
              cfg, hv, lv):  # pragma: no cover - compiled
    """Signed ``-log10 p`` of each KPI's level being a record (0: none) into ``out``: the
    level against the levels made at least a span before it (those of the last span
    share its rows: a rise would be a record of itself by small steps)."""
    nblk, min_blocks = int(cfg[1]), int(cfg[2])
    nb = span_bins(s, clock, bin_id.shape[1], cfg)
    tol = cfg[3]
    cid = ids[s, CUR]
    closed = cid < d and cid >= d - nblk and cur_win[s] > 0  # the open block is complete
    blocks = 0
    wins = 0.0
    for m in range(nblk):
        if ring_id[s, m] >= d - nblk and ring_id[s, m] < d and ring_win[s, m] > 0:
            blocks += 1
            wins += ring_win[s, m]
    if closed:
        blocks += 1
    if cid >= d - nblk and cid <= d:
        wins += cur_win[s]
    for j in range(len(out)):
        out[j] = 0.0
        if blocks < min_blocks:
            continue
        level = _level(s, bi, nb, y[j], j, bin_id, bin_sum, bin_n)
        if not np.isfinite(level):
            continue
        n = 0
        for m in range(nblk):
            if ring_id[s, m] >= d - nblk and ring_id[s, m] < d and ring_win[s, m] > 0:
                hv[n] = ring_max[s, m, j]
                lv[n] = ring_min[s, m, j]
                n += 1
        if closed:
            hv[n] = cur_max[s, j]
            lv[n] = cur_min[s, j]
            n += 1
        hi = -np.inf
        lo = np.inf
        for m in range(n):
            hi = max(hi, hv[m])
            lo = min(lo, lv[m])
        if cid == d:  # the open block so far: its extremes bound the record, not the median
            hi = max(hi, cur_max[s, j])
            lo = min(lo, cur_min[s, j])
        for m in range(bin_id.shape[1]):  # levels a span old, not in the block yet
            if bin_id[s, m] <= bi - nb:
                hi = max(hi, bin_lmax[s, m, j])
                lo = min(lo, bin_lmin[s, m, j])
        if not (level > hi or level < lo) or not (np.isfinite(hi) and np.isfinite(lo)):
            continue
        span = 100.0 if percent[j] else hi - lo
        floor = max(tol * span, floors[j])
        spacing = math.log(max(blocks, 1)) + GUMBEL_SHIFT
        if level > hi:
            beta = max((hi - _median(hv, n)) / spacing, floor)
            excess = (level - hi) / beta
            sign = 1.0
        else:
            beta = max((_median(lv, n) - lo) / spacing, floor)
            excess = (lo - level) / beta
            sign = -1.0
        log_p = min(math.log10(wins + 1.0) + excess / math.log(10.0), MAX_LOG_P)
        out[j] = sign * log_p


def _fold(s, upto, k, bin_id, bin_lmax, bin_lmin, cur_max, cur_min):  # pragma: no cover
    """The levels of sub-bins ``<= upto`` into the open block's extremes (once). A folded
    KPI's extremes are (-inf, inf), and so is one that made no finite level (a sub-bin's
    two extremes are set together): skipped, as folding them changes nothing -- nearly
    every slot of the ring at every row was folded already."""
    for m in range(len(bin_id[s])):
        if bin_id[s, m] <= upto:
            for j in range(k):
                if bin_lmax[s, m, j] != -np.inf:
                    cur_max[s, j] = max(cur_max[s, j], bin_lmax[s, m, j])
                    cur_min[s, j] = min(cur_min[s, j], bin_lmin[s, m, j])
                    bin_lmax[s, m, j] = -np.inf
                    bin_lmin[s, m, j] = np.inf


def learn_row(s, bi, d, ns, y, ids, bin_id, bin_sum, bin_n, bin_lmax, bin_lmin, ring_id,
              ring_max, ring_min, ring_win, cur_max, cur_min, cur_win, clock, cfg,
              gaps):  # pragma: no cover - compiled
    """Learn one row of sector ``s`` (sub-bin ``bi``, block ``d``, time ``ns``): its
    level waits in its sub-bin until it is a span old, then joins the block's extremes;
    its time then joins the cadence's."""
    nblk = int(cfg[1])
    slots = bin_id.shape[1]
    nb = span_bins(s, clock, slots, cfg)
    w = bi // nb
    k = len(y)
    if bi < ids[s, LAST_BIN] or d < ids[s, CUR]:  # a late row: scored, not learned
        return
    _fold(s, bi - nb, k, bin_id, bin_lmax, bin_lmin, cur_max, cur_min)
    if d > ids[s, CUR]:  # the open block is complete: into the ring
        cid = ids[s, CUR]
        if cid != NONE and cur_win[s] > 0:
            slot = cid % nblk
            ring_id[s, slot] = cid
            ring_win[s, slot] = cur_win[s]
            for j in range(k):
                ring_max[s, slot, j] = cur_max[s, j]
                ring_min[s, slot, j] = cur_min[s, j]
        ids[s, CUR] = d
        cur_win[s] = 0
        for j in range(k):
            cur_max[s, j] = -np.inf
            cur_min[s, j] = np.inf
    if w != ids[s, LAST_WIN]:  # one more span of data time in the block (a span that
        # grows with the cadence learnt renumbers them: still one more)
        ids[s, LAST_WIN] = w
        cur_win[s] += 1
    level0 = np.empty(k)
    for j in range(k):  # the level this row makes, as it was scored
        level0[j] = _level(s, bi, nb, y[j], j, bin_id, bin_sum, bin_n)
    slot = bi % slots
    if bin_id[s, slot] != bi:  # a new sub-bin (the slot's old one was folded above)
        bin_id[s, slot] = bi
        for j in range(k):
            bin_sum[s, slot, j] = 0.0
            bin_n[s, slot, j] = 0.0
            bin_lmax[s, slot, j] = -np.inf
            bin_lmin[s, slot, j] = np.inf
    ids[s, LAST_BIN] = bi
    for j in range(k):
        if np.isfinite(level0[j]):
            bin_lmax[s, slot, j] = max(bin_lmax[s, slot, j], level0[j])
            bin_lmin[s, slot, j] = min(bin_lmin[s, slot, j], level0[j])
        if np.isfinite(y[j]):
            bin_sum[s, slot, j] = bin_sum[s, slot, j] + y[j]
            bin_n[s, slot, j] = bin_n[s, slot, j] + 1.0
    observe(s, ns, clock, gaps)


def score_rows(rows, bi, d, y, out, ids, bin_id, bin_sum, bin_n, bin_lmax, bin_lmin,
               ring_id, ring_max, ring_min, ring_win, cur_max, cur_min, cur_win, clock,
               floors, percent, cfg):  # pragma: no cover - compiled
    """A batch's rows scored under the state before it (``out``: rows x k)."""
    hv = np.empty(ring_id.shape[1] + 1)
    lv = np.empty(ring_id.shape[1] + 1)
    for i in range(len(rows)):
        score_row(rows[i], bi[i], d[i], y[i], out[i], ids, bin_id, bin_sum, bin_n,
                  bin_lmax, bin_lmin, ring_id, ring_max, ring_min, ring_win, cur_max,
                  cur_min, cur_win, clock, floors, percent, cfg, hv, lv)


def learn_rows(rows, bi, d, ns, y, ids, bin_id, bin_sum, bin_n, bin_lmax, bin_lmin,
               ring_id, ring_max, ring_min, ring_win, cur_max, cur_min, cur_win, clock,
               cfg):  # pragma: no cover - compiled
    """A batch's rows learned in order."""
    gaps = np.empty(TIMES)
    for i in range(len(rows)):
        learn_row(rows[i], bi[i], d[i], ns[i], y[i], ids, bin_id, bin_sum, bin_n, bin_lmax,
                  bin_lmin, ring_id, ring_max, ring_min, ring_win, cur_max, cur_min,
                  cur_win, clock, cfg, gaps)


def series_rows(bi, d, ns, y, out, ids, bin_id, bin_sum, bin_n, bin_lmax, bin_lmin,
                ring_id, ring_max, ring_min, ring_win, cur_max, cur_min, cur_win, clock,
                floors, percent, cfg):  # pragma: no cover - compiled
    """One sector's rows (state row 0), each scored then learned: a batch a row."""
    hv = np.empty(ring_id.shape[1] + 1)
    lv = np.empty(ring_id.shape[1] + 1)
    gaps = np.empty(TIMES)
    for i in range(len(bi)):
        score_row(0, bi[i], d[i], y[i], out[i], ids, bin_id, bin_sum, bin_n, bin_lmax,
                  bin_lmin, ring_id, ring_max, ring_min, ring_win, cur_max, cur_min,
                  cur_win, clock, floors, percent, cfg, hv, lv)
        learn_row(0, bi[i], d[i], ns[i], y[i], ids, bin_id, bin_sum, bin_n, bin_lmax,
                  bin_lmin, ring_id, ring_max, ring_min, ring_win, cur_max, cur_min,
                  cur_win, clock, cfg, gaps)


# the cells are inlined into the row loops (numba's inline, exact: the same operations):
# a call passing ~10 state arrays cost ~0.1 us (their reference counts), ~2 us a row
if numba is not None:
    _level = numba.njit(cache=True, inline="always")(_level)
    _median = numba.njit(cache=True, inline="always")(_median)
    span_bins = numba.njit(cache=True, inline="always")(span_bins)
    observe = numba.njit(cache=True, inline="always")(observe)
    _fold = numba.njit(cache=True, inline="always")(_fold)
    score_row = numba.njit(cache=True, inline="always")(score_row)
    learn_row = numba.njit(cache=True, inline="always")(learn_row)
    score_rows = numba.njit(cache=True, nogil=True)(score_rows)
    learn_rows = numba.njit(cache=True, nogil=True)(learn_rows)
    series_rows = numba.njit(cache=True, nogil=True)(series_rows)
