"""Isolation Forest on features that remove the expected (the default detector)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from traitlets import Bool

from telecom_nb.detectors.base import RetrainJob
from telecom_nb.detectors.calendar_params import CalendarParams
from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.flat_forest import FlatForest
from telecom_nb.detectors.forest_fit import fit_isolation_forest
from telecom_nb.detectors.forest_params import ForestParams
from telecom_nb.detectors.joint import JointDistance
from telecom_nb.detectors.windowed import WindowedDetector
from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.pipeline import KpiFeatures
from telecom_nb.params import param_trait

#: rows of the window used to calibrate the two parts against each other
PART_CALIBRATION_ROWS = 20_000
#: data time before the joint distance is fitted: deviations only have a stable
#: covariance once every time-of-day slot has a baseline of its own
JOINT_AFTER = pd.Timedelta("1D")


def bounded(features: np.ndarray) -> np.ndarray:
    """Signed ``log1p(|z|)``: keeps the order, tames the heavy tails the forest splits on.

    On raw z-scores a few huge cold-start values take most random splits and every
    ordinary deviation then looks alike; on a log scale a 4x drop still stands out.
    """
    return np.sign(features) * np.log1p(np.abs(features))


@dataclass(frozen=True)
class ForestAndZ:
    """A forest plus the calibrations that put its score and the max |z| on one scale."""

    forest: FlatForest  # the fitted IsolationForest, scored from flat arrays (same numbers)
    forest_null: TailCalibrator
    tails: FeatureTails
    z_null: TailCalibrator
    joint: JointDistance | None = None  # several KPIs' deviations together
    joint_tail: FeatureTails | None = None  # the distance's own tail, as a feature's
    joint_null: TailCalibrator | None = None

    def joint_score(self, features: np.ndarray) -> np.ndarray:
        """The joint part: ``-log10(p)`` of the distance in units of its own tail."""
        return self.joint_null(self.joint_tail(self.joint.distance(features)[:, None]))


class IsolationForestDetector(CalendarParams, ForestParams, WindowedDetector):
    """sklearn ``IsolationForest`` on bounded seasonal/relation/peer/change z-scores.

    The features already say "unlike itself at this time of day", so the forest
    only has to learn which *combinations* of deviations are rare. A forest isolates
    everything beyond its training range at about the same depth, so a single KPI far
    out is better told by its own z: the raw score is the stronger of the two
    evidences, each as ``-log10(p)`` under its robust null (the minimum p-value).
    """

    name = "iforest"
    keeps_previous = True  # each feature's tail is fitted declustered

    joint = param_trait(Bool(True, help=(
        "also score how far the KPIs' seasonal and persistent deviations are together "
        "(a robust Mahalanobis distance; needs 2+ KPIs)")))

    _fit_time: pd.Timestamp | None = None

    def _make_features(self) -> FeatureExtractor:
        return KpiFeatures(**self._calendar())

    def _joint_columns(self) -> tuple[int, ...]:
        """The per-KPI seasonal and persistence z columns (none for fewer than 2 KPIs)."""
        names = self.features_.feature_names
        kpis = set(self.kpis_)
        if not self.joint or len(kpis) < 2 or self.first_time_ is None:
            return ()
        if self._fit_time is None or self._fit_time - self.first_time_ < JOINT_AFTER:
            return ()
        return tuple(i for i, name in enumerate(names)
                     if name.rpartition(":")[0] in kpis
                     and name.endswith((":season_z", ":persist_z")))

    def _make_job(self, now: pd.Timestamp) -> RetrainJob:
        self._fit_time = now  # the data time of the fit asked for (read by _joint_columns)
        return super()._make_job(now)

    def _fit_params(self) -> dict[str, Any]:
        return {"random_state": self.random_state, "n_estimators": self.n_estimators,
                "heavy_tails": self._heavy_tails(), "joint_columns": self._joint_columns()}

    def _fit_model(self, window: np.ndarray, params: dict[str, Any]) -> ForestAndZ:
        params = dict(params)
        heavy = params.pop("heavy_tails", False)  # the parts' nulls, as the final one's
        columns = params.pop("joint_columns", ())
        previous = params.pop("previous", None)
        forest = FlatForest.of(fit_isolation_forest(bounded(window), **params))
        ref = window
        if len(ref) > PART_CALIBRATION_ROWS:
            pick = np.random.default_rng(params["random_state"]).choice(
                len(ref), PART_CALIBRATION_ROWS, replace=False)
            ref = ref[pick]
            previous = None if previous is None else previous[pick]
        # a fleet's features get their own tails; one series' shoulder is read by the nulls
        tails = FeatureTails.fit(ref, previous, tails=not heavy)
        joint = joint_tail = joint_null = None
        if len(columns):  # a part of its own: in the max of all features' units it would drown
            joint = JointDistance.fit(window, np.asarray(columns))
            d = joint.distance(ref)[:, None]
            before = None
            if previous is not None:  # declustered like a feature's tail
                before = joint.distance(previous)[:, None]
                before[np.isnan(previous).all(axis=1)] = np.nan
            joint_tail = FeatureTails.fit(d, before, tails=not heavy)
            joint_null = TailCalibrator.fit(joint_tail(d), heavy_tails=heavy)
        return ForestAndZ(
            forest, TailCalibrator.fit(-forest.score_samples(bounded(ref)), heavy_tails=heavy),
            tails, TailCalibrator.fit(tails(ref), heavy_tails=heavy),
            joint, joint_tail, joint_null)

    def _raw_score(self, model: ForestAndZ, features: np.ndarray) -> np.ndarray:
        forest = model.forest_null(-model.forest.score_samples(bounded(features)))
        raw = np.maximum(forest, model.z_null(model.tails(features)))
        if model.joint is not None:
            raw = np.maximum(raw, model.joint_score(features))
        return raw
