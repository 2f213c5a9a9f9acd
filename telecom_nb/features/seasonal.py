"""Per-sector seasonal baseline: a sector compared with itself at this time of day.

For each sector x time slot x series (scaled KPIs and KPI relations) it keeps a
robust level (EW Huber mean); the spread is pooled over the sector's slots (a
slot sees one sample a day, too few for its own spread) and shrunk toward the
slot's own spread as the slot fills. While a slot is cold, the expected value is
the sector's overall level shifted by the fleet's profile for that slot (its
level scaled by the fleet's daily shape, on a log scale).

Output: robust z-scores ``(x - expected) / spread``, clipped, 0 with no history.
"""

from __future__ import annotations

import warnings

import numpy as np
from traitlets import Bool, Float, Int, observe, validate

from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.group_median import nanmedian_fast
from telecom_nb.features.registry import grow_rows
from telecom_nb.features.relations import (
    default_relations,
    relation_name,
    relation_values,
    relation_weights,
)
from telecom_nb.features.robust_stats import HUBER_K, MIN_COUNT_TO_CLIP, RobustTable
from telecom_nb.features.scaling import LOG_SPREAD_FLOOR, scale_kpis, spread_floors
from telecom_nb.features.time_slots import n_slots, time_slots
from telecom_nb.features.view import BatchView
from telecom_nb.params import check_range, param_trait

Z_CLIP = 30.0
#: relative spread floor: a z of 20 needs a move of at least one overall spread
REL_FLOOR = 0.05
#: rows used to learn the fleet's daily profile (a stride sample keeps 100k sectors cheap)
FLEET_SAMPLE = 2000


