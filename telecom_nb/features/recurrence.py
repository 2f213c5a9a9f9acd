"""Recurring excursions: a spike at the same time of day as on previous days is a schedule.

A daily backup, report or batch job lifts a server's CPU (a cell's signalling, a
service's latency) for a few minutes at the same minute every day. The seasonal baseline
keeps one level per hour-long slot, so a five-minute spike stays far from it however
often it comes back; and a few series have no peers to say "everyone does this at 02:05".
Once an excursion has come back at the same time of day (within :data:`REACH`) on more
of the last :data:`DAYS` days than chance gives (at least :data:`MIN_DAYS`; chance: the
series' own rate of excursions at any time of day, a binomial tail of at most
:data:`ALPHA`: a drop rate that spikes at random often hits 2 of 7 days by coincidence),
it is the series' own schedule: the part
of a seasonal z beyond ordinary noise (:data:`NOISE_Z`) that such a recurrence reached is
taken off, so the recurring spike reads as ordinary noise and only what goes beyond it
(a job that runs away, a fault larger than the schedule) still counts::

    z' = max(z - s, min(z, NOISE_Z)),  s = max(R - NOISE_Z, 0)   (below: the mirror)

with ``R`` the highest z within :data:`REACH` of this time of day over the last
:data:`DAYS` days, once enough of those days went beyond ``NOISE_Z`` there (the
largest, not a typical one: the same job's z moves by a third from day to day as the
baseline's spread is learned). Learned causally from the series' own seasonal z (never from
alerts or labels): one day's fault does not explain the next day's (it needs
:data:`MIN_DAYS` earlier days), and a recurrence that stops fades out of the
:data:`DAYS`-day ring. Time of day is data time (UTC, 5-minute bins), a duration apart.

Only for a few series (:data:`~telecom_nb.defaults.FEW_SERIES`): a fleet's peers carry
such context, and the memory (``DAYS x 288 x series`` float32 extremes, twice, per
sector) is meant for a few sectors. The one-series pass (``series_kernel``) runs
:func:`shift_cells` / :func:`record_cells` with the same operations (their counts of
far cells per day kept by :func:`cell_counts`' rule, not rescanned per row).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb.features.robust_kernel import numba
from telecom_nb.features.robust_stats import GATE_Z
from telecom_nb.features.time_slots import DAY_NS
from telecom_nb.sector_index import known_rows

#: width of a time-of-day bin (data time)
BIN = pd.Timedelta("5min")
#: an excursion recurs when it comes back within this much of the same time of day
REACH = pd.Timedelta("10min")
#: days of the ring (a recurrence absent this long is forgotten)
DAYS = 7
#: earlier days an excursion must have shown at this time of day to be a schedule
MIN_DAYS = 2
#: |z| beyond which the seasonal baseline takes a value for far (``GATE_Z``): a recurrence
#: explains what lies beyond it
NOISE_Z = GATE_Z
#: a recurrence is one that chance (the series' own rate of excursions at any time of
#: day) would give this rarely: a drop rate spiking at random recurs by coincidence
ALPHA = 0.01
BINS = DAY_NS // BIN.value
SPAN = -(-REACH.value // BIN.value)  # bins either side
_NONE = np.iinfo(np.int64).min // 2


def time_bins(now_ns: np.ndarray) -> np.ndarray:
    """Each time's absolute 5-minute bin (``// BINS``: its day)."""
    return np.asarray(now_ns, dtype=np.int64) // BIN.value


def _offsets() -> np.ndarray:
    """(DAYS, 2 SPAN + 1) bin offsets: the same time of day 1..DAYS days back, +- REACH."""
    days = -np.arange(1, DAYS + 1, dtype=np.int64)[:, None] * BINS
    return days + np.arange(-SPAN, SPAN + 1, dtype=np.int64)[None, :]


def window_chance(rate: np.ndarray) -> np.ndarray:
    """The chance that a window of ``2 SPAN + 1`` bins holds an excursion when a bin holds
    one at ``rate`` (products, not ``**``: the compiled cells give the same numbers)."""
    miss = 1.0 - rate
    out = miss
    for _ in range(2 * SPAN):
        out = out * miss
    return 1.0 - out


