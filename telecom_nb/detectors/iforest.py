"""Isolation Forest on features that remove the expected (the default detector)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from telecom_nb.detectors import score_kernels
from telecom_nb.detectors.calendar_params import CalendarParams
from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.flat_forest import FlatForest
from telecom_nb.detectors.forest_fit import fit_isolation_forest
from telecom_nb.detectors.forest_params import ForestParams
from telecom_nb.detectors.windowed import WindowedDetector
from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.pipeline import KpiFeatures

#: rows of the window used to calibrate the two parts against each other
PART_CALIBRATION_ROWS = 20_000


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

    def _make_features(self) -> FeatureExtractor:
        return KpiFeatures(**self._calendar())

    def _fit_params(self) -> dict[str, Any]:
        return {"random_state": self.random_state, "n_estimators": self.n_estimators,
                "heavy_tails": self._heavy_tails()}

    def _fit_model(self, window: np.ndarray, params: dict[str, Any]) -> ForestAndZ:
        params = dict(params)
        heavy = params.pop("heavy_tails", False)  # the parts' nulls, as the final one's
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
        return ForestAndZ(
            forest, TailCalibrator.fit(-forest.score_samples(bounded(ref)), heavy_tails=heavy),
            tails, TailCalibrator.fit(tails(ref), heavy_tails=heavy))

    def _raw_score(self, model: ForestAndZ, features: np.ndarray) -> np.ndarray:
        x = score_kernels.bounded32(features)  # what the forest compares (float32), once
        forest = model.forest_null(-model.forest.score_samples(
            bounded(features) if x is None else x))
        return np.maximum(forest, model.z_null(model.tails(features)))
