"""Thresholding, separate from scoring: scores are calibrated, so one rule fits all.

A calibrated score ``s = -log10(p)`` crosses ``-log10(rate)`` for a fraction
``rate`` of rows like the reference ones: the target alarm rate *is* the threshold.
"""

from __future__ import annotations

import math

import numpy as np


def threshold_for_rate(rate: float) -> float:
    """Score threshold that flags about ``rate`` of ordinary rows."""
    return -math.log10(rate)


def effective_threshold(contamination: float, threshold: float | None) -> float:
    """The explicit ``threshold`` if the user set one, else the target alarm rate's."""
    return threshold if threshold is not None else threshold_for_rate(contamination)


def flag(score: np.ndarray, threshold: float) -> np.ndarray:
    return np.asarray(score) >= threshold
