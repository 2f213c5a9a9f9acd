"""Joint evidence: how far a row's KPI deviations are, *together*, from their usual mix.

The max |z| hears only the loudest KPI and the forest isolates a row on one feature at a
time: a collapse of traffic with modulation at zero, or an incident that moves a dozen
service KPIs by two of their deviations each, is several moderate deviations and neither
part adds them up. This part does: the squared Mahalanobis distance of a row's bounded
seasonal and persistence z-vector from the window's centre, under a shrunk covariance of
the window. KPIs that usually move together (users with traffic, latency with load) count
once; KPIs that move together when they usually do not add up.

The fit is causal: it reads only the window (the past). It is robust through the bounded
z (a fault's z of 50 weighs like one of 4, not 150 times more) and the median centre; the
covariance is *not* trimmed to the rows nearest the centre: a trimmed covariance is too
tight for the hours the window did not cover (on the simulator's fleet it cost 0.1 of
precision). The distance is then read like a feature's |z|, in units of its own declustered
tail (:mod:`~telecom_nb.detectors.feature_tails`). In a fleet, where every feature has its
own tail, it is one more feature in the max of units; for a few series, whose features keep
their body only (and whose max of units has a shoulder as heavy as its sparsest feature's),
it is a part of its own with its own null: in that max it would drown (on the CDN-like sets
of ``benchmarks/few_series.py`` 2-4 of 7 incidents instead of 6-7). A part of its own in a
fleet costs the max of parts a little everywhere (operator world 7: 5 events fewer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from telecom_nb.detectors.shift_part import MIN_SHIFT_ROWS
from telecom_nb.features.column_quantiles import select_each


def bounded(features: np.ndarray) -> np.ndarray:
    """Signed ``log1p(|z|)`` with NaN and infinities as 0: one huge z must not be the whole
    distance.

    ``np.sign(v) * np.log1p(np.abs(v))`` of ``v = np.nan_to_num(z, 0, 0, 0)``, bit for bit,
    in one array instead of six (a one-series retrain reads it 4 times on its 20k-row
    window: 3.2 -> 0.8 ms a call): a sign times a value is that value negated or not; a
    zero and a non-finite z read +0.0, as ``sign(0) * log1p(0)`` does."""
    x = np.asarray(features, dtype=np.float64)
    out = np.abs(x)
    np.log1p(out, out=out)
    np.negative(out, out=out, where=x < 0)
    out[~np.isfinite(out)] = 0.0
    return out


def median_rows(x: np.ndarray) -> np.ndarray:
    """``np.median(x, axis=0)`` of rows without NaN (``bounded``'s), the same numbers: numpy's
    mean of the middle value or two, taken from a transposed copy whose rows hold them in
    place (:func:`~telecom_nb.features.column_quantiles.select_positions`: a sign split and
    a partition, ~3x less than the sort on a one-series window's 19k x 12 joint columns,
    a quarter of them tied at 0; now a compiled branch-free selection,
    :func:`~telecom_nb.features.column_quantiles.select_each`, for rows without a -0.0)."""
    n = len(x)
    if n == 0:  # numpy's NaN (and its warning)
        return np.mean(np.sort(x, axis=0)[-1:1], axis=0)
    k = n // 2
    at = np.array([k - 1, k] if n % 2 == 0 else [k], dtype=np.intp)
    rows = np.array(np.asarray(x).T, order="C")  # a copy, reordered in place
    select_each(rows, np.arange(len(rows)), at)
    return np.mean(rows[:, at[0] : k + 1], axis=1)


def _shrunk_precision(x: np.ndarray) -> np.ndarray:
    """Inverse of the Ledoit-Wolf shrunk covariance of centred rows ``x``."""
    n, f = x.shape
    cov = x.T @ x / max(n, 1)
    mu = np.trace(cov) / f
    # Ledoit-Wolf: shrink toward mu * I by the share of cov's spread that is sampling noise
    x2 = x * x
    beta = float(((x2.T @ x2) / n - cov * cov).sum()) / n
    delta = float(((cov - mu * np.eye(f)) ** 2).sum())
    shrink = 1.0 if delta <= 0 else min(max(beta / delta, 0.0), 1.0)
    shrunk = (1.0 - shrink) * cov + shrink * mu * np.eye(f)
    floor = max(mu, 1e-6) * 1e-3
    return np.linalg.inv(shrunk + floor * np.eye(f))


@dataclass(frozen=True)
class JointDistance:
    """Squared robust Mahalanobis distance of bounded z-vectors; immutable."""

    columns: np.ndarray  # the feature columns read (indices into a feature row)
    center: np.ndarray  # (F,)
    precision: np.ndarray  # (F, F)

    @classmethod
    def fit(cls, window: np.ndarray, columns: np.ndarray) -> JointDistance:
        """Fit on ``window`` rows (the past only)."""
        columns = np.asarray(columns, dtype=np.intp)
        return cls.of_bounded(bounded(window[:, columns]), columns)

    @classmethod
    def of_bounded(cls, x: np.ndarray, columns: np.ndarray) -> JointDistance:
        """:meth:`fit` on rows already bounded, ``x = bounded(window[:, columns])``: a
        retrain bounds its window's columns once for the fit and the window's distances
        (:meth:`bounded_distance`), the same numbers as :meth:`fit` and :meth:`distance`."""
        center = median_rows(x)
        return cls(np.asarray(columns, dtype=np.intp), center, _shrunk_precision(x - center))

    def distance(self, features: np.ndarray) -> np.ndarray:
        """Squared distance of each row (rows x all features) from the centre."""
        return self.bounded_distance(bounded(features[:, self.columns]))

    def bounded_distance(self, x: np.ndarray) -> np.ndarray:
        """:meth:`distance` of rows already bounded, ``x = bounded(features[:, columns])``."""
        x = x - self.center
        return np.einsum("ij,jk,ik->i", x, self.precision, x)


def fit_joint(window: np.ndarray, columns: np.ndarray, shift: np.ndarray,
              bounded_of: Callable[[np.ndarray], np.ndarray] | None = None,
              ) -> tuple[JointDistance, np.ndarray]:
    """The joint distance of the seasonal and persistence columns and, for a few series once
    the window holds :data:`MIN_SHIFT_ROWS` rows with a level-shift statistic, the shift
    columns too, fitted on those rows only (an hour's shift of zero before 3 days of history
    would make its usual spread look tight).

    Why the shifts: an incident moving 6 of 24 service KPIs by ~1.5 of their spreads for
    hours is, per tick, inside the seasonal noise, and per KPI inside the slow drifts of
    the service's latent factors (those drifts are the per-KPI shift part's false alarms);
    the hour's shifts of many KPIs together, against how they usually shift together,
    stand out.

    Also returns ``bounded(window[:, joint.columns])`` of every window row (bounded once:
    the fit reads its rows, the window's distances all of it); ``bounded_of(columns)``
    gives it when set (read only: :mod:`.row_cache`'s).
    """
    if bounded_of is None:
        def bounded_of(cols: np.ndarray) -> np.ndarray:
            return bounded(window[:, cols])

    if len(shift):
        has = (window[:, shift] != 0).any(axis=1)
        if has.sum() >= MIN_SHIFT_ROWS:
            both = np.r_[columns, shift]
            b = bounded_of(both)  # elementwise: b[has] is bounded(window[has][:, both])
            return JointDistance.of_bounded(b[has], both), b
    b = bounded_of(columns)
    return JointDistance.of_bounded(b, columns), b
