"""Smoothed seasonal z: a few series' deviations of the last minutes, read together.

An incident that moves 6 of 24 service KPIs by about one of their spreads each, for an
hour, is inside each tick's seasonal noise, and too short or too recent for the hour's
level shift (:mod:`~telecom_nb.features.level_shift`) to carry it; persistence's running
mean (:mod:`~telecom_nb.features.persistence`) is read per KPI against its own slow
drifts. Averaged over the last ~10 minutes the tick noise halves while the incident stays,
and the detector reads the vector of these means with a Mahalanobis distance of its own
(:class:`~telecom_nb.detectors.iforest.IsolationForestDetector`): KPIs that usually move
together count once, KPIs moving together that usually do not add up.

Per sector and KPI: an exponentially weighted mean of the (clipped) seasonal z whose weight
follows data time (:data:`HALF_LIFE`: a sample 5 minutes after the last one weighs 0.5; a
longer gap weighs no more than that, a shorter one less), divided by the standard deviation
such a mean of independent unit z-scores has after the same weights (kept as it goes:
irregular gaps keep it a unit z). A known zero state reads 0 (as persistence learns it).
Only for a few series (:data:`~telecom_nb.defaults.FEW_SERIES`): a fleet's columns read 0
and nothing is learned (its peers carry the context).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb.features.robust_kernel import numba
from telecom_nb.sector_index import grow_rows, known_rows

#: data time over which a sample's weight in the mean is one half (capped there)
HALF_LIFE = pd.Timedelta("5min")
_NONE = np.iinfo(np.int64).min // 2


def weights(last_ns: np.ndarray, now_ns: np.ndarray) -> np.ndarray:
    """The weight of a sample at ``now_ns`` after one at ``last_ns`` (1: the first one)."""
    gap = np.clip((now_ns - last_ns) / HALF_LIFE.value, 0.0, 1.0)
    return np.where(last_ns == _NONE, 1.0, 1.0 - 0.5 ** gap)


class SmoothedZ:
    """Per sector x KPI: the weighted mean of seasonal z, in units of its own spread."""

    def __init__(self, n_kpis: int) -> None:
        self.mean_ = np.zeros((0, n_kpis))
        #: variance of the mean for independent unit z-scores under the weights so far
        self.var_ = np.zeros(0)
        self.last_ns_ = np.full(0, _NONE, dtype=np.int64)
        #: set by the pipeline: at most a few series (otherwise nothing is computed)
        self.active = True

    def _current(self, rows: np.ndarray, z: np.ndarray,
                 now_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The mean and its variance including this row's ``z`` (a new sector: ``z``)."""
        known = known_rows(rows, len(self.last_ns_))
        if not known.any():
            return z.copy(), np.ones(len(z))
        r = np.where(known, rows, 0)
        a = weights(np.where(known, self.last_ns_[r], _NONE), now_ns)
        b = 1.0 - a
        mean = b[:, None] * np.where(known[:, None], self.mean_[r], 0.0) + a[:, None] * z
        return mean, b * b * np.where(known, self.var_[r], 0.0) + a * a

    def transform(self, rows: np.ndarray, z: np.ndarray, now_ns: np.ndarray) -> np.ndarray:
        """The smoothed z of each row, this row included (learns nothing)."""
        if not self.active:
            return np.zeros_like(z)
        mean, var = self._current(rows, z, now_ns)
        return mean / np.sqrt(var)[:, None]

    def update(self, rows: np.ndarray, z: np.ndarray, now_ns: np.ndarray, n_rows: int) -> None:
        if not self.active:
            return
        mean, var = self._current(rows, z, now_ns)
        self._grow(n_rows)
        late = now_ns < self.last_ns_[rows]  # an older row: weight 0, the clock stays
        self.mean_[rows] = mean
        self.var_[rows] = var
        self.last_ns_[rows] = np.where(late, self.last_ns_[rows], now_ns)

    def _grow(self, n_rows: int) -> None:
        if len(self.last_ns_) >= n_rows:
            return
        self.mean_ = grow_rows(self.mean_, n_rows)
        self.var_ = grow_rows(self.var_, n_rows)
        self.last_ns_ = grow_rows(self.last_ns_, n_rows, _NONE)

    def run(self, z: np.ndarray, now_ns: np.ndarray, out: np.ndarray) -> None:
        """One sector's rows (state row 0, times increasing) scored into ``out`` and
        learned, as ``transform`` then ``update`` row by row (the one-series pass)."""
        self._grow(1)
        last = np.r_[self.last_ns_[0], now_ns[:-1]]
        smooth_pass(np.ascontiguousarray(z), weights(last, now_ns), self.mean_[0],
                    self.var_[0:1], out)
        self.last_ns_[0] = now_ns[-1]


def smooth_pass(z, a, mean, var, out):  # pragma: no cover - compiled
    """The recurrence of :meth:`SmoothedZ.run` (same float64 operations, in order)."""
    n, k = z.shape
    for i in range(n):
        b = 1.0 - a[i]
        v = b * b * var[0] + a[i] * a[i]
        sd = np.sqrt(v)
        for j in range(k):
            m = b * mean[j] + a[i] * z[i, j]
            out[i, j] = m / sd
            mean[j] = m
        var[0] = v


if numba is not None:
    smooth_pass = numba.njit(cache=True, nogil=True)(smooth_pass)
