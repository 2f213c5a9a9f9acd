"""Detectors by name, for the CLI, the settings panel and notebooks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telecom_nb.detectors.base import Detector
from telecom_nb.detectors.iforest import IsolationForestDetector
from telecom_nb.detectors.robust_z import RobustZDetector
from telecom_nb.detectors.seed import SeedDetector
from telecom_nb.detectors.sklearn_wrapper import SklearnDetector
from telecom_nb.errors import ParameterError

DEFAULT_DETECTOR = "iforest"


def _lof(**params: Any) -> SklearnDetector:
    from sklearn.neighbors import LocalOutlierFactor

    return SklearnDetector(LocalOutlierFactor(novelty=True), **params)


_FACTORIES: dict[str, Callable[..., Detector]] = {
    "iforest": IsolationForestDetector,
    "robust_z": RobustZDetector,
    "seed": SeedDetector,
    "lof": _lof,
}


def available_detectors() -> list[str]:
    """Names accepted by :func:`make_detector` (the default first)."""
    return [DEFAULT_DETECTOR, *sorted(n for n in _FACTORIES if n != DEFAULT_DETECTOR)]


def make_detector(name: str = DEFAULT_DETECTOR, **params: Any) -> Detector:
    """A new detector by name, with parameters validated as on assignment."""
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ParameterError(
            f"unknown detector {name!r}; available: {', '.join(available_detectors())}"
        ) from None
    return factory(**params)
