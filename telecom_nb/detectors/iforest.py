"""Isolation Forest on features that remove the expected (the default detector)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from traitlets import Bool

from telecom_nb.detectors import score_kernels
from telecom_nb.detectors.base import RetrainJob
from telecom_nb.detectors.calendar_params import CalendarParams
from telecom_nb.detectors.calibration import TailCalibrator, soft_cap
from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.flat_forest import FlatForest
from telecom_nb.detectors.forest_fit import fit_isolation_forest
from telecom_nb.detectors.forest_params import ForestParams
from telecom_nb.detectors.joint import JointDistance
from telecom_nb.detectors.second_kpi import SecondKpi, kpi_groups
from telecom_nb.detectors.windowed import WindowedDetector
from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.pipeline import KpiFeatures
from telecom_nb.features.range_novelty import log_p_of_z
from telecom_nb.params import param_trait

#: rows of the window used to calibrate the two parts against each other
PART_CALIBRATION_ROWS = 20_000
#: a row continues a cluster when its sector's previous max |z| units were beyond this
#: quantile of the window's (the gate each feature's tail is declustered with)
CLUSTER_GATE = 0.95
#: data time before the joint distance is fitted: deviations only have a stable
#: covariance once every time-of-day slot has a baseline of its own
JOINT_AFTER = pd.Timedelta("1D")


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


def continues(tails: FeatureTails, ref: np.ndarray,
              previous: np.ndarray | None) -> np.ndarray | None:
    """Rows whose sector's previous row was already far (max units beyond the gate)."""
    if previous is None:
        return None
    before = tails(np.nan_to_num(previous, nan=0.0))  # |z| of the previous tick, 0 = none
    return before > np.quantile(tails(ref), CLUSTER_GATE)


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

    def joint_units(self, features: np.ndarray) -> np.ndarray:
        """The joint distance in units of its own tail (as a feature's |z|)."""
        return self.joint_tail(self.joint.distance(features)[:, None])


class IsolationForestDetector(CalendarParams, ForestParams, WindowedDetector):
    """sklearn ``IsolationForest`` on bounded seasonal/relation/peer/change z-scores.

    The features already say "unlike itself at this time of day", so the forest
    only has to learn which *combinations* of deviations are rare. A forest isolates
    everything beyond its training range at about the same depth, so a single KPI far
    out is better told by its own z. Several KPIs moving together moderately (traffic
    collapsing with modulation at zero, an incident moving a dozen service KPIs) is told
    by neither: the joint part (:mod:`~telecom_nb.detectors.joint`) adds them up. The raw
    score is the strongest of these evidences, each as ``-log10(p)`` under its robust null
    (the minimum p-value).
    """

    name = "iforest"
    keeps_previous = True  # each feature's tail is fitted declustered

    joint = param_trait(Bool(True, help=(
        "also score how far the KPIs' seasonal and persistent deviations are together "
        "(a robust Mahalanobis distance; needs 2+ KPIs) and, in a fleet, the second "
        "KPI far from its peers")))

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

    def _second_groups(self) -> tuple[tuple[int, ...], ...]:
        """Per KPI its peer-relative feature columns (none without ``joint``)."""
        if not self.joint:
            return ()
        return kpi_groups(list(self.features_.feature_names), list(self.kpis_))

    def _make_job(self, now: pd.Timestamp) -> RetrainJob:
        self._fit_time = now  # the data time of the fit asked for (read by _joint_columns)
        return super()._make_job(now)

    def _fit_params(self) -> dict[str, Any]:
        return {"random_state": self.random_state, "n_estimators": self.n_estimators,
                "heavy_tails": self._heavy_tails(), "joint_columns": self._joint_columns(),
                "novelty_columns": self._novelty_columns(),
                "second_groups": self._second_groups()}

    def _novelty_columns(self) -> tuple[int, ...]:
        """Range-novelty z columns, read as their own p-value for a few series."""
        if not self._heavy_tails():
            return ()
        return tuple(i for i, name in enumerate(self.features_.feature_names)
                     if name.endswith(":novelty_z"))

    def _fit_model(self, window: np.ndarray, params: dict[str, Any]) -> ForestAndZ:
        params = dict(params)
        heavy = params.pop("heavy_tails", False)  # the parts' nulls, as the final one's
        columns = params.pop("joint_columns", ())
        novelty = params.pop("novelty_columns", ())
        groups = params.pop("second_groups", ())
        previous = params.pop("previous", None)
        # the forest reads float32: the fit and the window's scores take bounded32 (same)
        forest = FlatForest.of(fit_isolation_forest(forest_input(window), **params))
        ref = window
        if len(ref) > PART_CALIBRATION_ROWS:
            pick = np.random.default_rng(params["random_state"]).choice(
                len(ref), PART_CALIBRATION_ROWS, replace=False)
            ref = ref[pick]
            previous = None if previous is None else previous[pick]
        # a fleet's features get their own tails; one series' shoulder is read by the nulls
        tails = FeatureTails.fit(ref, previous, tails=not heavy)
        cont = continues(tails, ref, previous)
        joint = joint_tail = joint_null = None
        if len(columns):
            joint = JointDistance.fit(window, np.asarray(columns))
            d = joint.distance(ref)[:, None]
            # declustered like a feature's tail (``previous`` holds |z|: no distance of its
            # own, so a row continues where the sector was already far on any feature); its
            # deep tail is every KPI's rare normal excursions at once (availability's dips):
            # no spacing rule (it made them extreme: 5-15 min worlds +60-100 false alarms)
            before = None if cont is None else np.where(cont, np.inf, 0.0)[:, None]
            joint_tail = FeatureTails.fit(d, before, tails=not heavy, spaced=False)
            if heavy:  # in the max of body-only units the distance would drown: own null
                joint_null = TailCalibrator.fit(joint_tail(d), heavy_tails=True, continues=cont)
        second = None if heavy else SecondKpi.fit(tails, ref, groups, cont)
        zref = tails(ref)
        if joint is not None and not heavy:
            zref = np.maximum(zref, joint_tail(d))
        return ForestAndZ(
            forest, TailCalibrator.fit(-forest.score_samples(forest_input(ref)), heavy_tails=heavy,
                                       continues=cont),
            tails, TailCalibrator.fit(zref, heavy_tails=heavy, continues=cont),
            joint, joint_tail, joint_null,
            np.asarray(novelty, dtype=np.intp) if len(novelty) else None, second)

    def _direct_score(self, model: ForestAndZ, features: np.ndarray) -> np.ndarray | None:
        if model.novelty is None:
            return None
        # the strongest of 2 x k one-sided records: Bonferroni over them (a record of one of
        # 48 KPIs is 96 times likelier than of one)
        log_p = log_p_of_z(features[:, model.novelty]).max(axis=1)
        return soft_cap(np.maximum(log_p - math.log10(2 * len(model.novelty)), 0.0))

    def _continues(self, model: ForestAndZ, ref: np.ndarray,
                   previous: np.ndarray | None) -> np.ndarray | None:
        return continues(model.tails, ref, previous)

    def _raw_score(self, model: ForestAndZ, features: np.ndarray) -> np.ndarray:
        forest = model.forest_null(-model.forest.score_samples(forest_input(features)))
        z = model.tails(features)
        if model.joint is not None and model.joint_null is None:  # a fleet: one more feature
            z = np.maximum(z, model.joint_units(features))
        raw = np.maximum(forest, model.z_null(z))
        if model.joint_null is not None:  # a few series: a part of its own
            raw = np.maximum(raw, model.joint_null(model.joint_units(features)))
        if model.second is not None:
            raw = np.maximum(raw, model.second(features))
        return raw
