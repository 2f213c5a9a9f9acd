"""A ratio's own counter in the same row: its exact count of trials, learned from the values.

An OSS report often carries the raw counters beside the KPIs derived from them (E-RAB
successes beside the E-RAB drop rate, RRC attempts beside the setup success rate). A rate's
value alone shows its counts only up to ~20 at 2 decimals (:mod:`count_ratio`): one drop of
58 E-RABs at a quiet quarter hour (1.72 %) is read on the seasonal scale, whose median at
that slot is 0 %, and is 4-7 spreads (the largest source of false alarms on 15-minute
multi-RAT worlds, ~40 %, nearly all between midnight and 6 h). With the counter the value
is ``k`` of ``n`` exactly, and one drop of 58 at a rate of 0.4 % is ordinary.

Which column is a ratio's denominator is learned from the data, no names: a column of
non-negative integers ``c`` such that ``v c / 100`` is within the value's rounding of an
integer on nearly every row (``0 < v < 100``, ``c >= 2``). A column unrelated to the rate
meets that by chance on ``~2 c tol / 100`` of rows (1 % at ``c`` = 100 at 2 decimals), so
only rows where that chance is small are tried (:data:`MAX_SLACK`): on a large counter
every value is "an integer share" (a throughput in bits, ~1e9, beside a PRB use at 2
decimals: 5e4 counts of slack), and such a chance denominator made the count drift read
an ordinary day as ~1e9 trials at z ~37 (short41: a clean 12-cell export flagged wholesale).

A row is read in its exact counts where the rarer outcome is expected fewer than
``MIN_EXPECTED`` times (``n min(p, 1 - p)``: a discrete count of a few events, which a
spread does not describe) or where the value was read in counts already; a busy row's
rate, whose count of events is many, keeps its seasonal z (its level per time of day).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from telecom_nb.features.count_ratio import FLOOR_COUNTS, Read, sample_step
from telecom_nb.features.masked_mean import column_any, column_counts

if TYPE_CHECKING:
    from telecom_nb.features.lumpy_kernel import ColumnStats

#: rows (``0 < v < 100``, ``c >= 2``) a pair needs before a denominator is taken ...
MIN_TRIED = 200
#: ... and the share of them on which ``v c / 100`` is an integer within rounding
MIN_SHARE = 0.98
#: a row is read in counts where the rarer outcome is expected fewer times than this
MIN_EXPECTED = 5.0
#: a row is tried only while a value lands within its rounding of an integer count by
#: chance on at most ``2 MAX_SLACK`` of rows (``c tol / 100``: ``c`` up to 2,000 at 2
#: decimals); a larger counter's row says nothing about the pair
MAX_SLACK = 0.1


class Denominators:
    """Per ratio KPI: the column holding its trials (learned), and the rows' exact counts."""

    def __init__(self, n_kpis: int) -> None:
        # per KPI: a non-integer or negative value was seen (not a counter)
        self.fractional_ = np.zeros(n_kpis, dtype=bool)
        # ratio KPI x candidate column: rows tried, rows on an integer count of events
        self.tried_ = np.zeros((n_kpis, n_kpis))
        self.hits_ = np.zeros((n_kpis, n_kpis))

    #: :meth:`columns` as last computed (a transient cache: checkpoints skip it)
    _cache: np.ndarray | None = None

    def state_changed(self) -> None:
        """Forget :meth:`columns`' cache: :meth:`update` and a checkpoint's restore call it."""
        self._cache = None

    def columns(self) -> np.ndarray:
        """Per KPI: its denominator's column (-1: none known); read only.

        Read five times a tick (the count drift's read and update, the lumpy update, the
        ratios' exact counts, whether anything counts) on state only :meth:`update`
        changes: computed once per update (~50 us a read at any fleet size)."""
        if self._cache is None:
            cols = self._columns()
            cols.flags.writeable = False
            self._cache = cols
        return self._cache

    def _columns(self) -> np.ndarray:
        share = self.hits_ / np.maximum(self.tried_, 1.0)
        ok = (self.tried_ >= MIN_TRIED) & (share >= MIN_SHARE) & ~self.fractional_[None, :]
        best = np.argmax(np.where(ok, share, -1.0), axis=1)
        return np.where(ok.any(axis=1), best, -1)

    def update(self, raw: np.ndarray, ratios: np.ndarray, tolerance: np.ndarray,
               stats: ColumnStats | None = None) -> None:
        """Learn from a batch (rows x KPIs, own units); ``ratios`` marks the ratio KPIs,
        ``tolerance`` each KPI's rounding (:meth:`CountRatios.resolution`); ``stats``: the
        values' counts (:func:`~telecom_nb.features.lumpy_kernel.column_stats`), else
        counted here."""
        if not len(raw):
            return
        self.state_changed()  # fractional_, tried_ and hits_ may move below
        sample = raw[:: sample_step(len(raw))]
        if stats is None:
            ok = np.isfinite(sample)
            self.fractional_ |= column_any(ok & ((sample < 0.0) | (sample != np.round(sample))))
        else:
            self.fractional_ |= stats.fractional
        rates = np.flatnonzero(ratios)
        counters = np.flatnonzero(~self.fractional_ & ~ratios)
        if not len(rates) or not len(counters):
            return
        v = sample[:, rates][:, :, None]  # rows x rates x 1
        c = sample[:, counters][:, None, :]  # rows x 1 x counters
        events = v * c / 100.0
        slack = c * tolerance[rates][None, :, None] / 100.0 + 1e-9
        # NaN compares False; a row whose slack a chance value meets often is not tried
        tried = (v > 0.0) & (v < 100.0) & (c >= 2.0) & (slack <= MAX_SLACK)
        hit = tried & (np.abs(events - np.round(events)) <= slack)
        at = np.ix_(rates, counters)
        self.tried_[at] += column_counts(tried)
        self.hits_[at] += column_counts(hit)

    def exact(self, read: Read | None, raw: np.ndarray, known: np.ndarray,
              tolerance: np.ndarray) -> Read | None:
        """``read`` (:meth:`CountRatios.read`) with each ratio's events and trials taken
        from its denominator's column where the row has one that matches its value;
        ``known`` marks rows of known sectors."""
        if read is None:
            return None
        cols, k, n, use, p = read
        den = self.columns()[cols]
        if not (den >= 0).any():
            return read
        k, n, use = k.copy(), n.copy(), use.copy()
        for j in np.flatnonzero(den >= 0):  # a few KPIs
            v, c = raw[:, cols[j]], raw[:, den[j]]
            good = np.isfinite(v) & np.isfinite(c) & (c >= 1.0) & (c <= FLOOR_COUNTS)
            events = np.where(good, v * np.where(good, c, 0.0) / 100.0, 0.0)
            good &= np.abs(events - np.round(events)) <= c * tolerance[cols[j]] / 100.0 + 1e-9
            rare = np.minimum(p[:, j], 1.0 - p[:, j]) * np.where(good, c, 0.0)
            good &= known & (use[:, j] | (rare < MIN_EXPECTED))
            k[:, j] = np.where(good, np.round(events), k[:, j]).astype(k.dtype)
            n[:, j] = np.where(good, c, n[:, j]).astype(n.dtype)
            use[:, j] |= good
        return cols, k, n, use, p
