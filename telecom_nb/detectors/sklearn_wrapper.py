"""Any sklearn-style outlier estimator (``fit`` + ``score_samples``) on our features."""

from __future__ import annotations

from typing import Any

import numpy as np
from traitlets import Any as AnyTrait
from traitlets import validate

from telecom_nb.detectors.windowed import WindowedDetector
from telecom_nb.errors import ParameterError
from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.pipeline import KpiFeatures
from telecom_nb.params import param_trait


class SklearnDetector(WindowedDetector):
    """Wraps e.g. ``LocalOutlierFactor(novelty=True)``; higher score = more anomalous.

    The estimator is cloned at every retrain, so the one passed in is never fitted.
    """

    name = "sklearn"

    estimator = param_trait(AnyTrait(None, help="unfitted sklearn outlier estimator"))

    def __init__(self, estimator: Any = None, **params: Any) -> None:
        super().__init__(estimator=estimator, **params)

    @validate("estimator")
    def _v_estimator(self, proposal):
        est = proposal["value"]
        if est is None or not (hasattr(est, "fit") and hasattr(est, "score_samples")):
            raise ParameterError(
                "estimator must have fit and score_samples (e.g. "
                f"LocalOutlierFactor(novelty=True), IsolationForest()); got {est!r}"
            )
        return est

    def _make_features(self) -> FeatureExtractor:
        return KpiFeatures()

    def _fit_params(self) -> dict[str, Any]:
        return {"estimator": self.estimator}

    def _fit_model(self, window: np.ndarray, params: dict[str, Any]) -> Any:
        from sklearn.base import clone  # here: a run of another detector imports no sklearn

        return clone(params["estimator"]).fit(window)

    def _raw_score(self, model: Any, features: np.ndarray) -> np.ndarray:
        return -np.asarray(model.score_samples(features), dtype=np.float64)
