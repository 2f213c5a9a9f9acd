"""The per-row reference path of the feature pipeline, which the compiled passes must equal."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb.features.pipeline import KpiFeatures


def loop_features(frame: pd.DataFrame, kpis: list[str],
                  **params) -> tuple[KpiFeatures, np.ndarray]:
    """Features of ``frame`` scored and learned one row at a time (the state, the rows)."""
    features = KpiFeatures(kpis=kpis, **params)
    view = features.view(frame)
    features.prepare_view(view)
    rows = []
    for i in range(len(frame)):
        one = view.slice(i, i + 1)
        rows.append(features.transform_view(one))
        features.update_view(one)
    return features, np.vstack(rows)
