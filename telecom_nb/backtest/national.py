"""The exact national peer statistic of a partitioned backtest: a first pass and a reduction.

``province_z`` compares a province's peer median with the national one, the median of the
province medians at the same tick (``features/peers.py``). A province's median at tick t
reads only that province's rows (after the stream's validator) and its own sectors'
learned usual ratios, which are learned from the province alone. So a first pass per
partition (validator + the peer part, nothing else) gives every province's median per
tick exactly as the unpartitioned stream has it; the driver takes the median over all
provinces per tick (same function, same "at least two provinces" rule); the scoring pass
reads that series instead of its partition's own median. No barrier per tick: each pass
runs its partitions independently.

One input is not the province's own: the validator fills a missing value of a sector it
has never seen with the *batch* median of that KPI (then the partition's, not the
nation's). That moves only such a sector's first value, as it already did in the scores.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.batching import run_bounds, timestamp_bounds
from telecom_nb.features.group_median import nanmedian_fast
from telecom_nb.features.peers import PeerComparison
from telecom_nb.features.view import make_view
from telecom_nb.sources.validation import BatchValidator

#: national statistics: "exact" (first pass + reduction) or "partition" (the partition's)
MODES = ("exact", "partition")
#: cells (provinces x ticks x KPIs) reduced at once: bounds the driver's memory
REDUCE_CELLS = 4_000_000


@dataclass(frozen=True)
class ProvinceMedians:
    """One partition's province peer medians: a row per (tick, province) it had."""

    ns: np.ndarray  # int64 epoch ns per row
    provinces: np.ndarray  # str per row
    medians: np.ndarray  # rows x kpis, NaN where the province had < min_peers sectors

    def frame(self, kpis: tuple[str, ...]) -> pd.DataFrame:
        out = pd.DataFrame(self.medians, columns=list(kpis))
        out.insert(0, schema.PROVINCE, self.provinces)
        out.insert(0, schema.TIMESTAMP, pd.to_datetime(self.ns, utc=True))
        return out


@dataclass(frozen=True)
class NationalSeries:
    """The national median of province medians per tick (ticks x kpis, NaN: < 2 provinces)."""

    ns: np.ndarray  # int64 epoch ns, increasing
    values: np.ndarray  # ticks x kpis
    kpis: tuple[str, ...]

    def mapping(self) -> dict[int, np.ndarray]:
        """Timestamp (epoch ns) -> values: what :attr:`PeerComparison.national` reads."""
        return dict(zip(self.ns.tolist(), self.values, strict=True))

    def frame(self) -> pd.DataFrame:
        out = pd.DataFrame(self.values, columns=list(self.kpis))
        out.insert(0, schema.TIMESTAMP, pd.to_datetime(self.ns, utc=True))
        return out


def peer_part(detector: Any) -> PeerComparison | None:
    """The detector's peer part, built now (its features bound to their KPIs), or None.

    Binding here is what the first batch would do (same KPIs, same parts), so the part
    exists before the replay and is the one that scores it.
    """
    features = getattr(detector, "features_", None)
    if features is None:
        return None
    if features.kpis_ is None:
        if not features.kpis:  # its KPIs come from the first batch: nothing to bind yet
            return None
        features.bind(tuple(features.kpis))
    return next((p for p in getattr(features, "parts_", ()) if isinstance(p, PeerComparison)),
                None)


def inject_national(detector: Any, national: NationalSeries | None) -> PeerComparison | None:
    """Make the detector's peer part read ``national`` (None: leave it to the partition)."""
    if national is None:
        return None
    part = peer_part(detector)
    if part is not None:
        part.national = national.mapping()
    return part


def check_national(detector: Any, part: PeerComparison | None,
                   national: NationalSeries | None) -> None:
    """Fail loudly if the features were rebuilt after the injection (the series unused)."""
    if national is not None and part is not None and peer_part(detector) is not part:
        raise RuntimeError("backtest: the detector's feature parts were rebuilt during the "
                           "replay; the national peer series was not used")


def province_medians(part: PeerComparison, validator: BatchValidator,
                     frames: Iterable[pd.DataFrame]) -> ProvinceMedians:
    """Pass 1 of one partition: its time-ordered pieces through the validator and the peer
    part alone, as the scoring replay feeds them (``engine/replay.py``, ``score_stream``)."""
    kpis = part.kpis_ or ()
    ns_parts, prov_parts, med_parts = [], [], []
    for frame in frames:
        ordered = frame.iloc[np.argsort(pd.DatetimeIndex(frame[schema.TIMESTAMP]).asi8,
                                        kind="stable")]
        checked = validator.validate_table(ordered, timestamp_bounds(ordered)).frame
        if checked is None:
            continue
        view = make_view(checked, kpis)
        bounds = run_bounds(view.timestamps.asi8)
        for a, b in itertools.pairwise(bounds):
            tick = view.slice(a, b)
            if len(tick) >= part.min_peers:  # else no province has a median
                _, _, labels, med = part.province_medians(tick)
                ns_parts.append(np.full(len(labels), tick.timestamps.asi8[0]))
                prov_parts.append(labels.astype(str))
                med_parts.append(med)
            part.update_view(tick)
    if not ns_parts:
        return ProvinceMedians(np.empty(0, np.int64), np.empty(0, str), np.empty((0, len(kpis))))
    return ProvinceMedians(np.concatenate(ns_parts), np.concatenate(prov_parts),
                           np.vstack(med_parts))


def reduce_national(parts: list[ProvinceMedians], kpis: tuple[str, ...]) -> NationalSeries:
    """Median over all provinces per tick, as one unpartitioned batch computes it.

    Provinces x ticks x KPIs, NaN where a province had no median; ticks are cut in blocks
    of at most :data:`REDUCE_CELLS` cells. ``nanmedian_fast`` is the stream's function.
    """
    ns = np.concatenate([p.ns for p in parts]) if parts else np.empty(0, np.int64)
    ticks, tick_of = np.unique(ns, return_inverse=True)
    values = np.full((len(ticks), len(kpis)), np.nan)
    if not len(ns):
        return NationalSeries(ticks, values, kpis)
    provinces = np.concatenate([p.provinces for p in parts])
    medians = np.vstack([p.medians for p in parts])
    names, prov_of = np.unique(provinces, return_inverse=True)
    order = np.argsort(tick_of, kind="stable")
    tick_of, prov_of, medians = tick_of[order], prov_of[order], medians[order]
    step = max(1, REDUCE_CELLS // max(1, len(names) * len(kpis)))
    for start in range(0, len(ticks), step):
        n = min(step, len(ticks) - start)
        a, b = np.searchsorted(tick_of, [start, start + n])
        block = np.full((len(names), n, len(kpis)), np.nan)
        block[prov_of[a:b], tick_of[a:b] - start] = medians[a:b]
        flat = block.reshape(len(names), n * len(kpis))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a tick without medians: NaN
            national = nanmedian_fast(flat).reshape(n, len(kpis))
        enough = np.isfinite(block).sum(axis=0) >= 2
        values[start:start + n] = np.where(enough, national, np.nan)
    return NationalSeries(ticks, values, kpis)
