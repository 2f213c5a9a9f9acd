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

Two such means side by side (:data:`HALF_LIVES`: k columns each, the short first): at a
5-minute cadence a 5-minute half life is a mean of ~2 samples, and an incident of 7-30
samples whose KPIs each sit 1.5-3 tick spreads off is read on its own samples' noise; a
15-minute mean (~3 samples' half life, ~6 samples in all) reads it over more of its rows
but drifts with the service's slow factors. Either alone loses incidents the other keeps
(cdn24 / cdn48 of ``benchmarks/few_series.py``: the longer alone +3 of 56 cdn24 incidents,
-1 of 56 cdn48, +224 false rows); the detector reads the stronger of the two distances
(:class:`~telecom_nb.detectors.smooth_scales.StrongerScale`), once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb.features.robust_kernel import numba
from telecom_nb.sector_index import grow_rows, known_rows

#: data time over which a sample's weight in the mean is one half (capped there)
HALF_LIFE = pd.Timedelta("5min")
#: the means kept side by side, the short one first (its columns ``:smooth_z``, the long
#: one's ``:smooth_long_z``)
HALF_LIVES = (HALF_LIFE, pd.Timedelta("15min"))
_NONE = np.iinfo(np.int64).min // 2


def weights(last_ns: np.ndarray, now_ns: np.ndarray,
            half_life: pd.Timedelta = HALF_LIFE) -> np.ndarray:
    """The weight of a sample at ``now_ns`` after one at ``last_ns`` (1: the first one)."""
    gap = np.clip((now_ns - last_ns) / half_life.value, 0.0, 1.0)
    return np.where(last_ns == _NONE, 1.0, 1.0 - 0.5 ** gap)


class SmoothedZ:
    """Per sector x KPI: the weighted mean of seasonal z at each of :data:`HALF_LIVES`, in
    units of its own spread (``transform``: the short mean's k columns, then the long's)."""

    def __init__(self, n_kpis: int) -> None:
        #: per sector, half life and KPI
        self.mean_ = np.zeros((0, len(HALF_LIVES), n_kpis))
        #: variance of each mean for independent unit z-scores under the weights so far
        self.var_ = np.zeros((0, len(HALF_LIVES)))
        self.last_ns_ = np.full(0, _NONE, dtype=np.int64)
        #: set by the pipeline: at most a few series (otherwise nothing is computed)
        self.active = True

    @property
    def width(self) -> int:
        """The columns ``transform`` writes (k per half life)."""
        return self.mean_.shape[1] * self.mean_.shape[2]

    def _current(self, rows: np.ndarray, z: np.ndarray,
                 now_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The means and their variances including this row's ``z`` (a new sector: ``z``),
        rows x half lives (x KPIs)."""
        known = known_rows(rows, len(self.last_ns_))
        s = len(HALF_LIVES)
        if not known.any():
            return np.repeat(z[:, None, :], s, axis=1), np.ones((len(z), s))
        r = np.where(known, rows, 0)
        last = np.where(known, self.last_ns_[r], _NONE)
        a = np.stack([weights(last, now_ns, h) for h in HALF_LIVES], axis=1)
        b = 1.0 - a
        mean = (b[:, :, None] * np.where(known[:, None, None], self.mean_[r], 0.0)
                + a[:, :, None] * z[:, None, :])
        return mean, b * b * np.where(known[:, None], self.var_[r], 0.0) + a * a

    def transform(self, rows: np.ndarray, z: np.ndarray, now_ns: np.ndarray) -> np.ndarray:
        """The smoothed z of each row, this row included (learns nothing)."""
        if not self.active:
            return np.zeros((len(z), self.width))
        mean, var = self._current(rows, z, now_ns)
        return (mean / np.sqrt(var)[:, :, None]).reshape(len(z), -1)

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
        z = np.ascontiguousarray(z)
        k = z.shape[1]
        for j, half_life in enumerate(HALF_LIVES):
            smooth_pass(z, weights(last, now_ns, half_life), self.mean_[0, j],
                        self.var_[0, j : j + 1], out[:, j * k : (j + 1) * k])
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
