"""Isolation Forest on features that remove the expected (the default detector)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from telecom_nb.detectors.calendar_params import CalendarParams
from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.detectors.flat_forest import FlatForest
from telecom_nb.detectors.forest_fit import fit_isolation_forest
from telecom_nb.detectors.forest_params import ForestParams
from telecom_nb.detectors.windowed import WindowedDetector
from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.pipeline import KpiFeatures

#: rows of the window used to calibrate the two parts against each other
PART_CALIBRATION_ROWS = 20_000
#: the smallest tail scale a feature's |z| is given: the one a unit normal's body implies
#: (its |z| quantiles 0.674 -> 1.150 from 50 to 75 %). A feature that is almost always 0
#: (availability at 100 %) must not make every small move extreme.
Z_SCALE_FLOOR = (1.1503 - 0.6745) / math.log(2.0)


def bounded(features: np.ndarray) -> np.ndarray:
    """Signed ``log1p(|z|)``: keeps the order, tames the heavy tails the forest splits on.

    On raw z-scores a few huge cold-start values take most random splits and every
    ordinary deviation then looks alike; on a log scale a 4x drop still stands out.
    """
    return np.sign(features) * np.log1p(np.abs(features))


@dataclass(frozen=True)
class FeatureTails:
    """Each feature's |z| in units of its own tail: ``(|z| - q75) / scale``.

    Features differ in how wide they run: a peer z counts only as far as the sector's
    own z confirms, a persistence z averages noise away. On one max-|z| scale, 4 on
    such a feature weighs like 4 on the widest one and the widest sets the bar for
    all; in units of its own exponential tail (fitted to the central part, as the
    calibration does), each feature speaks with its own significance.
    """

    anchor: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, features: np.ndarray) -> FeatureTails:
        a = np.abs(features)
        q50, q75 = np.quantile(a, [0.5, 0.75], axis=0)
        return cls(q75, np.maximum((q75 - q50) / np.log(2.0), Z_SCALE_FLOOR))

    def __call__(self, features: np.ndarray) -> np.ndarray:
        if features.shape[1] == 0:
            return np.zeros(len(features))
        return ((np.abs(features) - self.anchor) / self.scale).max(axis=1)


@dataclass(frozen=True)
class ForestAndZ:
    """A forest plus the calibrations that put its score and the max |z| on one scale."""

    forest: FlatForest  # the fitted IsolationForest, scored from flat arrays (same numbers)
    forest_null: TailCalibrator
    tails: FeatureTails
    z_null: TailCalibrator


class IsolationForestDetector(CalendarParams, ForestParams, WindowedDetector):
    """sklearn ``IsolationForest`` on bounded seasonal/relation/peer/change z-scores.

    The features already say "unlike itself at this time of day", so the forest
    only has to learn which *combinations* of deviations are rare. A forest isolates
    everything beyond its training range at about the same depth, so a single KPI far
    out is better told by its own z: the raw score is the stronger of the two
    evidences, each as ``-log10(p)`` under its robust null (the minimum p-value).
    """

    name = "iforest"

    def _make_features(self) -> FeatureExtractor:
        return KpiFeatures(**self._calendar())

    def _fit_params(self) -> dict[str, Any]:
        return {"random_state": self.random_state, "n_estimators": self.n_estimators,
                "heavy_tails": self._heavy_tails()}

    def _fit_model(self, window: np.ndarray, params: dict[str, Any]) -> ForestAndZ:
        params = dict(params)
        heavy = params.pop("heavy_tails", False)  # the parts' nulls, as the final one's
        forest = FlatForest.of(fit_isolation_forest(bounded(window), **params))
        ref = window
        if len(ref) > PART_CALIBRATION_ROWS:
            pick = np.random.default_rng(params["random_state"]).choice(
                len(ref), PART_CALIBRATION_ROWS, replace=False)
            ref = ref[pick]
        tails = FeatureTails.fit(ref)
        return ForestAndZ(
            forest, TailCalibrator.fit(-forest.score_samples(bounded(ref)), heavy_tails=heavy),
            tails, TailCalibrator.fit(tails(ref), heavy_tails=heavy))

    def _raw_score(self, model: ForestAndZ, features: np.ndarray) -> np.ndarray:
        forest = model.forest_null(-model.forest.score_samples(bounded(features)))
        return np.maximum(forest, model.z_null(model.tails(features)))
