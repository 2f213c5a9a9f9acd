"""The smoothed z read at two half lives, the stronger of the two counted once.

A few series' smoothed-z part (:mod:`~telecom_nb.features.smoothed_z`) keeps a short mean
(5 minutes) and a long one (15 minutes) of each KPI's seasonal z. Each vector gets its own
Mahalanobis distance (:class:`~telecom_nb.detectors.joint.JointDistance`, fitted on the
window) and each distance is put in units of its own window's 95 % quantile, so that the two
read alike on usual rows; the part reads the larger. Its tail and null are then fitted on
that maximum over the window (``IsolationForestDetector``): the price of reading two means is
paid once, by the part's own null, not by the max of parts.

Why not the long mean alone: it drifts with a service's slow factors (cdn48 of
``benchmarks/few_series.py``: +166 false rows and one incident lost where the short mean
alone keeps them); why not both vectors in one distance: twice the dimensions for the same
evidence (offline on cdn24, fewer incidents above their seed's third-highest normal row: 5
of 56 against the short mean's 51).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from telecom_nb.detectors.joint import JointDistance, bounded

#: each distance's unit: this quantile of its window rows
UNIT_QUANTILE = 0.95


@dataclass(frozen=True)
class StrongerScale:
    """The larger of two smoothed-z distances, each over its window's 95 %; immutable."""

    short: JointDistance
    long: JointDistance
    #: each one's unit (its window's :data:`UNIT_QUANTILE`, > 0)
    units: np.ndarray

    @classmethod
    def of_bounded(cls, x: np.ndarray, short_columns: np.ndarray,
                   long_columns: np.ndarray) -> StrongerScale:
        """Fit on window rows ``x = bounded(window[:, r_[short_columns, long_columns]])``."""
        k = len(short_columns)
        short = JointDistance.of_bounded(x[:, :k], short_columns)
        long = JointDistance.of_bounded(x[:, k:], long_columns)
        units = np.array([np.quantile(short.bounded_distance(x[:, :k]), UNIT_QUANTILE),
                          np.quantile(long.bounded_distance(x[:, k:]), UNIT_QUANTILE)])
        return cls(short, long, np.maximum(units, 1e-12))

    @property
    def columns(self) -> np.ndarray:
        return np.r_[self.short.columns, self.long.columns]

    def distance(self, features: np.ndarray) -> np.ndarray:
        """The stronger distance of each row (rows x all features)."""
        return self.bounded_distance(bounded(features[:, self.columns]))

    def bounded_distance(self, x: np.ndarray) -> np.ndarray:
        """:meth:`distance` of rows already bounded, ``x = bounded(features[:, columns])``."""
        k = len(self.short.columns)
        return np.maximum(self.short.bounded_distance(x[:, :k]) / self.units[0],
                          self.long.bounded_distance(x[:, k:]) / self.units[1])
