"""The seed product's detector, kept as a named baseline to measure against.

Isolation Forest on raw KPIs, contamination 0.01, rolling window of 2000 samples,
warm-up on the first 5 batches, refit every 60 s of data time, flags by the
forest's own ``predict``. It flags what is unusual *for the fleet* (big sectors,
daily peaks and troughs): the behaviour the new detectors replace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from telecom_nb.detectors.fit_inputs import Fitted
from telecom_nb.detectors.forest_params import ForestParams
from telecom_nb.detectors.windowed import WindowedDetector
from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.raw import RawKpis

if TYPE_CHECKING:  # imported where the baseline fits: a run of another detector skips it
    from sklearn.ensemble import IsolationForest


class SeedDetector(ForestParams, WindowedDetector):
    """Raw-KPI Isolation Forest flagged by ``predict`` (the seed's behaviour)."""

    name = "seed"
    min_fit_rows = 1

    def __init__(self, **params: Any) -> None:
        params.setdefault("contamination", 0.01)
        params.setdefault("window_size", 2000)
        params.setdefault("warmup_batches", 5)
        params.setdefault("retrain_interval", "60s")
        super().__init__(**params)

    def _make_features(self) -> FeatureExtractor:
        return RawKpis()

    def _remember(self, x: np.ndarray, rows: np.ndarray | None = None) -> None:
        # the seed kept every sample in a plain rolling window (no per-batch sampling)
        from telecom_nb.detectors.window import SampleWindow

        if self._window is None or self._window.capacity != self.window_size:
            old = self._window
            self._window = SampleWindow(self.window_size, x.shape[1])
            if old is not None:
                self._window.append(old.snapshot())
        self._window.append(x)

    def _due(self, now) -> bool:
        if self.batches_seen_ < self.warmup_batches or self._window is None:
            return False
        return self._last_attempt is None or now - self._last_attempt >= self.retrain_interval

    def _fit_params(self) -> dict[str, Any]:
        return {"n_estimators": self.n_estimators, "contamination": self.contamination,
                "random_state": self.random_state}

    def _fit_model(self, window: np.ndarray, params: dict[str, Any]) -> IsolationForest:
        from sklearn.ensemble import IsolationForest

        return IsolationForest(**params).fit(window)

    def _raw_score(self, model: IsolationForest, features: np.ndarray) -> np.ndarray:
        return -model.score_samples(features)

    def _decision(self, fitted: Fitted | None, raw: np.ndarray | None,
                  score: np.ndarray) -> np.ndarray:
        # the seed's verdict: predict() == -1  <=>  score_samples < offset_  <=>  raw > -offset_
        if fitted is None:
            return np.zeros(len(score), dtype=bool)
        return raw > -fitted.model.offset_

    def _fit_extra(self, window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        med = np.median(window, axis=0)
        mad = np.median(np.abs(window - med), axis=0) * 1.4826
        return med, np.maximum(mad, 1e-9)

    def _explain(self, fitted: Fitted | None, features: np.ndarray) -> np.ndarray:
        # robust z of each raw KPI against the training window: what "unusual" meant here
        if fitted is None or fitted.extra is None:
            return np.zeros_like(features)
        med, mad = fitted.extra
        return np.minimum(np.abs(features - med) / mad, 1e6)
