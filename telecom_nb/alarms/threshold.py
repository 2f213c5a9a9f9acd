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
from telecom_nb.detectors.explain import top_kpi_codes


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
    flags, top, _ = decide_coded(scores, threshold)
    return flags, top


def decide_coded(scores: Scores, threshold: float
                 ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """:func:`decide`, plus ``(labels, codes)`` with ``top == labels[codes]`` when the
    top KPIs were chosen here (None when the detector gave its own): a column of 100k
    names is then built from a few strings, not from 100k objects."""
    n = len(scores.score)
    if scores.is_anomaly is not None:
        flags = np.asarray(scores.is_anomaly, dtype=bool)
        top = scores.top_kpi
        if top is None:
            labels, codes = _top_codes(scores, flags)
            return flags, labels[codes], (labels, codes)
        return flags, np.asarray(top, dtype=object), None
    flags = flag(np.asarray(scores.score, dtype=np.float64), threshold)
    if not n:
        return flags, np.empty(0, dtype=object), None
    labels, codes = _top_codes(scores, flags)
    return flags, labels[codes], (labels, codes)


def _top_codes(scores: Scores, flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``("", *kpis)`` and each row's position in it: ``top_kpis``' answer, coded."""
    contrib = scores.contributions
    if contrib is None or contrib.shape[1] == 0:
        return np.array([""], dtype=object), np.zeros(len(flags), dtype=np.intp)
    labels = np.array(["", *(str(c) for c in contrib.columns)], dtype=object)
    return labels, top_kpi_codes(contrib.to_numpy(dtype=np.float64), flags)