def needed_days(q: np.ndarray, days: np.ndarray) -> np.ndarray:
    """How many of ``days`` earlier days must show an excursion at one time of day for
    chance alone (each day's window: ``q``) to give that many with probability at most
    :data:`ALPHA` (at least :data:`MIN_DAYS`; the binomial tail by its recursion);
    ``DAYS + 1`` when no count is that rare."""
    need = np.full(np.shape(q), DAYS + 1, dtype=np.int64)
    ok = q < 1.0
    odds = q / np.where(ok, 1.0 - q, 1.0)
    pk = np.ones(np.shape(q))
    for k in range(DAYS):  # P(X = 0) = (1 - q) ** days
        pk = np.where(k < days, pk * (1.0 - q), pk)
    tail = np.ones(np.shape(q))
    for m in range(1, DAYS + 1):
        tail = tail - pk  # P(X >= m)
        pk = pk * (days - m + 1) / m * odds
        hit = ok & (need > DAYS) & (m <= days) & (m >= MIN_DAYS) & (tail <= ALPHA)
        need = np.where(hit, m, need)
    return need


class Recurrence:
    """Per sector: the highest and lowest seasonal z of each 5-minute bin of the last days."""

    def __init__(self, n_series: int) -> None:
        self.hi_ = np.full((0, DAYS, BINS, n_series), np.nan, dtype=np.float32)
        self.lo_ = np.full((0, DAYS, BINS, n_series), np.nan, dtype=np.float32)
        self.day_ = np.full((0, DAYS), _NONE, dtype=np.int64)  # the day each slot holds
        #: set by the pipeline: at most a few series (otherwise nothing is computed)
        self.active = True

    def shifts(self, rows: np.ndarray, bins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows x series) the excursion above and below ``NOISE_Z`` that recurred at each
        row's time of day (0: none)."""
        n, k = len(rows), self.hi_.shape[3]
        known = known_rows(rows, len(self.day_))
        if not known.any():
            return np.zeros((n, k)), np.zeros((n, k))
        r = np.where(known, rows, 0)[:, None, None]
        target = bins[:, None, None] + _offsets()[None]  # (n, DAYS, width)
        day = target // BINS
        slot, b = day % DAYS, target % BINS
        valid = (known[:, None, None] & (self.day_[r, slot] == day))[..., None]
        hi = np.fmax.reduce(np.where(valid, self.hi_[r, slot, b], np.nan), axis=2)
        lo = np.fmin.reduce(np.where(valid, self.lo_[r, slot, b], np.nan), axis=2)
        days = (~np.isnan(hi)).sum(axis=1)  # earlier days with data at this time of day
        # how often any window of the ring's days went beyond NOISE_Z by chance
        seen, above, below = self._ring_counts(r[:, 0, 0], known, bins // BINS)
        need_up = needed_days(window_chance(above / seen), days)
        need_down = needed_days(window_chance(below / seen), days)
        up = (hi > NOISE_Z).sum(axis=1) >= need_up  # days that went beyond noise
        down = (lo < -NOISE_Z).sum(axis=1) >= need_down
        top = np.fmax.reduce(hi, axis=1).astype(np.float64)
        low = np.fmin.reduce(lo, axis=1).astype(np.float64)
        return (np.where(up, top - NOISE_Z, 0.0), np.where(down, -low - NOISE_Z, 0.0))

    def _ring_counts(self, rows: np.ndarray, known: np.ndarray, today: np.ndarray):
        """(rows x series) the bins held over the ring's days up to ``today`` (at least 1)
        and those beyond +-NOISE_Z, from the days in range only (no masked copy of the
        whole ring per row: ~0.5 ms of a few-series tick)."""
        held = self.day_[rows]
        recent = (held > today[:, None] - DAYS) & (held <= today[:, None]) & known[:, None]
        at, day = np.nonzero(recent)
        hi, lo = self.hi_[rows[at], day], self.lo_[rows[at], day]  # (pairs, BINS, series)
        counts = np.zeros((3, len(rows), hi.shape[2]), dtype=np.int64)
        for i, hits in enumerate((~np.isnan(hi), hi > NOISE_Z, lo < -NOISE_Z)):
            np.add.at(counts[i], at, hits.sum(axis=1))
        return np.maximum(counts[0], 1), counts[1], counts[2]

    def adjust(self, rows: np.ndarray, z: np.ndarray, now_ns: np.ndarray) -> np.ndarray:
        """``z`` with what recurred at each row's time of day taken off (learns nothing)."""
        if not self.active or len(self.day_) == 0:
            return z
        s_hi, s_lo = self.shifts(rows, time_bins(now_ns))
        return np.where(z > 0, np.maximum(z - s_hi, np.minimum(z, NOISE_Z)),
                        np.where(z < 0, np.minimum(z + s_lo, np.maximum(z, -NOISE_Z)), z))

    def update(self, rows: np.ndarray, z: np.ndarray, now_ns: np.ndarray, n_rows: int) -> None:
        """Record each row's (unadjusted) seasonal z in its day's bin."""
        if not self.active:
            return
        self._grow(n_rows)
        bins = time_bins(now_ns)
        day = bins // BINS
        slot, b = day % DAYS, bins % BINS
        held = self.day_[rows, slot]
        new = day > held  # the slot still holds an older day: it starts over
        if new.any():
            self.hi_[rows[new], slot[new]] = np.nan
            self.lo_[rows[new], slot[new]] = np.nan
            self.day_[rows[new], slot[new]] = day[new]
        ok = day >= held  # a row older than its slot's day is not kept
        z32 = z.astype(np.float32)
        np.fmax.at(self.hi_, (rows[ok], slot[ok], b[ok]), z32[ok])
        np.fmin.at(self.lo_, (rows[ok], slot[ok], b[ok]), z32[ok])

    def _grow(self, n_rows: int) -> None:
        have = len(self.day_)
        if have >= n_rows:
            return
        more = n_rows - have  # a few sectors: exactly as many as seen
        shape = (more, *self.hi_.shape[1:])
        self.hi_ = np.concatenate([self.hi_, np.full(shape, np.nan, dtype=np.float32)])
        self.lo_ = np.concatenate([self.lo_, np.full(shape, np.nan, dtype=np.float32)])
        self.day_ = np.concatenate([self.day_, np.full((more, DAYS), _NONE, dtype=np.int64)])


def _needed(q, days):  # pragma: no cover - compiled
    """:func:`needed_days` of one cell (``window_chance`` included: ``q`` per bin)."""
    miss = 1.0 - q
    out = miss
    for _ in range(2 * SPAN):
        out = out * miss
    q = 1.0 - out
    if not q < 1.0:
        return DAYS + 1
    odds = q / (1.0 - q)
    pk = 1.0
    for k in range(DAYS):
        if k < days:
            pk = pk * (1.0 - q)
    tail = 1.0
    for m in range(1, DAYS + 1):
        tail = tail - pk
        pk = pk * (days - m + 1) / m * odds
        if m <= days and m >= MIN_DAYS and tail <= ALPHA:
            return m
    return DAYS + 1


def cell_counts(hi, lo):  # pragma: no cover - compiled
    """Per day slot of state row 0 and series: cells seen (``hi`` not NaN), ``hi`` beyond
    ``NOISE_Z``, ``lo`` beyond ``-NOISE_Z``. :func:`shift_cells` sums them over the ring's
    valid days and :func:`record_cells` keeps them current: the same integers as a scan of
    ``DAYS x BINS`` cells per row and series (most of the one-series pass's time)."""
    out = np.zeros((hi.shape[1], 3, hi.shape[3]), dtype=np.int64)
    for slot in range(hi.shape[1]):
        for b in range(hi.shape[2]):
            for j in range(hi.shape[3]):
                v = hi[0, slot, b, j]
                if v == v:
                    out[slot, 0, j] += 1
                if v > NOISE_Z:
                    out[slot, 1, j] += 1
                if lo[0, slot, b, j] < -NOISE_Z:
                    out[slot, 2, j] += 1
    return out


def shift_cells(hi, lo, held, now_bin, s_hi, s_lo, counts):  # pragma: no cover - compiled
    """:meth:`Recurrence.shifts` of one row of state row 0 into ``s_hi``/``s_lo``
    (``counts``: :func:`cell_counts`, kept by :func:`record_cells`)."""
    k = hi.shape[3]
    today = now_bin // BINS
    # each day's window of bins as ring cells (slot, bin; slot -1: a day not held), found
    # once a row rather than once a series (~1/3 of the one-series pass)
    cells = np.empty((2, DAYS * (2 * SPAN + 1)), dtype=np.int64)
    c = 0
    for d in range(DAYS):
        for w in range(-SPAN, SPAN + 1):
            t = now_bin - (d + 1) * BINS + w
            day = t // BINS
            slot = day % DAYS
            cells[0, c] = slot if held[0, slot] == day else -1
            cells[1, c] = t % BINS
            c += 1
    for j in range(k):
        seen = 0
        n_hi = 0
        n_lo = 0
        for slot in range(DAYS):
            if held[0, slot] > today - DAYS and held[0, slot] <= today:
                seen += counts[slot, 0, j]
                n_hi += counts[slot, 1, j]
                n_lo += counts[slot, 2, j]
        seen = max(seen, 1)
        top = np.nan
        low = np.nan
        n_up = 0
        n_down = 0
        days = 0
        c = 0
        for _day in range(DAYS):
            h = np.nan
            m = np.nan
            for _ in range(2 * SPAN + 1):
                slot = cells[0, c]
                b = cells[1, c]
                c += 1
                if slot < 0:
                    continue
                v = hi[0, slot, b, j]
                if v == v and not (h >= v):  # np.fmax
                    h = v
                v = lo[0, slot, b, j]
                if v == v and not (m <= v):  # np.fmin
                    m = v
            if h == h:
                days += 1
            if h > NOISE_Z:
                n_up += 1
            if m < -NOISE_Z:
                n_down += 1
            if h == h and not (top >= h):
                top = h
            if m == m and not (low <= m):
                low = m
        # _needed is never below MIN_DAYS: fewer days beyond the noise need no call (most
        # rows; the same outcome)
        up = n_up >= MIN_DAYS and n_up >= _needed(n_hi / seen, days)
        down = n_down >= MIN_DAYS and n_down >= _needed(n_lo / seen, days)
        s_hi[j] = float(top) - NOISE_Z if up else 0.0
        s_lo[j] = -float(low) - NOISE_Z if down else 0.0


def adjust_cell(z, s_hi, s_lo):  # pragma: no cover - compiled
    """:meth:`Recurrence.adjust` of one value."""
    if z > 0:
        return max(z - s_hi, min(z, NOISE_Z))
    if z < 0:
        return min(z + s_lo, max(z, -NOISE_Z))
    return z


def record_cells(hi, lo, held, now_bin, z, counts):  # pragma: no cover - compiled
    """:meth:`Recurrence.update` of one row of state row 0 (``z``: the row's series), and
    its cells' ``counts`` (:func:`cell_counts`)."""
    day = now_bin // BINS
    slot = day % DAYS
    b = now_bin % BINS
    if day < held[0, slot]:
        return
    if day > held[0, slot]:
        hi[0, slot, :, :] = np.nan
        lo[0, slot, :, :] = np.nan
        held[0, slot] = day
        counts[slot, :, :] = 0
    for j in range(hi.shape[3]):
        v = np.float32(z[j])
        if v != v:  # np.fmax / np.fmin keep the stored value
            continue
        old_hi = hi[0, slot, b, j]
        old_lo = lo[0, slot, b, j]
        if not (old_hi >= v):
            hi[0, slot, b, j] = v
        if not (old_lo <= v):
            lo[0, slot, b, j] = v
        new_hi = hi[0, slot, b, j]
        counts[slot, 0, j] += int(new_hi == new_hi) - int(old_hi == old_hi)
        counts[slot, 1, j] += int(new_hi > NOISE_Z) - int(old_hi > NOISE_Z)
        counts[slot, 2, j] += int(lo[0, slot, b, j] < -NOISE_Z) - int(old_lo < -NOISE_Z)


if numba is not None:
    _needed = numba.njit(cache=True)(_needed)
    cell_counts = numba.njit(cache=True)(cell_counts)
    shift_cells = numba.njit(cache=True)(shift_cells)
    adjust_cell = numba.njit(cache=True)(adjust_cell)
    record_cells = numba.njit(cache=True)(record_cells)
