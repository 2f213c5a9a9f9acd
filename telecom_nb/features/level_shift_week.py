"""A pool's week guard: a bin's shift z is the week before's where that is under
:data:`WEEK_NEAR` of the days' (the week before explains most of it) and that week-before bin
was itself within :data:`WEEK_SAME` spreads of its own week before.

One series has had it since bin56b (:mod:`.level_shift_one`); a pool's rows read the median
of the previous 7 days' same window only, which knows no weekday: a pool's weekend (LTE cells'
weekend load ~0.8 of a weekday's) reads as a level shift on every cell at once, and its rows
make the tail of the shift null every cell is read against (few-series ``lte5`` seeds
3005-3007: weekend rows are ~1/3 of the normal rows and ~1/2 of those over the users / PRB
null's 99th percentile, most of them the first weekend's, which no week before can
read). A shape seen twice (the week before matched its own week before) is
no shift; a fault a week before (far from its own week before) hides nothing now. The guard
needs two weeks of bins before it reads: nothing moves before a pool's day 14.

Not the nearer of the two on every row (week57's): a level shift reads far against both its
days and its week before, so the nearer shrank it as much as the noise (few-series level-shift
row recall down on every multi-week set). On ``lte5`` / ``lte`` seeds 3005-3007 the rows that
guard moved with a days' ``|z| >= 2``: the week before's under half of it on 36 % of the normal
rows, 6 % of the level-shift rows; a week before that itself departed from its days the same
way (a weekly shape, >= 1 spread) on 19 % and 24 %: no narrowing.

State per pool row: ``pool_week_`` the week-ago window means of the open bin's reference
(per window), ``pool_wz_`` each bin's (last row's) z against its week before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from telecom_nb.features.level_shift_bins import RING, WEEK_BINS, WEEK_GUARD, WEEK_SAME, agree
from telecom_nb.sector_index import grow_rows

if TYPE_CHECKING:
    from telecom_nb.features.level_shift import LevelShift

#: the pool's week-guard state (derived empty for an older checkpoint: the guard reads again
#: a week after its bins are kept)
POOL_WEEK_STATE = ("pool_week_", "pool_wz_")
#: the week before's z replaces the days' only under this share of it
WEEK_NEAR = 0.5


def reset_week(ls: LevelShift, w: int, k: int) -> None:
    ls.pool_week_ = np.full((0, w, k), np.nan)
    ls.pool_wz_ = np.full((0, RING, k), np.nan)


def grow_week(ls: LevelShift, n: int) -> None:
    ls.pool_week_ = grow_rows(ls.pool_week_, n, np.nan)
    ls.pool_wz_ = grow_rows(ls.pool_wz_, n, np.nan)


def derive_week(ls: LevelShift) -> None:
    n, w, k = ls.ref_.shape
    ls.pool_week_ = np.full((n, w, k), np.nan)
    ls.pool_wz_ = np.full((n, RING, k), np.nan)


def repeats(ls: LevelShift, r: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rows ``r`` (bins ``b``) x KPIs: the same bin a week before was within
    :data:`WEEK_SAME` spreads of its own week before (kept, or the open bin of a sector
    back after a week's gap)."""
    ago = b - WEEK_BINS
    slot = ago % RING
    kept = ((ls.ring_id_[r, slot] == ago) | (ls.cur_bin_[r] == ago))[:, None]
    prior = np.where(kept, ls.pool_wz_[r, slot], np.nan)
    with np.errstate(invalid="ignore"):
        return WEEK_GUARD & (np.abs(prior) < WEEK_SAME)


def guard(z: np.ndarray, zk: np.ndarray, repeat: np.ndarray) -> np.ndarray:
    """The week before's z where the week repeated and it is under :data:`WEEK_NEAR` of the
    days' (not 0 where they disagree: the shift null counts the rows with ``|z| > 0``)."""
    with np.errstate(invalid="ignore"):
        return np.where(repeat & (np.abs(zk) < WEEK_NEAR * np.abs(z)), zk, z)


def fold(wz: np.ndarray | None, zk: np.ndarray) -> np.ndarray:
    """The week z over the windows so far: the hour's, as far as the last bins agree (NaN
    where a window had no week before)."""
    if wz is None:
        return zk
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(wz + zk), agree(wz, zk), np.nan)


def learn_week(ls: LevelShift, rows: np.ndarray, b: np.ndarray, wz: np.ndarray | None) -> None:
    """Keep each bin's week z (its last row's; rows of an older bin are ignored)."""
    if wz is None:
        return
    now = b >= ls.cur_bin_[rows]
    ls.pool_wz_[rows[now], b[now] % RING] = wz[now]
