"""Largest robust z among the features: no model, fully transparent."""

from __future__ import annotations

from typing import Any

import numpy as np

from telecom_nb.detectors.calendar_params import CalendarParams
from telecom_nb.detectors.windowed import WindowedDetector
from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.pipeline import KpiFeatures


class RobustZDetector(CalendarParams, WindowedDetector):
    """Raw score = max |z| over the features; "retraining" only refreshes the calibration."""

    name = "robust_z"

    def _make_features(self) -> FeatureExtractor:
        return KpiFeatures(**self._calendar())

    def _fit_model(self, window: np.ndarray, params: dict[str, Any]) -> None:
        return None

    def _raw_score(self, model: None, features: np.ndarray) -> np.ndarray:
        if features.shape[1] == 0:
            return np.zeros(len(features))
        return np.abs(features).max(axis=1)  # calibrated against its robust null
