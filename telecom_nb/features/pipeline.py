"""The default feature set: seasonal residuals + relations, peers, short-term change.

One registry is shared by all parts, so a sector's rows are looked up once per batch.
"""

from __future__ import annotations

import numpy as np
from traitlets import Bool, Int, observe, validate

from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.change import ShortTermChange
from telecom_nb.features.peers import PeerComparison
from telecom_nb.features.seasonal import SeasonalResiduals
from telecom_nb.features.view import BatchView
from telecom_nb.params import check_range, param_trait


class KpiFeatures(FeatureExtractor):
    """All features that remove the expected, stacked column-wise."""

    slots_per_day = param_trait(Int(24, help="time-of-day slots per day"))
    weekly = param_trait(Bool(False, help="separate weekday and weekend slots"))
    relations = param_trait(Bool(True, help="model KPI relations (e.g. throughput per PRB)"))
    peers = param_trait(Bool(True, help="compare with province peers at the same tick"))
    change = param_trait(Bool(True, help="compare with the sector's last few ticks"))

    @validate("slots_per_day")
    def _v_slots(self, proposal):
        check_range("slots_per_day", proposal["value"], 1, 1440)
        return proposal["value"]

    @observe("slots_per_day", "weekly", "relations", "peers", "change")
    def _structure_changed(self, change) -> None:
        if self.kpis_ is not None:
            self._reset()

    def _reset(self) -> None:
        parts: list[FeatureExtractor] = [
            SeasonalResiduals(
                registry=self.registry, slots_per_day=self.slots_per_day,
                weekly=self.weekly, relations=self.relations,
            )
        ]
        if self.peers:
            parts.append(PeerComparison(registry=self.registry))
        if self.change:
            parts.append(ShortTermChange(registry=self.registry))
        for part in parts:
            part.bind(self.kpis_ or ())
        self.parts_ = parts

    @property
    def feature_names(self) -> list[str]:
        return [name for part in self.parts_ for name in part.feature_names]

    def feature_weights(self) -> np.ndarray:
        return np.vstack([part.feature_weights() for part in self.parts_])

    def transform_view(self, view: BatchView) -> np.ndarray:
        blocks = [part.transform_view(view) for part in self.parts_]
        if self.change and len(blocks) > 1:
            # A jump counts only as far as it also leaves the seasonal expectation: the
            # return to normal after an outage is a big step but no anomaly.
            k = len(self.kpis_ or ())
            season = np.abs(blocks[0][:, :k])
            blocks[-1] = np.sign(blocks[-1]) * np.minimum(np.abs(blocks[-1]), season)
        return np.hstack(blocks)

    def update_view(self, view: BatchView) -> None:
        self.registry.register(view.sector_ids)
        for part in self.parts_:
            part.update_view(view)
