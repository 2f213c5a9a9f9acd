"""Raw KPIs as features: what the seed detector looked at (kept as a baseline)."""

from __future__ import annotations

import numpy as np

from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.view import BatchView


class RawKpis(FeatureExtractor):
    """The KPI values themselves (missing -> 0); learns nothing."""

    @property
    def feature_names(self) -> list[str]:
        return list(self.kpis_ or ())

    def feature_weights(self) -> np.ndarray:
        return np.eye(len(self.kpis_ or ()))

    def transform_view(self, view: BatchView) -> np.ndarray:
        return np.nan_to_num(view.raw, nan=0.0)

    def update_view(self, view: BatchView) -> None:
        self.registry.register(view.sector_ids)
