"""The smoothed-z part's null, read on distances its own fit did not see, in chi-square units.

The part (:mod:`~telecom_nb.features.smoothed_z`) reads a live row's smoothed z vector with
a Mahalanobis distance fitted on the window. Its tail and null were fitted on the window's
*own* distances, in sample, as a linear unit of the distance with an exponential tail read
off the shoulder. Out of sample (judged normal rows of the few-series sets, cdn60 in
``benchmarks/MEASURED.md``) that null passed 3 on 0.43x the nominal share of rows on cdn24
and 2.9x on cdn48: the same ``p`` meant a different thing on 24 and on 48 KPIs, for two
reasons measured apart:

* 48 slowly drifting means fit their own window far better than the next day's rows:
  :func:`held_out_distances` reads each window row under a fit on the window's *other*
  contiguous blocks (:data:`FOLDS`; a day or two of a 14-day window, the gap between a live
  row and its model's rows). Alone it made cdn48 honest (0.97x) and cdn24 stricter (0.18x).
* A squared distance's tail is a chi-square's, whose local scale shrinks with depth: an
  exponential read off its shoulder calls deep rows commoner than they are (cdn24's
  strictness). :class:`ChiUnits` reads the distance as ``-log10 p`` of a scaled chi-square
  matched to the held-out body, where an honest fit's tail *is* exponential, and the
  null's shoulder extrapolates it without that bias.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import special  # scipy.stats would load scipy.sparse on the detect path

from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.detectors.joint import JointDistance

#: contiguous blocks of the window, each read under a fit on the others
FOLDS = 7
#: fewer rows than this in a block's complement: the window is read in sample
MIN_FIT_ROWS = 500
#: the quantiles of the held-out distances a scaled chi-square is matched to (the body:
#: below a window's incidents)
CHI_QUANTILES = (0.5, 0.9)


def held_out_distances(b: np.ndarray, columns: np.ndarray, folds: int = FOLDS) -> np.ndarray:
    """Squared distance of each row of ``b`` (bounded smoothed z, window order) under a
    :class:`~.joint.JointDistance` fitted on the window's other blocks (a short window, or
    ``folds`` < 2: in sample)."""
    n = len(b)
    if folds < 2 or n - -(-n // folds) < MIN_FIT_ROWS:
        return JointDistance.of_bounded(b, columns).bounded_distance(b)
    out = np.empty(n)
    edges = np.linspace(0, n, folds + 1).astype(np.intp)
    for lo, hi in itertools.pairwise(edges):  # a few blocks, not rows
        rest = np.concatenate((b[:lo], b[hi:]))
        out[lo:hi] = JointDistance.of_bounded(rest, columns).bounded_distance(b[lo:hi])
    return out


@dataclass(frozen=True)
class ChiUnits:
    """A squared distance as ``-log10 p`` of a scaled chi-square, ``d ~ scale * chi2(dof)``."""

    scale: float
    dof: float

    @classmethod
    def fit(cls, d: np.ndarray) -> ChiUnits:
        """Matched to the :data:`CHI_QUANTILES` of ``d`` (held-out distances): their ratio
        fixes ``dof`` (it falls as ``dof`` grows), the median then ``scale``."""
        q = np.quantile(np.asarray(d, dtype=np.float64), CHI_QUANTILES)
        mid_q, high_q = float(q[0]), float(q[1])
        if not (mid_q > 0 and np.isfinite(high_q) and high_q > mid_q):
            return cls(max(mid_q, 1e-12), 1.0)  # a degenerate window: any fixed reading
        target = high_q / mid_q
        lo, hi = np.log(0.5), np.log(5000.0)  # log dof, bisected (40 steps: ~1e-11)
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            a, b = _ppf(np.asarray(CHI_QUANTILES), np.exp(mid))
            lo, hi = (mid, hi) if b / a > target else (lo, mid)
        dof = float(np.exp(0.5 * (lo + hi)))
        return cls(mid_q / float(_ppf(CHI_QUANTILES[0], dof)), dof)

    def __call__(self, d: np.ndarray) -> np.ndarray:
        """``-log10`` of each distance's tail probability (``d``: rows or rows x 1)."""
        d = np.asarray(d, dtype=np.float64).reshape(len(d), -1)[:, 0]
        with np.errstate(divide="ignore"):  # p underflowing to 0: past any score's cap
            sf = special.chdtrc(self.dof, np.maximum(d, 0.0) / self.scale)
            return np.minimum(np.log(sf) / -np.log(10.0), 1e3)


def _ppf(q: np.ndarray | float, dof: float) -> np.ndarray:
    """The chi-square's quantile ``q`` (``scipy.stats.chi2.ppf``'s formula)."""
    return 2.0 * special.gammaincinv(dof / 2.0, q)


def fit_smooth_part(b: np.ndarray, columns: np.ndarray, kept: np.ndarray | None,
                    cont: np.ndarray | None,
                    ) -> tuple[JointDistance, ChiUnits, np.ndarray, TailCalibrator]:
    """The part fitted on its window's bounded smoothed z ``b``: the distance (every row),
    its units and their null on the held-out distances of the calibration rows ``kept``
    (None: all), declustered by ``cont``; also those rows' units (the max of parts' null
    reads them)."""
    distance = JointDistance.of_bounded(b, columns)
    d = held_out_distances(b, columns)
    d = d if kept is None else d[kept]
    units = ChiUnits.fit(d)
    scores = units(d)
    return distance, units, scores, TailCalibrator.fit(scores, heavy_tails=True, continues=cont)
