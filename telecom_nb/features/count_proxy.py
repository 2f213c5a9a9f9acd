"""A ratio's trials implied by a traffic column in the row, learned from single-count values.

A rate at 2 decimals shows its counts only as its smallest fraction (:mod:`count_ratio`):
a VoLTE drop rate of 11.76 % is read as 2 drops of 17 calls (binomial z ~3 at a 0.4 %
rate), though the cell carried 2.5 Erl, ~100 calls that hour, and 11.76 % of 100 is 12
drops. Without the calls' counter in the export (:mod:`count_denominator` needs an exact
one), a column of traffic carries the scale: a value of one event (``1 / n``: 1.30 % is
one drop of 77) shows ``n`` exactly, and over a fleet's such values ``log(n / c)`` of the
traffic column ``c`` has a narrow spread (0.29-0.31 on the hourly and 30-minute vendor
worlds 2020-2021: 40 and 20 calls per Erlang). Which column, if any, is learned from the
data, no names: the one of the smallest spread, if under :data:`MAX_SPREAD`.

A value is then read as the multiple ``m k / m n`` of its smallest fraction with ``m n``
the trials the traffic implies *at its low end* (``LOW`` spreads under the fleet's
log-mean, floored): only a value whose smallest fraction is far fewer trials than the cell
then carried is scaled, and never beyond what its traffic makes likely. Offline on those
worlds' fault-free rows the 1-in-10,000 level of the binomial evidence stayed (3.06 ->
3.06 hourly, 2.79 -> 2.89 at 30 minutes), the reading at ``LOW = 0`` (the nearest
multiple) lifted it to 4.26 and 4.86.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from telecom_nb.features.count_fractions import smallest_fraction

if TYPE_CHECKING:
    from telecom_nb.features.count_ratio import Read

#: values of one event a (ratio, column) pair needs before its spread is believed
MIN_VALUES = 200
#: the largest spread of ``log(n / c)`` a traffic column may have to imply trials
MAX_SPREAD = 0.45
#: trials are implied this many spreads under the log-mean (a conservative multiple)
LOW = 1.5


class TrialProxy:
    """Per ratio KPI: the column whose value implies its trials, and the scaled reading."""

    def __init__(self, n_kpis: int) -> None:
        # ratio KPI x column: single-count values seen, sum and sum of squares of log(n / c)
        self.count_ = np.zeros((n_kpis, n_kpis))
        self.sum_ = np.zeros((n_kpis, n_kpis))
        self.sq_ = np.zeros((n_kpis, n_kpis))

    def update(self, sample: np.ndarray, ratios: np.ndarray, tolerance: np.ndarray) -> None:
        """Learn from rows (x KPIs, own units): ``ratios`` marks the ratio KPIs, whose
        values of one event (``k = 1``, ``n >= 2``) are set against every other column's
        positive values; ``tolerance``: each KPI's rounding."""
        rates = np.flatnonzero(ratios)
        others = np.flatnonzero(~ratios)
        if not len(rates) or not len(others) or not len(sample):
            return
        c = sample[:, others]
        positive = np.isfinite(c) & (c > 0.0)
        logc = np.log(np.where(positive, c, 1.0))
        for i in rates:  # a few KPIs
            k, n = smallest_fraction(sample[:, i], float(tolerance[i]))
            one = (k == 1) & (n >= 2)
            if not one.any():
                continue
            ok = one[:, None] & positive
            lr = np.where(ok, np.log(np.maximum(n, 1))[:, None] - logc, 0.0)
            self.count_[i, others] += ok.sum(axis=0)
            self.sum_[i, others] += lr.sum(axis=0)
            self.sq_[i, others] += (lr * lr).sum(axis=0)

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per KPI: its trial column (-1: none), the log-mean and spread of ``log(n / c)``."""
        count = np.maximum(self.count_, 1.0)
        mean = self.sum_ / count
        spread = np.sqrt(np.maximum(self.sq_ / count - mean * mean, 0.0))
        spread = np.where(self.count_ >= MIN_VALUES, spread, np.inf)
        best = np.argmin(spread, axis=1)
        at = np.arange(len(best))
        ok = spread[at, best] <= MAX_SPREAD
        return np.where(ok, best, -1), mean[at, best], spread[at, best]

    def _per_unit(self, cols: np.ndarray, exact: np.ndarray, under: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(which, source, per, spread)``: the positions in ``cols`` whose KPI has a trial
        column and no exact counter (``exact``, which wins), that column, the trials a unit
        of it implies ``under`` spreads under the fleet's log-mean, and that spread."""
        column, mean, spread = self.columns()
        which = np.flatnonzero((column[cols] >= 0) & (exact[cols] < 0))
        i = cols[which]
        return which, column[i], np.exp(mean[i] - under * spread[i]), spread[i]

    def implied(self, raw: np.ndarray, cols: np.ndarray, exact: np.ndarray) -> np.ndarray | None:
        """rows x ``cols``: the trials each row's trial column implies, at the fleet's
        log-mean (NaN: no trial column, an exact counter, a blank column); None where no
        column of ``cols`` has one. Not :meth:`scale`'s low end: that keeps a value's drops
        from being read as more than its traffic makes likely; a value without a drop read
        at the low end costs a sum too little (four vendor tuning worlds, hold46: 2 false
        rows more than at the mean, no surge more)."""
        which, source, per, _ = self._per_unit(cols, exact, 0.0)
        if not len(which):
            return None
        out = np.full((len(raw), len(cols)), np.nan)
        c = raw[:, source]
        out[:, which] = per * np.where(c >= 0.0, c, np.nan)
        return out

    def spreads(self, cols: np.ndarray, exact: np.ndarray) -> np.ndarray:
        """Per KPI of ``cols``: the spread of ``log(n / c)`` of its trial column (NaN: no
        trial column, or an exact counter): how far :meth:`implied` may be off."""
        which, _, _, spread = self._per_unit(cols, exact, 0.0)
        out = np.full(len(cols), np.nan)
        out[which] = spread
        return out

    def scale(
        self, read: Read | None, raw: np.ndarray, exact: np.ndarray
    ) -> tuple[Read | None, np.ndarray | None]:
        """``(read, scaled)``: ``read`` (:meth:`~.count_ratio.CountRatios.read`, after the
        exact counters) with each counted value of at least one event scaled to the
        multiple of its smallest fraction its trial column implies (``exact``: per KPI,
        an exact counter column, which wins), and the rows x ratio columns mask of the
        scaled values (their counts-capped z is lifted: the cap read the few counts)."""
        if read is None:
            return read, None
        cols, k, n, use, p = read
        which, source, per, _ = self._per_unit(cols, exact, LOW)
        if not len(which):
            return read, None
        k, n = k.copy(), n.copy()
        scaled = np.zeros(k.shape, dtype=bool)
        c = raw[:, source]
        implied = per * np.where(np.isfinite(c), c, 0.0)
        m = np.floor(implied / np.maximum(n[:, which], 1))
        s = use[:, which] & (k[:, which] >= 1) & (m >= 2)
        mult = np.where(s, m, 1).astype(k.dtype)
        k[:, which] *= mult
        n[:, which] *= mult
        scaled[:, which] = s
        return (cols, k, n, use, p), scaled
