"""Explanations: which KPI drove a row's score.

Each feature speaks for one or more KPIs (a broken relation for both of its KPIs,
shared by how far each moved on its own); a KPI's contribution is the largest
weighted |z| among its features.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from telecom_nb.detectors import score_kernels


def kpi_contributions(features: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """rows x kpis: max over features of |feature| x weight(feature, kpi).

    A feature of one KPI speaks for it fully. A broken relation speaks for its KPIs in
    proportion to how far each moved on its own (PRB pinned at 100 % breaks payload per
    PRB because of the PRB); with no such evidence, by its static weights.
    """
    compiled = score_kernels.contributions(features, weights)
    if compiled is not None:  # the same numbers in one pass
        return compiled
    a = np.abs(features)
    n_kpis = weights.shape[1]
    single = (weights != 0).sum(axis=1) == 1
    direct = np.zeros((features.shape[0], n_kpis))
    for k in range(n_kpis):
        cols = np.flatnonzero(single & (weights[:, k] != 0))
        if len(cols):
            direct[:, k] = (a[:, cols] * weights[cols, k]).max(axis=1)
    out = direct.copy()
    for j in np.flatnonzero(~single & (weights != 0).any(axis=1)):
        members = np.flatnonzero(weights[j])
        own = direct[:, members]
        total = own.sum(axis=1, keepdims=True)
        share = np.where(total > 0, own / np.where(total > 0, total, 1.0), weights[j, members])
        out[:, members] = np.maximum(out[:, members], a[:, [j]] * share)
    return out


def top_kpis(contributions: np.ndarray, kpis: tuple[str, ...],
             flagged: np.ndarray) -> np.ndarray:
    """The strongest KPI of each flagged row, "" elsewhere."""
    if not len(kpis):
        return np.full(len(flagged), "", dtype=object)
    return np.array(["", *kpis], dtype=object)[top_kpi_codes(contributions, flagged)]


def top_kpi_codes(contributions: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    """:func:`top_kpis` coded: 1 + the column of each flagged row's strongest KPI (the
    first of the largest), 0 elsewhere; the alarm stage builds its column from these."""
    codes = np.zeros(len(flagged), dtype=np.intp)
    if contributions.shape[1] and flagged.any():
        codes[flagged] = 1 + np.argmax(contributions[flagged], axis=1)
    return codes


@lru_cache(maxsize=32)
def _kpi_columns(kpis: tuple[str, ...]) -> pd.Index:
    """The KPI names as the frame's columns, built once per KPI list: pandas infers a
    list's dtype every time (~0.2-0.4 ms of a 500-sector tick); an Index is immutable,
    so frames share it."""
    return pd.Index(list(kpis))


def contributions_frame(contributions: np.ndarray, kpis: tuple[str, ...],
                        index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(contributions, index=index, columns=_kpi_columns(tuple(kpis)))