class SeasonalResiduals(FeatureExtractor):
    """Robust z of each KPI (and KPI relation) against the sector's own daily profile."""

    slots_per_day = param_trait(Int(24, help="time-of-day slots per day"))
    weekly = param_trait(Bool(False, help="separate weekday and weekend (Sat/Sun) slots"))
    slot_alpha = param_trait(Float(0.1, help="EW weight of a new sample in its slot level"))
    sector_alpha = param_trait(Float(0.02, help="EW weight for sector-wide level/spread"))
    slot_prior = param_trait(Float(3.0, help="samples before a slot's own level dominates"))
    relations = param_trait(Bool(True, help="also model KPI relations (log ratios)"))

    @validate("slots_per_day")
    def _v_slots(self, proposal):
        check_range("slots_per_day", proposal["value"], 1, 1440)
        return proposal["value"]

    @validate("slot_alpha", "sector_alpha")
    def _v_alpha(self, proposal):
        check_range(proposal["trait"].name, proposal["value"], 0, 1, low_inclusive=False)
        return proposal["value"]

    @validate("slot_prior")
    def _v_prior(self, proposal):
        check_range("slot_prior", proposal["value"], 0)
        return proposal["value"]

    @observe("slots_per_day", "weekly", "relations")
    def _shape_changed(self, change) -> None:
        if self.kpis_ is not None:
            self._reset()  # a new slot grid or series list starts from scratch

    @observe("slot_alpha", "sector_alpha")
    def _alpha_changed(self, change) -> None:
        if self.kpis_ is not None:
            self.slot_table_.alpha = self.slot_alpha
            self.sector_table_.alpha = self.sector_alpha

    def _reset(self) -> None:
        kpis = self.kpis_ or ()
        self.pairs_ = default_relations(kpis) if self.relations else ()
        n_series = len(kpis) + len(self.pairs_)
        slots = n_slots(self.slots_per_day, self.weekly)
        self.slot_table_ = RobustTable((slots, n_series), self.slot_alpha)
        # the overall level spans the daily cycle: its far samples are peaks, not faults
        self.sector_table_ = RobustTable((n_series,), self.sector_alpha, gate=False)
        self.resid_dev_ = np.zeros((0, n_series))
        self.resid_count_ = np.zeros((0, n_series))
        self.fleet_offset_ = np.zeros((slots, n_series))
        self.fleet_count_ = np.zeros((slots, 1))
        self.floors_ = np.concatenate(
            [spread_floors(kpis), np.full(len(self.pairs_), LOG_SPREAD_FLOOR)]
        )

    @property
    def feature_names(self) -> list[str]:
        names = [*(self.kpis_ or ()), *map(relation_name, self.pairs_)]
        return [f"{n}:season_z" for n in names]

    def feature_weights(self) -> np.ndarray:
        kpis = self.kpis_ or ()
        return np.vstack([np.eye(len(kpis)), relation_weights(kpis, self.pairs_)])

    def series(self, view: BatchView) -> np.ndarray:
        """rows x series: scaled KPIs, then relations (cached on the view)."""
        key = f"season_series{id(self)}"
        if key not in view.cache:
            kpis = self.kpis_ or ()
            parts = [scale_kpis(view.raw, kpis)]
            if self.pairs_:
                parts.append(relation_values(view.raw, kpis, self.pairs_))
            view.cache[key] = np.hstack(parts)
        return view.cache[key]

    def slots(self, view: BatchView) -> np.ndarray:
        if "slots" not in view.cache:
            view.cache["slots"] = time_slots(view.timestamps, self.slots_per_day, self.weekly)
        return view.cache["slots"]

    def _expected(self, rows: np.ndarray, slot: np.ndarray):
        """Expected value, spread and 'has history' mask for known rows."""
        lvl_s, spr_s, n_s = self.slot_table_.get((rows, slot))
        lvl_o, spr_o, n_o = self.sector_table_.get((rows,))
        fleet = self.fleet_offset_[slot] * (self.fleet_count_[slot] > 0)
        w = n_s / (n_s + self.slot_prior) if self.slot_prior > 0 else (n_s > 0) * 1.0
        expected = w * lvl_s + (1.0 - w) * (lvl_o + fleet)
        n_r = self.resid_count_[rows]
        pooled = np.where(n_r >= 2, self.resid_dev_[rows] * 1.2533, spr_o)
        ws = np.clip(n_s - 1.0, 0.0, None)
        ws = ws / (ws + 8.0)
        spread = ws * spr_s + (1.0 - ws) * pooled
        spread = np.maximum(spread, np.maximum(self.floors_, REL_FLOOR * spr_o))
        return expected, spread, n_o > 0, lvl_o

    def transform_view(self, view: BatchView) -> np.ndarray:
        y = self.series(view)
        out = np.zeros_like(y)
        rows = self.rows(view)
        known = (rows >= 0) & (rows < self.sector_table_.n_rows)
        if not known.any():
            return out
        r = np.where(known, rows, 0)
        expected, spread, has, _ = self._expected(r, self.slots(view))
        z = (y - expected) / spread
        ok = known[:, None] & has & np.isfinite(z)
        out[ok] = np.clip(z[ok], -Z_CLIP, Z_CLIP)
        return out

    def update_view(self, view: BatchView) -> None:
        y = self.series(view)
        rows = self.registry.register(view.sector_ids)
        need = len(self.registry)
        self.slot_table_.grow(need)
        self.sector_table_.grow(need)
        self.resid_dev_ = grow_rows(self.resid_dev_, need)
        self.resid_count_ = grow_rows(self.resid_count_, need)
        slot = self.slots(view)
        expected, spread, has, lvl_o = self._expected(rows, slot)
        # pooled residual spread: EW mean |resid|, Huber-clipped once warm
        resid = y - expected
        ok = has & np.isfinite(resid)
        n_r = self.resid_count_[rows]
        bound = np.where(n_r < MIN_COUNT_TO_CLIP, np.inf, HUBER_K * spread)
        a = np.maximum(1.0 / (n_r + 1.0), self.sector_alpha)
        dev = self.resid_dev_[rows]
        new_dev = dev + a * (np.minimum(np.abs(np.nan_to_num(resid)), bound) - dev)
        self.resid_dev_[rows] = np.where(ok, new_dev, dev)
        self.resid_count_[rows] = n_r + ok
        self._learn_fleet_profile(y - lvl_o, has, slot)
        self.slot_table_.update((rows, slot), y, spread)
        self.sector_table_.update((rows,), y)

    def _learn_fleet_profile(self, offset: np.ndarray, has: np.ndarray, slot: np.ndarray):
        """EW of the fleet's median offset from sector level, per slot (few slots per batch)."""
        offset = np.where(has, offset, np.nan)
        for s in np.unique(slot):
            sel = offset[slot == s]
            if len(sel) > FLEET_SAMPLE:
                sel = sel[:: len(sel) // FLEET_SAMPLE]
            if not np.isfinite(sel).any():
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN column: skipped
                med = nanmedian_fast(sel)
            n = self.fleet_count_[s, 0]
            a = max(1.0 / (n + 1.0), self.slot_alpha)
            cur = self.fleet_offset_[s]
            self.fleet_offset_[s] = np.where(np.isfinite(med), cur + a * (med - cur), cur)
            self.fleet_count_[s, 0] = n + 1
