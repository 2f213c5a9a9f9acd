"""Isolation Forest on features that remove the expected (the default detector)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.ensemble import IsolationForest
from traitlets import Int, validate

from telecom_nb.detectors.windowed import WindowedDetector
from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.pipeline import KpiFeatures
from telecom_nb.params import check_range, param_trait


class IsolationForestDetector(WindowedDetector):
    """sklearn ``IsolationForest`` on seasonal/relation/peer/change z-scores.

    The features already say "unlike itself at this time of day", so the forest
    only has to learn which combinations of such deviations are rare.
    """

    name = "iforest"

    n_estimators = param_trait(Int(100, help="trees in the forest"))

    @validate("n_estimators")
    def _v_n_estimators(self, proposal):
        check_range("n_estimators", proposal["value"], 1, 5000)
        return proposal["value"]

    def _make_features(self) -> FeatureExtractor:
        return KpiFeatures()

    def _fit_params(self) -> dict[str, Any]:
        return {"random_state": self.random_state, "n_estimators": self.n_estimators}

    def _fit_model(self, window: np.ndarray, params: dict[str, Any]) -> IsolationForest:
        return IsolationForest(**params).fit(window)

    def _raw_score(self, model: IsolationForest, features: np.ndarray) -> np.ndarray:
        return -model.score_samples(features)
