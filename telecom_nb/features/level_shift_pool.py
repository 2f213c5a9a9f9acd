"""A young pool's calendar days: a cell's level shift net of the whole pool's common move.

A pool's shift z compares an hour with the same hour's median over the previous days,
which know no weekday: on its first weekend every cell dips together (a weekend's load,
-20 %) against a reference of weekdays, and a young spread reads that dip as a shift.
Those rows stay in the pool's level-shift nulls for weeks (an hourly pool's window holds
its whole history) and widen them: few-series ``lte60`` seed 3060, a 3-hour shift at
z -5.5 on traffic, users and PRB read ``-log10 p`` at most 2.96 (the alarm ~3), 3.2-3.7
with the first week's rows net of the pool (``benchmarks/MEASURED.md``, wkend58).

A day on which the whole pool moves together is a calendar day, not a fault: while a row
has no week before (its bin a week ago never seen, so no reference can know its weekday),
its z is read net of the pool's common move at its instant -- where every cell of the pool
has a row there and all their z lie on one side, the smallest |z| on that side. A fault
on one cell leaves the others near 0 or on the other side (nothing is taken); a dip all
cells share is taken from each, so the cell that only dipped with the rest reads 0 and a
cell that dipped further keeps its own part. From a week on the rows read as before.
Only the shift column: the held z (:mod:`.held_level`) still reads the plain z, whose
first-week holds give a 2-minute pool's held nulls their 200 holds by day ~8 (net of the
pool there too, few-series ``lte`` lost two level shifts on days 8-9 for want of a held
null). Pools only: one series has no pool to compare with, a fleet computes no shift.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.level_shift_bins import RING, WEEK_BINS


def common_move(z: np.ndarray, stamps: np.ndarray, rows: np.ndarray,
                cells: int) -> np.ndarray:
    """Each row's pool common move (rows x KPIs, like ``z``): at its instant (``stamps``)
    where the batch holds one row of each of the pool's ``cells`` cells (state ``rows``)
    and every cell's z of the KPI is nonzero on one side, that side times the smallest
    |z|; else 0."""
    out = np.zeros_like(z)
    if cells < 2 or not len(z):
        return out
    order = np.lexsort((rows, stamps))
    s, r = stamps[order], rows[order]
    start = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    size = np.diff(np.r_[start, len(s)])
    new = np.r_[True, (r[1:] != r[:-1]) | (s[1:] != s[:-1])].astype(np.intp)
    distinct = np.add.reduceat(new, start)
    whole = (size == cells) & (distinct == cells)  # every cell once
    if not whole.any():
        return out
    zs = z[order]
    lo = np.minimum.reduceat(np.abs(zs), start, axis=0)
    up = np.minimum.reduceat(zs, start, axis=0) > 0
    down = np.maximum.reduceat(zs, start, axis=0) < 0
    each = np.where(whole[:, None], np.where(up, lo, np.where(down, -lo, 0.0)), 0.0)
    out[order] = np.repeat(each, size, axis=0)
    return out


def young(rows: np.ndarray, bins: np.ndarray, ring_id: np.ndarray) -> np.ndarray:
    """Whether each row (state ``rows``, bins ``bins``) has no week before: its bin a week
    ago is not in the sector's ring (``ring_id``: each slot's bin)."""
    ago = bins - WEEK_BINS
    return ring_id[rows, ago % RING] != ago


def net_of_pool(z: np.ndarray, stamps: np.ndarray, rows: np.ndarray, bins: np.ndarray,
                ring_id: np.ndarray, cells: int) -> np.ndarray:
    """``z`` with the pool's common move (:func:`common_move`) taken from the rows that
    have no week before (:func:`young`)."""
    fresh = young(rows, bins, ring_id)
    if not fresh.any():
        return z
    return z - np.where(fresh[:, None], common_move(z, stamps, rows, cells), 0.0)
