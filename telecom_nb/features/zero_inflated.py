"""KPIs at exactly 0 nearly always (seconds of unavailability): judged on a linear scale.

Such a KPI's spread is the floor (its level is 0 and so are nearly all its residuals), so
every nonzero value is hundreds of spreads on the log scale the seasonal part uses, and
the log compresses what separates normal life from a fault: a 5-300 s blip and a full
hour's outage (3,600 s) are 570 and 820 floors apart, the blip setting the null the
outage is judged against. A KPI is taken for zero-inflated when the data show it: no
negative value and at least ``MIN_ZERO_SHARE`` of its values exactly 0. Its z is then
its distance from the expectation in units of the fleet's typical nonzero value (the
median of nonzero values over the batches, EW), times ``Z_PER_TYPICAL``: a typical blip
reads a few units, an outage twelve times a typical blip twelve times as many.
Learned from the data, no KPI names.

A planned maintenance window is such a KPI's hour-long value at the same hour of the same
weekday every week (unavailability at 1-3 am one night a week): normal life, half of the
unavailability alarms on the second vendor's exports. A nonzero value at a week slot (weekday
x time of day) where the sector's value was nonzero a week before (``WEEK_DAYS`` apart) reads
z = 0: from the second week on, the window is the sector's own. Memory: two uint16 days per
sector x week slot x zero-inflated KPI (67 MB per such KPI at 100k sectors, 24 slots a day).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from telecom_nb.features.masked_mean import column_any, column_counts
from telecom_nb.sector_index import grow_rows, known_rows

if TYPE_CHECKING:
    from telecom_nb.features.lumpy_kernel import ColumnStats

#: share of exact zeros that makes a KPI zero-inflated ...
MIN_ZERO_SHARE = 0.95
#: ... once it has this many values
MIN_VALUES = 1000
#: z of a deviation as large as the fleet's typical nonzero value
Z_PER_TYPICAL = 3.0
#: EW weight of a batch's median nonzero value (a batch with one counts as little)
TYPICAL_ALPHA = 0.05
#: days between two nonzero values of one week slot that make it a weekly recurrence
#: (7, a clock change or a slot straddling midnight UTC either way)
WEEK_DAYS = (6, 8)


class ZeroInflated:
    """Which KPIs are zero-inflated (learned), and their typical nonzero value."""

    def __init__(self, n_kpis: int, week_slots: int = 7) -> None:
        self.values_ = np.zeros(n_kpis)
        self.zeros_ = np.zeros(n_kpis)
        self.negative_ = np.zeros(n_kpis, dtype=bool)
        self.typical_ = np.full(n_kpis, np.nan)  # EW of the batches' median nonzero value
        # the KPIs whose weekly recurrences are kept (nearly all zeros when first seen), and
        # per sector x week slot x such KPI the (UTC) day of its last nonzero value and the
        # day of the one before on an earlier day (0: none)
        self.week_cols_ = np.zeros(0, dtype=np.int64)
        self.last_day_ = np.zeros((0, week_slots, 0), dtype=np.uint16)
        self.prev_day_ = np.zeros((0, week_slots, 0), dtype=np.uint16)

    def which(self) -> np.ndarray:
        """Per KPI: True where the data show a zero-inflated KPI with a typical value."""
        share = self.zeros_ / np.maximum(self.values_, 1.0)
        return (~self.negative_ & (self.values_ >= MIN_VALUES) & (share >= MIN_ZERO_SHARE)
                & np.isfinite(self.typical_) & (self.typical_ > 0))  # NaN compares False

    def z(self, raw: np.ndarray, expected: np.ndarray, z: np.ndarray, rows: np.ndarray,
          wslot: np.ndarray, day: np.ndarray) -> np.ndarray:
        """``z`` (rows x KPIs) with the zero-inflated KPIs' columns on the linear scale,
        0 where a nonzero value recurs weekly; ``rows`` are registry rows (-1: unknown),
        ``wslot`` the week slots, ``day`` the UTC days since the epoch."""
        cols = np.flatnonzero(self.which())
        if not len(cols):
            return z
        out = z.copy()
        lin = (raw[:, cols] - expected[:, cols]) / self.typical_[cols] * Z_PER_TYPICAL
        lin = np.where(self._weekly(cols, raw, rows, wslot, day), 0.0, lin)
        out[:, cols] = np.where(np.isfinite(lin), lin, z[:, cols])
        return out

    def _weekly(self, cols: np.ndarray, raw: np.ndarray, rows: np.ndarray, wslot: np.ndarray,
                day: np.ndarray) -> np.ndarray:
        """rows x ``cols``: a nonzero value where the week slot had one a week before."""
        out = np.zeros((len(raw), len(cols)), dtype=bool)
        at = np.flatnonzero(np.isin(cols, self.week_cols_))
        known = known_rows(rows, len(self.last_day_))
        if not len(at) or not known.any():
            return out
        layer = np.searchsorted(self.week_cols_, cols[at])
        r, w = np.where(known, rows, 0)[:, None], wslot[:, None]
        today = day.astype(np.int64)[:, None]
        last = self.last_day_[r, w, layer[None, :]].astype(np.int64)
        prev = self.prev_day_[r, w, layer[None, :]].astype(np.int64)
        lo, hi = WEEK_DAYS

        def week_ago(d: np.ndarray) -> np.ndarray:
            return (d > 0) & (today - d >= lo) & (today - d <= hi)

        again = week_ago(last) | ((last == today) & week_ago(prev))
        out[:, at] = known[:, None] & again & (raw[:, cols[at]] > 0.0)
        return out

    def _remember(self, raw: np.ndarray, rows: np.ndarray, wslot: np.ndarray,
                  day: np.ndarray, n_rows: int) -> None:
        """Each zero-inflated KPI's nonzero values: the day, per sector x week slot."""
        # from the first batch on (a window in the first hours is next week's reference):
        # every KPI not yet shown to be anything else
        share = self.zeros_ / np.maximum(self.values_, 1.0)
        maybe = ~self.negative_ & (self.values_ > 0) & (share >= MIN_ZERO_SHARE)
        new = np.setdiff1d(np.flatnonzero(maybe), self.week_cols_)
        if len(new):
            self.week_cols_ = np.union1d(self.week_cols_, new)
            layers = np.searchsorted(self.week_cols_, new)
            self.last_day_ = np.insert(self.last_day_, layers - np.arange(len(new)), 0, axis=2)
            self.prev_day_ = np.insert(self.prev_day_, layers - np.arange(len(new)), 0, axis=2)
        if not len(self.week_cols_):
            return
        self.last_day_ = grow_rows(self.last_day_, n_rows, 0)
        self.prev_day_ = grow_rows(self.prev_day_, n_rows, 0)
        v = raw[:, self.week_cols_]
        nonzero = np.isfinite(v) & (v > 0.0)
        i, j = np.nonzero(nonzero)
        if not len(i):
            return
        at = (rows[i], wslot[i], j)
        today = day[i].astype(np.uint16)
        last = self.last_day_[at]
        self.prev_day_[at] = np.where(last != today, last, self.prev_day_[at])
        self.last_day_[at] = today

    def update(self, raw: np.ndarray, rows: np.ndarray, wslot: np.ndarray, day: np.ndarray,
               n_rows: int, stats: ColumnStats | None = None) -> None:
        """Learn a batch (rows x KPIs, own units); ``stats``: its counts of finite values,
        zeros and negatives (:func:`~telecom_nb.features.lumpy_kernel.column_stats`), else
        counted here."""
        if stats is None:
            ok = np.isfinite(raw)
            self.values_ += column_counts(ok)
            self.zeros_ += column_counts(ok & (raw == 0.0))
            self.negative_ |= column_any(ok & (raw < 0.0))
        else:
            self.values_ += stats.finite
            self.zeros_ += stats.zeros
            self.negative_ |= stats.negative
        share = self.zeros_ / np.maximum(self.values_, 1.0)
        for j in np.flatnonzero(~self.negative_ & (share >= MIN_ZERO_SHARE)):  # a few KPIs
            col = raw[:, j]
            nonzero = col[np.isfinite(col) & (col > 0.0)]  # few: the KPI is nearly always 0
            if not nonzero.size:
                continue
            med = float(np.median(nonzero))
            cur = self.typical_[j]
            self.typical_[j] = med if not np.isfinite(cur) else cur + TYPICAL_ALPHA * (med - cur)
        self._remember(raw, rows, wslot, day, n_rows)
