"""A common-mode group that moved two ways at once: each side's own median, not the group's.

Sectors are grouped by the shape of their normal day (:mod:`~telecom_nb.features.common_mode`),
and a small fleet makes one or two groups. A day that fleet has never seen (a long holiday's
first day) does not move such a group as one: towns empty while villages and highways fill,
on the same daily shape. The group's median then sits between the two, and the class that
filled reads 3-5 spreads up on its load (users, PRB) and down on throughput all day, at every
one of its cells: 189 of t2226's 195 false rows of that day on rural cells
(``benchmarks/MEASURED.md``, branch holiday39).

So, on a tick the fleet is already read as shifted (the common mode's gate), each group's
values of a series are split in two where they fall apart most (Otsu's between-side
variance on the sorted values), and the split stands only when both sides hold at least
:data:`SIDE_SHARE` of the group's reporting sectors and their medians lie :data:`GAP` or
more apart: many cells moved together, one way, away from the rest. One cell's own fault
(a saturated cell: users up alone) or one site's is too few to make a side and keeps the
group's median. No calendar, no area kinds, no labels: the sides are read from the tick.

What the day moves is the load: a calendar split of a group moves its load KPIs (users, PRB,
volume: the fleet's learned load family, :mod:`~telecom_nb.features.load_explained`) two
ways, and its quality with them (the filled side's throughput down). A neighbourhood's fault
on such a tick (a backhaul: throughput, latency and drops of a few sites' cells, no load of
their own) splits only the quality series: its cells made a side whose median was taken off
(v292's RUH6405_L18_2, Fri 09-18: 3.1-3.3 read 1.9-2.2). So where the load family is known,
a group's split of a series outside it stands only on a tick its load split too.
"""

from __future__ import annotations

import numpy as np

#: each side holds at least this share of the group's sectors reporting the series (one
#: site, up to ~15 cells, stays under it in a fleet of 100)
SIDE_SHARE = 0.2
#: ... and the two sides' medians are this many z apart (a normal group's halves: ~1.3)
GAP = 2.5
#: ... at most this many (a calendar moves a class by a few spreads, a fault by tens)
MAX_GAP = 10.0
#: ... and each side's interquartile range at most 1 / this of the gap
TIGHT = 1.5
#: values clipped to this for the split's search only (a dead cell's -30 does not pull it)
CLIP = 6.0
#: fewest sectors on a side
MIN_SIDE = 10


def sides(
    codes: np.ndarray, values: np.ndarray, n_codes: int, min_side: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per code and column (``n_codes`` x columns) a split of ``values`` (rows x columns,
    NaN: no value) by ``codes``: the ``threshold`` (a value at or above it is on the upper
    side) and the lower and upper sides' medians; NaN where the code's values do not fall
    apart into two sides of at least ``min_side`` (and the share above) :data:`GAP` apart."""
    n_cols = values.shape[1]
    thr = np.full((n_codes, n_cols), np.nan)
    lo, hi = thr.copy(), thr.copy()
    for j in range(n_cols):
        v = values[:, j]
        ok = np.isfinite(v)
        c, x = codes[ok], v[ok]
        if len(x) < 2 * min_side:
            continue
        order = np.lexsort((x, c))
        c, x = c[order], x[order]
        n = np.bincount(c, minlength=n_codes)
        start = np.concatenate(([0], np.cumsum(n)[:-1]))
        below = np.arange(len(x)) - start[c] + 1  # the lower side's size, split after here
        csum = np.cumsum(np.clip(x, -CLIP, CLIP))
        total = np.add.reduceat(np.clip(x, -CLIP, CLIP), start[n > 0])
        tot = np.zeros(n_codes)
        tot[n > 0] = total
        before = np.where(start > 0, csum[np.maximum(start - 1, 0)], 0.0)
        lower = csum - before[c]
        above = n[c] - below
        need = np.maximum(min_side, np.ceil(SIDE_SHARE * n[c]))
        fit = (below >= need) & (above >= need)
        m1 = lower / below
        m2 = (tot[c] - lower) / np.maximum(above, 1)
        score = np.where(fit, below * above * (m1 - m2) ** 2, -1.0)
        best = np.full(n_codes, -1)
        pick = np.lexsort((score, c))
        last = pick[np.cumsum(n)[n > 0] - 1]  # each code's highest score
        good = score[last] >= 0
        best[c[last[good]]] = last[good]
        at = np.flatnonzero(best >= 0)
        if not len(at):
            continue
        b, s, k = best[at], start[at], below[best[at]]
        low_med = 0.5 * (x[s + (k - 1) // 2] + x[s + k // 2])
        m = n[at] - k
        high_med = 0.5 * (x[b + 1 + (m - 1) // 2] + x[b + 1 + m // 2])
        # each side one tight class: its quartiles' spread well under the gap (a fault's
        # few cells with some ordinary ones make a wide side), and no side a fault's tens
        gap = high_med - low_med
        low_iqr = x[s + (3 * k) // 4] - x[s + k // 4]
        high_iqr = x[b + 1 + (3 * m) // 4] - x[b + 1 + m // 4]
        keep = (gap >= GAP) & (gap <= MAX_GAP) & (gap >= TIGHT * np.maximum(low_iqr, high_iqr))
        at = at[keep]
        thr[at, j] = 0.5 * (x[b[keep]] + x[b[keep] + 1])
        lo[at, j], hi[at, j] = low_med[keep], high_med[keep]
    return thr, lo, hi


def side_offsets(
    codes: np.ndarray,
    z: np.ndarray,
    med: np.ndarray,
    gate: np.ndarray,
    n_groups: int,
    values: np.ndarray,
    pick: slice,
    load: np.ndarray | None = None,
) -> np.ndarray:
    """(rows x series) what the common mode takes off each row of ``z`` (its code's entry
    of ``med``, 0 off the gated ticks), a split group's side median where its group fell
    apart (:func:`sides`, read on the gated ticks' sampled ``values``, rows ``pick`` of
    ``z``). ``gate``: per tick; ``codes``: tick x ``n_groups`` + group per row. ``load``:
    which of the first series are the load family (None, or none: every split stands)."""
    off = med[codes]
    gated = np.repeat(gate, n_groups)[codes[pick]]
    if not gated.any():
        return off
    sample = np.where(gated[:, None], values, np.nan)
    thr, lo, hi = sides(codes[pick], sample, len(med), MIN_SIDE)
    if load is not None and load.any():
        family = np.flatnonzero(load[: thr.shape[1]])
        moved = np.isfinite(thr[:, family]).any(axis=1)  # the code's load split
        quality = np.ones(thr.shape[1], dtype=bool)
        quality[family] = False
        thr[np.ix_(~moved, quality)] = np.nan
    cols = np.flatnonzero(np.isfinite(thr).any(axis=0))  # only the series that split
    if not len(cols):
        return off
    thr, lo, hi = thr[:, cols][codes], lo[:, cols][codes], hi[:, cols][codes]
    with np.errstate(invalid="ignore"):
        upper = z[:, cols] >= thr
    off[:, cols] = np.where(np.isfinite(thr), np.where(upper, hi, lo), off[:, cols])
    return off
