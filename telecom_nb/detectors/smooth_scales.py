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
#: fewer window rows than twice this: the distances are read in sample
MIN_HALF = 200


@dataclass(frozen=True)
class StrongerScale:
    """The larger of two smoothed-z distances, each over its window's 95 %; immutable."""

    short: JointDistance
    long: JointDistance
    #: each one's unit (its window's :data:`UNIT_QUANTILE`, > 0)
    units: np.ndarray

    @classmethod
    def of_bounded(cls, x: np.ndarray, short_columns: np.ndarray,
                   long_columns: np.ndarray) -> tuple[StrongerScale, np.ndarray]:
        """Fit on window rows ``x = bounded(window[:, r_[short_columns, long_columns]])``;
        also returns each window row's stronger distance read out of sample
        (:func:`held_out`), the reference its tail and null are fitted on."""
        k = len(short_columns)
        short = JointDistance.of_bounded(x[:, :k], short_columns)
        long = JointDistance.of_bounded(x[:, k:], long_columns)
        import os
        ds = (short.bounded_distance(x[:, :k]) if os.environ.get("SMS") == "in"
              else held_out(x[:, :k], short_columns))
        d = np.stack([ds, held_out(x[:, k:], long_columns)])
        units = np.maximum(np.quantile(d, UNIT_QUANTILE, axis=1), 1e-12)
        return cls(short, long, units), np.max(d / units[:, None], axis=0)

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


def held_out(x: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Each row's distance under a fit on the other half of the window (its older and newer
    halves, fitted apart): a mean of several samples moves slowly, so a window of 4,000
    rows holds far fewer independent ones, and a distance fitted on the very rows it reads
    is tighter there than on new rows (cdn48, 48 KPIs: the in-sample null let the 15-minute
    mean's distance pass -log10 p = 3 on 13x the nominal share of new normal rows)."""
    import os
    folds = int(os.environ.get("SMF", "2"))
    if len(x) // folds < MIN_HALF:
        return JointDistance.of_bounded(x, columns).bounded_distance(x)
    edges = np.linspace(0, len(x), folds + 1).astype(int)
    out = np.empty(len(x))
    for a, b in zip(edges[:-1], edges[1:]):
        fit = JointDistance.of_bounded(np.r_[x[:a], x[b:]], columns)
        out[a:b] = fit.bounded_distance(x[a:b])
    return out
