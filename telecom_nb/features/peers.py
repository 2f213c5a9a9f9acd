"""Comparison with province peers at the same tick.

A sector's log ratio to its province median removes the shared daily cycle
instantly and catches slow drifts that a per-sector baseline would absorb; it is
judged against the sector's usual ratio. The province median against the
national one flags province-wide events. With no peers (one series, a lone
sector in its province) these features are 0: no evidence either way.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from traitlets import Float, Int, validate

from telecom_nb.features import tick_kernels
from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.compact import STATE_FLOAT
from telecom_nb.features.group_median import group_medians, quiet_nanmedian
from telecom_nb.features.robust_stats import RobustTable
from telecom_nb.features.scaling import scaled_view, spread_floors
from telecom_nb.features.seasonal import Z_CLIP
from telecom_nb.features.view import BatchView
from telecom_nb.params import check_range, param_trait
from telecom_nb.sector_index import SectorIndex, known_rows

MIN_HISTORY = 3


class PeerComparison(FeatureExtractor):
    """Robust z of sector/province-median and province/national-median log ratios."""

    min_peers = param_trait(Int(3, help="sectors a province needs for a peer median"))
    alpha = param_trait(Float(0.05, help="EW weight of a new sample in the usual ratio"))

    @validate("min_peers")
    def _v_min_peers(self, proposal):
        check_range("min_peers", proposal["value"], 2, 10_000)
        return proposal["value"]

    @validate("alpha")
    def _v_alpha(self, proposal):
        check_range("alpha", proposal["value"], 0, 1, low_inclusive=False)
        return proposal["value"]

    def _reset(self) -> None:
        k = len(self.kpis_ or ())
        self.provinces_ = SectorIndex()
        self.sector_ratio_ = RobustTable(
            (k,), self.alpha, gate=False, dtype=STATE_FLOAT, count_dtype=STATE_FLOAT
        )
        self.province_ratio_ = RobustTable((k,), self.alpha, gate=False)
        self.floors_ = spread_floors(self.kpis_ or ())

    @property
    def feature_names(self) -> list[str]:
        kpis = self.kpis_ or ()
        return [f"{k}:peer_z" for k in kpis] + [f"{k}:province_z" for k in kpis]

    def feature_weights(self) -> np.ndarray:
        k = len(self.kpis_ or ())
        return np.vstack([np.eye(k), np.eye(k)])

    #: national median per tick over the whole fleet, by timestamp (epoch ns), NaN where
    #: fewer than 2 provinces had one; None = the batch's own. A partitioned backtest sets
    #: it (``telecom_nb/backtest/national.py``). A class default, so checkpoints never hold it.
    national: Mapping[int, np.ndarray] | None = None
    #: (provinces array, its codes, its labels): the last factorized (snapshots skip it)
    _codes_of: tuple[np.ndarray, np.ndarray, pd.Index] | None = None

    def province_medians(self, view: BatchView):
        """(y rows x kpis, province codes, labels, province medians groups x kpis).

        The province reference is the median of what each peer says the province's
        level is now: the peer's value minus its own usual ratio. A plain median of
        raw values would jump whenever a fault in one sector of a small, mixed-size
        province changes which sector sits in the middle. It reads only the province's
        rows and its sectors' state: a backtest partition computes it exactly.
        """
        key = f"peermed{id(self)}"
        if key not in view.cache:
            y = scaled_view(view, self.kpis_ or ())
            codes, labels = self._province_codes(view.provinces)
            rows = self.rows(view)
            known = known_rows(rows, self.sector_ratio_.n_rows)
            usual = 0.0  # y - 0.0 is y's numbers, as y - zeros was
            if known.any():
                cells = (np.where(known, rows, 0),)  # the spreads are not read here
                lvl, count = self.sector_ratio_.levels(cells), self.sector_ratio_.counts(cells)
                usual = np.where(known[:, None] & (count >= MIN_HISTORY), lvl, 0.0)
            med = group_medians(codes, y - usual, len(labels), self.min_peers)
            view.cache[key] = (y, codes, np.asarray(labels, dtype=object), med)
        return view.cache[key]

    def _province_codes(self, provinces: np.ndarray) -> tuple[np.ndarray, pd.Index]:
        """``pd.factorize(provinces)``, kept while a view brings the same array object: a
        live source's next view reuses the last one's when its column holds the same
        strings (``make_view``), and 100k provinces cost ~4 ms a tick to factorize. A
        replay's tick is a new slice of the table's column: kept too when it holds the
        same labels in the same order (a 1,000-sector tick: ~12 us to compare, ~90 to
        factorize; equal labels factorize to the same codes and labels)."""
        kept = self._codes_of
        if kept is not None and (kept[0] is provinces or _same_labels(kept[0], provinces, kept[2])):
            self._codes_of = (provinces, kept[1], kept[2])
            return kept[1], kept[2]
        codes, labels = pd.factorize(provinces)
        self._codes_of = (provinces, codes, labels)
        return codes, labels

    def ratios(self, view: BatchView):
        """(sector ratio rows x kpis, province labels, province ratio groups x kpis)."""
        key = f"peer{id(self)}"
        if key not in view.cache:
            y, codes, labels, med = self.province_medians(view)
            national, enough = self.national_median(view, med)
            prov_ratio = np.where(enough, med - national, np.nan)
            view.cache[key] = (y - med[codes], codes, labels, prov_ratio)
        return view.cache[key]

    def national_median(self, view: BatchView, med: np.ndarray):
        """(national median per kpi, whether >= 2 provinces gave one): injected or the batch's."""
        given = None if self.national is None else self.national.get(int(view.timestamps.asi8[0]))
        if given is not None:  # the fleet's, NaN where it had < 2 provinces
            return given, np.isfinite(given)
        national = quiet_nanmedian(med)  # no peers: stays NaN
        return national, np.isfinite(med).sum(axis=0) >= 2

    @staticmethod
    def _z(table: RobustTable, rows: np.ndarray, x: np.ndarray, floors: np.ndarray):
        out = np.zeros_like(x)
        known = known_rows(rows, table.n_rows)
        if not known.any():
            return out
        level, spread, count = table.get((np.where(known, rows, 0),))
        z = (x - level) / np.maximum(spread, floors)
        ok = known[:, None] & (count >= MIN_HISTORY) & np.isfinite(z)
        out[ok] = np.clip(z[ok], -Z_CLIP, Z_CLIP)
        return out

    def transform_view(self, view: BatchView) -> np.ndarray:
        if len(view) < self.min_peers:  # no group can have a median: no evidence
            return np.zeros((len(view), 2 * len(self.kpis_ or ())))
        sector_ratio, codes, labels, prov_ratio = self.ratios(view)
        z_prov = self._z(
            self.province_ratio_, self.provinces_.lookup(labels), prov_ratio, self.floors_
        )
        table, k = self.sector_ratio_, len(self.kpis_ or ())
        out = np.empty((len(view), 2 * k))
        if (
            tick_kernels.robust_z(
                table.level,
                table.dev,
                table.count,
                self.rows(view),
                sector_ratio,
                self.floors_,
                MIN_HISTORY,
                out[:, :k],
            )
            is None
        ):
            out[:, :k] = self._z(table, self.rows(view), sector_ratio, self.floors_)
        out[:, k:] = z_prov[codes]  # the sector's z, then its province's: one array
        return out

    def update_view(self, view: BatchView) -> None:
        if len(view) < self.min_peers:  # every ratio would be missing: nothing to learn
            self.registry.register(view.sector_ids)
            return
        sector_ratio, _, labels, prov_ratio = self.ratios(view)
        rows = self.registry.register(view.sector_ids)
        self.sector_ratio_.grow(len(self.registry))
        self.sector_ratio_.update((rows,), sector_ratio)
        prov_rows = self.provinces_.register(labels)
        self.province_ratio_.grow(len(self.provinces_))
        self.province_ratio_.update((prov_rows,), prov_ratio)


def _same_labels(kept: np.ndarray, provinces: np.ndarray, labels: pd.Index) -> bool:
    """Whether ``provinces`` holds ``kept``'s labels in the same order, all strings (so
    equal means the same label: no 1 == 1.0 == True across ticks), NaN-free: a column's
    missing provinces are filled (``make_view``); an NA's comparison reads as different."""
    if provinces.shape != kept.shape or provinces.dtype != object or kept.dtype != object:
        return False
    if not all(isinstance(label, str) for label in labels):
        return False
    try:
        return bool(np.array_equal(kept, provinces))
    except (TypeError, ValueError):  # an element whose == is not a truth value (pd.NA)
        return False
