"""The fitted model of the default detector: a forest plus the calibrations that put its
score and every other part on one scale, and what a fit computed on its calibration rows.

Kept apart from :mod:`~telecom_nb.detectors.iforest` (which decides what to fit and how to
combine the parts) because it is plain data: a retrain builds one, scoring reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from telecom_nb.detectors import score_kernels
from telecom_nb.detectors.area_part import AreaPart
from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.detectors.drift_part import DriftPart
from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.flat_forest import FlatForest
from telecom_nb.detectors.held_part import HeldNull
from telecom_nb.detectors.joint import JointDistance
from telecom_nb.detectors.kpi_families import KpiFamilies
from telecom_nb.detectors.persist_part import PersistPart
from telecom_nb.detectors.rate_part import RatePart
from telecom_nb.detectors.run_part import RunPart
from telecom_nb.detectors.second_kpi import SecondKpi
from telecom_nb.detectors.tail_parts import TailPlan
from telecom_nb.detectors.views_part import ViewsPart


def bounded(features: np.ndarray) -> np.ndarray:
    """Signed ``log1p(|z|)``: keeps the order, tames the heavy tails the forest splits on.

    On raw z-scores a few huge cold-start values take most random splits and every
    ordinary deviation then looks alike; on a log scale a 4x drop still stands out.
    """
    return np.sign(features) * np.log1p(np.abs(features))


def forest_input(features: np.ndarray) -> np.ndarray:
    """``bounded(features)`` as the forest compares it (float32, one pass when compiled);
    the forest's fit and scoring cast to float32 anyway, so the trees and scores are the
    same as from ``bounded``."""
    x = score_kernels.bounded32(features)
    return bounded(features) if x is None else x


def columns_of(features: np.ndarray, columns: np.ndarray | None) -> np.ndarray:
    """``features[:, columns]`` as :func:`forest_input` reads it fastest: the whole matrix
    (None), a view where they are the first ones (sorted, unique: 0..n-1), else a row-major
    copy (``np.take``; the fancy index's copy is column-major, and ``bounded32``, which
    reads rows in place, copied it again: ~2 ms of a one-series retrain's 20k-row window)."""
    if columns is None:
        return features
    if len(columns) and columns[-1] == len(columns) - 1:
        return features[:, : len(columns)]
    return np.take(features, columns, axis=1)


@dataclass(frozen=True)
class FitReference:
    """What a fit computed on its calibration rows: the combined score's calibration
    reads the same rows again (a retrain's largest cost after the fit: the forest's
    walk, the bounded input, every feature's tail units)."""

    ref: np.ndarray
    previous: np.ndarray | None
    forest_raw: np.ndarray  # -score_samples
    z: np.ndarray  # max units, with the joint distance's in a fleet
    joint_units: np.ndarray | None
    continues: np.ndarray | None
    smooth_units: np.ndarray | None = None
    #: the raw max of every part but the persistence one, when the fit read it for the
    #: persistence nulls' trim (the calibration then adds that part only)
    others: np.ndarray | None = None
    #: the window and predecessors as given, when the fit left marked rows out of ``ref``
    #: (:mod:`.row_mark`): the calibration reads every row, ``ref``'s are rows ``kept``
    whole: tuple[np.ndarray, np.ndarray | None] | None = None
    kept: np.ndarray | None = None


@dataclass(frozen=True)
class ForestAndZ:
    """A forest plus the calibrations that put its score and the max |z| on one scale."""

    forest: FlatForest  # the fitted IsolationForest, scored from flat arrays (same numbers)
    forest_null: TailCalibrator
    tails: FeatureTails
    z_null: TailCalibrator
    joint: JointDistance | None = None  # several KPIs' deviations together
    joint_tail: FeatureTails | None = None  # the distance's own tail, as a feature's
    joint_null: TailCalibrator | None = None  # a few series: the joint part's own null
    novelty: np.ndarray | None = None  # a few series: range-novelty columns read directly
    second: SecondKpi | None = None  # a fleet: two KPIs far from their peers at once
    n_base: int | None = None  # feature columns read by the parts above (the rest: shift)
    shift: np.ndarray | None = None  # a few series: level-shift columns, read directly
    shift_null: tuple[TailCalibrator | None, ...] | None = None  # each one's own null
    families: KpiFamilies | None = None  # a fleet: two uncorrelated KPI families off at once
    smooth: JointDistance | None = None  # a few series: the smoothed z vector's distance
    smooth_tail: FeatureTails | None = None  # ... in units of its own tail
    smooth_null: TailCalibrator | None = None  # ... and a part of its own
    #: the columns the forest reads (None: all base ones; a few series: not the area's)
    forest_columns: np.ndarray | None = None
    run: RunPart | None = None  # a fleet: a KPI off for every tick of the last hour
    #: a fleet: a load dependent's residual held for the hour, on its own null (run_part)
    held_run: RunPart | None = None
    area: AreaPart | None = None  # a fleet: two KPI families off with the sector's area
    persist: PersistPart | None = None  # hourly fleets: a KPI held off for hours
    rates: RatePart | None = None  # hourly fleets: a ratio KPI on its own deep tail
    drift: DriftPart | None = None  # fleets: a KPI held moderately off for a day
    views: ViewsPart | None = None  # fleets: a KPI off on two of its own views at once
    record: np.ndarray | None = None  # a few series: level-record columns, read directly
    held: np.ndarray | None = None  # a few series: held-level columns (features/held_level)
    held_null: HeldNull | None = None  # ... and their null (a part of the shift part)
    #: the fit's :class:`FitReference`, taken (and dropped) by the detector's calibration
    fit_ref: list = field(default_factory=lambda: [None], compare=False, repr=False)

    @property
    def tail_plan(self) -> TailPlan | None:
        """The one pass of the tail-units parts (built on first use, not state: a
        snapshot's restored model builds its own; None: each part computes its own)."""
        try:
            return self.__dict__["_tail_plan"]
        except KeyError:
            plan = TailPlan.of(self)
            object.__setattr__(self, "_tail_plan", plan)
            return plan

    def base(self, features: np.ndarray) -> np.ndarray:
        """The columns the forest, the tails and the joint part read."""
        return features if self.n_base is None else features[:, : self.n_base]

    def forest_view(self, features: np.ndarray) -> np.ndarray:
        """The base columns the forest reads: a view where they are the first ones (a
        fleet's, all but the run columns, which come last), else a copy."""
        return columns_of(features, self.forest_columns)

    def joint_units(self, features: np.ndarray) -> np.ndarray:
        """The joint distance in units of its own tail (as a feature's |z|); ``features``:
        whole rows (a few series' distance reads the level-shift columns too)."""
        return self.joint_tail(self.joint.distance(features)[:, None])

    def smooth_units(self, features: np.ndarray) -> np.ndarray | None:
        """The smoothed z vector's distance in units of its own tail (None: no part)."""
        if self.smooth is None:
            return None
        return self.smooth_tail(self.smooth.distance(features)[:, None])
