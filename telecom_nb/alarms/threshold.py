"""Thresholding, separate from scoring: scores are calibrated, so one rule fits all.

A calibrated score ``s = -log10(p)`` crosses ``-log10(rate)`` for a fraction ``rate``
of rows like the reference ones: the target alarm rate *is* the threshold. A detector
with a decision rule of its own (the seed's ``IsolationForest.predict``, a warm-up that
flags nothing, a plug-in) says so by filling ``Scores.is_anomaly``; the rule here then
keeps its verdict.
"""

from __future__ import annotations

import math

import numpy as np

from telecom_nb.detectors.base import Scores
from telecom_nb.detectors.explain import top_kpis


def threshold_for_rate(rate: float) -> float:
    """Score threshold that flags about ``rate`` of ordinary rows."""
    return -math.log10(rate)


def effective_threshold(contamination: float, threshold: float | None) -> float:
    """The explicit ``threshold`` if the user set one, else the target alarm rate's."""
    return threshold if threshold is not None else threshold_for_rate(contamination)


def flag(score: np.ndarray, threshold: float) -> np.ndarray:
    return np.asarray(score) >= threshold


def decide(scores: Scores, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """``is_anomaly`` and ``top_kpi`` of every row.

    The detector's own verdict when it gave one; else ``score >= threshold`` and, for a
    flagged row, the KPI that contributed most.
    """
    n = len(scores.score)
    if scores.is_anomaly is not None:
        flags = np.asarray(scores.is_anomaly, dtype=bool)
        top = scores.top_kpi
        if top is None:
            top = _top(scores, flags)
        return flags, np.asarray(top, dtype=object)
    flags = flag(np.asarray(scores.score, dtype=np.float64), threshold)
    return flags, _top(scores, flags) if n else np.empty(0, dtype=object)


def _top(scores: Scores, flags: np.ndarray) -> np.ndarray:
    contrib = scores.contributions
    if contrib is None or contrib.shape[1] == 0:
        return np.full(len(flags), "", dtype=object)
    kpis = tuple(str(c) for c in contrib.columns)
    return top_kpis(contrib.to_numpy(dtype=np.float64), kpis, flags)
