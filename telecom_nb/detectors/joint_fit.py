"""A retrain's distance parts: the joint distance and, for a few series, the smoothed one.

:mod:`.joint` says what the distances are; this is how a retrain turns them into parts. The
distance is read in units of its own declustered tail, like a feature's |z|: in a fleet that
is one more feature in the max of units; for a few series (heavy tails), whose max of
body-only units would drown it, a part with its own null. A few series' smoothed seasonal z
vector (:mod:`~telecom_nb.features.smoothed_z`: the last minutes of an incident too short
for the hour's shift) is a second distance with its own null.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.joint import JointDistance, bounded, fit_joint
from telecom_nb.detectors.row_cache import RowCache, RowKey, kept_rows


@dataclass
class DistanceParts:
    """The fitted distances, their tails and nulls, and the calibration rows' units."""

    joint: JointDistance | None = None
    joint_tail: FeatureTails | None = None
    joint_null: TailCalibrator | None = None  # a few series: the joint part's own null
    units: np.ndarray | None = None  # the joint distance of the calibration rows, in units
    smooth: JointDistance | None = None
    smooth_tail: FeatureTails | None = None
    smooth_null: TailCalibrator | None = None
    smooth_units: np.ndarray | None = None


def fit_distances(window: np.ndarray, columns: tuple, shift: np.ndarray,
                  smooth_cols: np.ndarray, heavy: bool, kept: np.ndarray | None,
                  cont: np.ndarray | None, cache: RowCache | None,
                  key: RowKey | None) -> DistanceParts:
    """The distance parts of a retrain (none without joint ``columns``); ``window``: every
    column (the shift columns too), ``kept``: the calibration rows (None: all), ``cont``:
    where those rows continue an excursion (:func:`.feature_tails.continues`), ``cache`` and
    ``key``: a few series' kept row-wise transforms (:mod:`.row_cache`)."""
    out = DistanceParts()
    if not len(columns):
        return out

    def joint_bounded(cols: np.ndarray) -> np.ndarray:
        return kept_rows(cache, "joint", tuple(cols), key, window,
                         lambda w: bounded(w[:, cols]))

    out.joint, b = fit_joint(window, np.asarray(columns, dtype=np.intp),
                             shift if heavy else shift[:0], joint_bounded)
    d = out.joint.bounded_distance(b if kept is None else b[kept])[:, None]
    # declustered like a feature's tail (``previous`` holds |z|: no distance of its
    # own, so a row continues where the sector was already far on any feature); its
    # deep tail is every KPI's rare normal excursions at once (availability's dips):
    # no spacing rule (it made them extreme: 5-15 min worlds +60-100 false alarms)
    before = None if cont is None else np.where(cont, np.inf, 0.0)[:, None]
    out.joint_tail = FeatureTails.fit(d, before, tails=not heavy, spaced=False)
    out.units = out.joint_tail(d)
    if heavy and len(smooth_cols):  # the smoothed z vector: a distance of its own
        b = kept_rows(cache, "smooth", tuple(smooth_cols), key, window,
                      lambda w: bounded(w[:, smooth_cols]))  # once: fit and distances
        out.smooth = JointDistance.of_bounded(b, smooth_cols)
        d = out.smooth.bounded_distance(b if kept is None else b[kept])[:, None]
        out.smooth_tail = FeatureTails.fit(d, before, tails=False, spaced=False)
        out.smooth_units = out.smooth_tail(d)
        out.smooth_null = TailCalibrator.fit(out.smooth_units, heavy_tails=True, continues=cont)
    if heavy:  # in the max of body-only units the distance would drown: own null
        out.joint_null = TailCalibrator.fit(out.units, heavy_tails=True, continues=cont)
    return out
