"""Explanations: which KPI drove a row's score.

Each feature speaks for one or more KPIs (a broken relation for both of its KPIs,
half each); a KPI's contribution is the largest weighted |z| among its features.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def kpi_contributions(features: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """rows x kpis: max over features of |feature| x weight(feature, kpi)."""
    a = np.abs(features)
    out = np.zeros((features.shape[0], weights.shape[1]))
    for k in range(weights.shape[1]):
        cols = np.flatnonzero(weights[:, k])
        if len(cols):
            out[:, k] = (a[:, cols] * weights[cols, k]).max(axis=1)
    return out


def top_kpis(contributions: np.ndarray, kpis: tuple[str, ...],
             flagged: np.ndarray) -> np.ndarray:
    """The strongest KPI of each flagged row, "" elsewhere."""
    names = np.asarray(kpis, dtype=object)
    out = np.full(len(flagged), "", dtype=object)
    if len(names) and flagged.any():
        out[flagged] = names[np.argmax(contributions[flagged], axis=1)]
    return out


def contributions_frame(contributions: np.ndarray, kpis: tuple[str, ...],
                        index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(contributions, index=index, columns=list(kpis))
