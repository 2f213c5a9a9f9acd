"""Short-term change: a sector against its own last few ticks, for fast reaction.

The seasonal baseline needs days to learn a slot; a step away from the recent
level shows at the first tick. The spread is that of the one-tick innovations,
so a sector with a steep daily ramp is not flagged for ramping.
"""

from __future__ import annotations

import numpy as np
from traitlets import Float, validate

from telecom_nb.features import tick_kernels
from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.compact import STATE_FLOAT, wide
from telecom_nb.features.robust_stats import HUBER_K, MAD_TO_SIGMA, MIN_COUNT_TO_CLIP
from telecom_nb.features.scaling import scaled_view, spread_floors
from telecom_nb.features.seasonal import Z_CLIP
from telecom_nb.features.view import BatchView
from telecom_nb.params import check_range, param_trait
from telecom_nb.sector_index import grow_rows, known_rows

MIN_HISTORY = 4


class ShortTermChange(FeatureExtractor):
    """Robust z of each scaled KPI against its fast EW level."""

    fast_alpha = param_trait(Float(0.3, help="EW weight of the recent level (memory ~3 ticks)"))
    spread_alpha = param_trait(Float(0.02, help="EW weight of the innovation spread"))

    @validate("fast_alpha", "spread_alpha")
    def _v_alpha(self, proposal):
        check_range(proposal["trait"].name, proposal["value"], 0, 1, low_inclusive=False)
        return proposal["value"]

    def _reset(self) -> None:
        k = len(self.kpis_ or ())
        self.level_ = np.zeros((0, k), dtype=STATE_FLOAT)
        self.dev_ = np.zeros((0, k), dtype=STATE_FLOAT)
        self.count_ = np.zeros((0, k), dtype=STATE_FLOAT)
        self.floors_ = spread_floors(self.kpis_ or ())

    @property
    def feature_names(self) -> list[str]:
        return [f"{k}:change_z" for k in self.kpis_ or ()]

    def feature_weights(self) -> np.ndarray:
        return np.eye(len(self.kpis_ or ()))

    def _scaled(self, view: BatchView) -> np.ndarray:
        return scaled_view(view, self.kpis_ or ())

    def prepare_view(self, view: BatchView) -> None:
        self._scaled(view)

    def transform_view(self, view: BatchView) -> np.ndarray:
        y = self._scaled(view)
        rows = self.rows(view)
        compiled = tick_kernels.change_z(self, y, rows)
        if compiled is not None:  # the lines below in one pass (same numbers)
            return compiled
        out = np.zeros_like(y)
        known = known_rows(rows, self.level_.shape[0])
        if not known.any():
            return out
        r = np.where(known, rows, 0)
        spread = np.maximum(wide(self.dev_[r]) * MAD_TO_SIGMA, self.floors_)
        z = (y - wide(self.level_[r])) / spread
        ok = known[:, None] & (self.count_[r] >= MIN_HISTORY) & np.isfinite(z)
        out[ok] = np.clip(z[ok], -Z_CLIP, Z_CLIP)
        return out

    def update_view(self, view: BatchView) -> None:
        y = self._scaled(view)
        rows = self.registry.register(view.sector_ids)
        need = len(self.registry)
        self.level_ = grow_rows(self.level_, need)
        self.dev_ = grow_rows(self.dev_, need)
        self.count_ = grow_rows(self.count_, need)
        if tick_kernels.change_learn(self, y, rows):  # the lines below, in place
            return
        level, dev, n = wide(self.level_[rows]), wide(self.dev_[rows]), wide(self.count_[rows])
        ok = np.isfinite(y)
        ys = np.where(ok, y, level)
        innov = np.where(n > 0, ys - level, 0.0)
        spread = np.maximum(dev * MAD_TO_SIGMA, self.floors_)
        bound = np.where(n < MIN_COUNT_TO_CLIP, np.inf, HUBER_K * spread)
        a = np.maximum(1.0 / n.clip(1.0), self.spread_alpha)
        new_dev = np.where(n > 0, dev + a * (np.minimum(np.abs(innov), bound) - dev), 0.0)
        new_level = np.where(n > 0, level + self.fast_alpha * innov, ys)
        self.level_[rows] = np.where(ok, new_level, level)
        self.dev_[rows] = np.where(ok, new_dev, dev)
        self.count_[rows] = n + ok
