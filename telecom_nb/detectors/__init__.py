"""Detectors: score a batch (no learning), learn from it, retrain off the loop."""

from telecom_nb.detectors.base import Detector, RetrainJob, Scores
from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.detectors.iforest import IsolationForestDetector
from telecom_nb.detectors.registry import DEFAULT_DETECTOR, available_detectors, make_detector
from telecom_nb.detectors.robust_z import RobustZDetector
from telecom_nb.detectors.seed import SeedDetector
from telecom_nb.detectors.sklearn_wrapper import SklearnDetector
from telecom_nb.detectors.windowed import WindowedDetector

__all__ = [
    "DEFAULT_DETECTOR",
    "Detector",
    "IsolationForestDetector",
    "RetrainJob",
    "RobustZDetector",
    "Scores",
    "SeedDetector",
    "SklearnDetector",
    "TailCalibrator",
    "WindowedDetector",
    "available_detectors",
    "make_detector",
]
