"""One series' level-shift references: a bin's first rows, and the week before.

A pool's row reads the reference of its whole bin (the previous days' same window, whole
bins). One series reads, as ``level_shift_kernel.shift_pass`` does (this module is its
numpy twin, for the loop; the equivalence tests compare them bit for bit):

* a bin holding its first ``pos + 1`` rows so far (``pos`` < :data:`PARTIAL_ROWS`) against
  the previous days' same bin cut to its first ``pos + 1`` rows, with a spread of its own
  (a position's day-to-day noise): read against the days' *whole* bins, a bin's first row
  alone made a 5-minute job bursting mid-bin every evening a shift z of -8 (NAB
  ``cpu_utilization_asg_misconfiguration``); the ring keeps each bin's first rows' sums.
  That spread is read no thinner than a later position's or the whole bins' (a mean of
  fewer rows is noisier: asg's regular first rows re-alerted at shift z 30.8 on a thin
  position-0 spread where their neighbours read 12-18);
* each window's z is the nearer of the days' and the same window's a week before (day 7 of
  the ring), where that window was itself within :data:`WEEK_SAME` spreads of its own week
  before (``ring_wz_``): the median of the previous 7 days knows no weekday, so a weekly
  shape (a weekend morning's lie-in, -40 %) read as a level shift once the shift null was
  thin; a shape seen twice is no shift, while a fault a week before (far from its own week
  before) hides nothing now. The nearer z, not 0 where they disagree: the shift null counts
  the rows with a statistic (``|z| > 0``).

State (row 0 only: ``(1, ...)`` arrays, left unread once a second series joins the pool):
``cur_rows_`` the open bin's rows so far; ``ring_p*_`` each bin's first rows' sum, count,
largest and smallest value by position; ``pspread_`` / ``pspread_n_`` the positions' spreads;
``week_`` the week-ago window means of the bin's whole-bin reference; ``ring_wz_`` each
bin's (last row's) z against its week before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from telecom_nb.features.level_shift_bins import (
    _NONE,
    BINS_PER_DAY,
    DAYS,
    MIN_SCALE_BINS,
    ONE_STATE,
    PARTIAL_ROWS,
    RING,
    TRIMMED,
    WEEK_BINS,
    WEEK_GUARD,
    WEEK_SAME,
    WINDOWS,
    agree,
    reference,
    window_mean,
)
from telecom_nb.features.seasonal import Z_CLIP
from telecom_nb.sector_index import grow_rows

if TYPE_CHECKING:
    from telecom_nb.features.level_shift import LevelShift

#: the references a batch's rows computed: (position, per window (reference, spread,
#: spread count, week-ago mean), the z against the week before) per row, kept by
#: :func:`learn_one`
Pending = list[tuple[int, list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
                     np.ndarray | None]]


def _prefix(ls: LevelShift) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return ls.ring_psum_, ls.ring_pn_, ls.ring_pmax_, ls.ring_pmin_


def _days(ls: LevelShift, bi: int, pos: int, w: int, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """The previous days' means (days x KPIs, day 1 first) of window ``w`` for bin ``bi``,
    that bin cut to its first ``pos + 1`` rows (``pos`` < 0: whole), and how many days
    have it; the open bin (a series back after a day's gap) read as its roll stores it."""
    k = ls.cur_sum_.shape[1]
    w_sum, w_n = np.zeros((DAYS, k)), np.zeros((DAYS, k))
    hi, lo = np.full((DAYS, k), -np.inf), np.full((DAYS, k), np.inf)
    cur = ls.cur_bin_[0]
    back = bi - np.arange(1, DAYS + 1) * BINS_PER_DAY
    whole = (ls.cur_sum_[0], ls.cur_n_[0], ls.cur_max_[0], ls.cur_min_[0])
    for j in range(bins - 1, -1, -1):  # oldest first (the compiled pass's order)
        want = back - j
        slot = want % RING
        stored = (ls.ring_id_[0, slot] == want)[:, None]
        pending = (cur == want)[:, None]
        if j == 0 and pos >= 0:
            kept = (ls.ring_psum_[0, slot, pos], ls.ring_pn_[0, slot, pos],
                    ls.ring_pmax_[0, slot, pos], ls.ring_pmin_[0, slot, pos])
            # the open bin's first rows are in its slot, its later positions are all of it
            late = tuple(_prefix(ls)[q][0, cur % RING, pos] if pos < ls.cur_rows_[0] else c
                         for q, c in enumerate(whole))
        else:
            kept = (ls.ring_sum_[0, slot], ls.ring_n_[0, slot], ls.ring_max_[0, slot],
                    ls.ring_min_[0, slot])
            late = whole
        empty = (0.0, 0.0, -np.inf, np.inf)
        s, n, a, b = (np.where(stored, kept[q], np.where(pending, late[q], empty[q]))
                      for q in range(4))
        w_sum, w_n = w_sum + s, w_n + n
        hi, lo = np.maximum(hi, a), np.minimum(lo, b)
    return window_mean(w_sum, w_n, hi, lo, TRIMMED[w]), (w_n > 0).sum(axis=0)


def _lift(ls: LevelShift, s: np.ndarray, w: int, pos: int) -> np.ndarray:
    """Position ``pos``'s spread ``s`` as read: never below a later position's or the whole
    bins' (each once trusted, :data:`MIN_SCALE_BINS`): a mean of fewer rows is noisier, so
    a thinner spread there is a few days' chance (NAB asg: a job's regular first rows)."""
    for q in range(pos + 1, PARTIAL_ROWS):
        s = np.where(ls.pspread_n_[0, w, q] >= MIN_SCALE_BINS,
                     np.maximum(s, ls.pspread_[0, w, q]), s)
    return np.where(ls.spread_n_[0, w] >= MIN_SCALE_BINS, np.maximum(s, ls.spread_[0, w]), s)


def shift_one(ls: LevelShift, y: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, Pending]:
    """The shift z of one series' rows ``y`` (scaled) in bins ``b``, each read against the
    state before the batch (a stream's batch holds one row), and the references to keep."""
    out = np.zeros_like(y)
    pending: Pending = []
    r0 = np.zeros(1, dtype=np.intp)
    for i, bi in enumerate(b.tolist()):  # one row a batch in a stream
        cur = ls.cur_bin_[0]
        if bi < cur:  # a late row of an older bin: no z, nothing learned
            pending.append((-1, [], None))
            continue
        pos = int(ls.cur_rows_[0]) if bi == cur else 0
        refs = []
        good = np.isfinite(y[i])
        zw = np.zeros_like(y[i])
        wz = zw
        ago = bi - WEEK_BINS  # kept, or the open bin (a series back after a week's gap)
        kept = ls.ring_id_[0, ago % RING] == ago or cur == ago
        prior = ls.ring_wz_[0, ago % RING] if kept else np.full_like(zw, np.nan)
        with np.errstate(invalid="ignore"):
            repeat = WEEK_GUARD & (np.abs(prior) < WEEK_SAME)
        for w, bins in enumerate(WINDOWS):
            if pos <= PARTIAL_ROWS:
                means, valid = _days(ls, bi, pos if pos < PARTIAL_ROWS else -1, w, bins)
                state = ((ls.pspread_[0, w, pos], ls.pspread_n_[0, w, pos])
                         if pos < PARTIAL_ROWS else (ls.spread_[0, w], ls.spread_n_[0, w]))
                r, s, n = reference(means, valid, *state)
                week = means[-1]
            else:
                r, s, n, week = ls.ref_[0, w], ls.spread_[0, w], ls.spread_n_[0, w], ls.week_[0, w]
            refs.append((r, s, n, week))
            total, count, hi, lo = ls._recent(r0, np.array([bi]), y[i : i + 1], bins)
            m = window_mean(total, count, hi, lo, TRIMMED[w])[0]
            scale = np.maximum(_lift(ls, s, w, pos) if pos < PARTIAL_ROWS else s, ls.floors_)
            with np.errstate(invalid="ignore", divide="ignore"):
                z = (m - r) / scale
                good = good & (n >= MIN_SCALE_BINS) & np.isfinite(z)
                zk = (m - week) / scale  # against the same window a week before
                wz = zk if w == 0 else np.where(np.isfinite(wz + zk), agree(wz, zk), np.nan)
                z = np.where(repeat & (np.abs(zk) < np.abs(z)), zk, z)  # the nearer of two
            zw = z if w == 0 else agree(zw, z)
        out[i] = np.where(good, np.clip(zw, -Z_CLIP, Z_CLIP), 0.0)
        pending.append((pos, refs, wz))
    return out, pending


def learn_one(ls: LevelShift, y: np.ndarray, b: np.ndarray, pending: Pending) -> None:
    """Keep the references ``shift_one`` computed, then learn the rows in order: a row
    opening a bin closes the open one (its positions past its rows hold all of it)."""
    for i, bi in enumerate(b.tolist()):
        pos, refs, wz = pending[i]
        for w, (r, s, n, week) in enumerate(refs):
            if pos < PARTIAL_ROWS:
                ls.pspread_[0, w, pos], ls.pspread_n_[0, w, pos] = s, n
            elif pos == PARTIAL_ROWS:
                ls.ref_[0, w], ls.spread_[0, w], ls.spread_n_[0, w] = r, s, n
                ls.week_[0, w] = week
        cur = ls.cur_bin_[0]
        if bi > cur:
            if cur != _NONE:
                slot = cur % RING
                whole = (ls.cur_sum_[0], ls.cur_n_[0], ls.cur_max_[0], ls.cur_min_[0])
                for q, a in enumerate((ls.ring_sum_, ls.ring_n_, ls.ring_max_, ls.ring_min_)):
                    a[0, slot] = whole[q]
                    _prefix(ls)[q][0, slot, int(ls.cur_rows_[0]):] = whole[q]
                ls.ring_id_[0, slot] = cur
            ls.cur_bin_[0] = bi
            ls.cur_rows_[0] = 0.0
            ls.cur_sum_[0], ls.cur_n_[0] = 0.0, 0.0
            ls.cur_max_[0], ls.cur_min_[0] = -np.inf, np.inf
        if bi < ls.cur_bin_[0]:
            continue
        ls.ring_wz_[0, bi % RING] = np.nan if wz is None else wz  # the bin's last row's stays
        v = y[i]
        ok = np.isfinite(v) & (v != 0.0)
        ls.cur_sum_[0] = ls.cur_sum_[0] + np.where(ok, v, 0.0)
        ls.cur_n_[0] = ls.cur_n_[0] + ok
        ls.cur_max_[0] = np.maximum(ls.cur_max_[0], np.where(ok, v, -np.inf))
        ls.cur_min_[0] = np.minimum(ls.cur_min_[0], np.where(ok, v, np.inf))
        pos = int(ls.cur_rows_[0])
        if pos < PARTIAL_ROWS:  # the open bin's first rows, kept in its slot
            whole = (ls.cur_sum_[0], ls.cur_n_[0], ls.cur_max_[0], ls.cur_min_[0])
            for q in range(4):
                _prefix(ls)[q][0, bi % RING, pos] = whole[q]
        ls.cur_rows_[0] = ls.cur_rows_[0] + 1.0


def derive_one(ls: LevelShift) -> None:
    """Older than one series' first rows: the open bin reads its whole-bin reference
    (as it did, with no week guard), each stored bin's first rows stand for all of it,
    each position's spread starts at the whole bins'."""
    one = min(len(ls.cur_bin_), 1)
    ls.cur_rows_ = np.full(one, PARTIAL_ROWS + 1.0)
    for name, a in zip(ONE_STATE[1:5], (ls.ring_sum_, ls.ring_n_, ls.ring_max_,
                                        ls.ring_min_), strict=True):
        setattr(ls, name, np.repeat(a[:one, :, None], PARTIAL_ROWS, axis=2))
    ls.pspread_ = np.repeat(ls.spread_[:one, :, None], PARTIAL_ROWS, axis=2)
    ls.pspread_n_ = np.repeat(ls.spread_n_[:one, :, None], PARTIAL_ROWS, axis=2)
    ls.week_ = np.full(ls.ref_[:one].shape, np.nan)
    ls.ring_wz_ = np.full(ls.ring_sum_[:one].shape, np.nan)


def grow_one(ls: LevelShift, n: int) -> None:
    """One series' state for a registry of ``n`` rows: row 0 only."""
    one = min(n, 1)
    ls.cur_rows_ = grow_rows(ls.cur_rows_, one, 0.0)
    ls.ring_psum_ = grow_rows(ls.ring_psum_, one, 0.0)
    ls.ring_pn_ = grow_rows(ls.ring_pn_, one, 0.0)
    ls.ring_pmax_ = grow_rows(ls.ring_pmax_, one, -np.inf)
    ls.ring_pmin_ = grow_rows(ls.ring_pmin_, one, np.inf)
    ls.pspread_ = grow_rows(ls.pspread_, one, 0.0)
    ls.pspread_n_ = grow_rows(ls.pspread_n_, one, 0.0)
    ls.week_ = grow_rows(ls.week_, one, np.nan)
    ls.ring_wz_ = grow_rows(ls.ring_wz_, one, np.nan)
