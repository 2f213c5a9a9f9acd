"""The default feature set: seasonal residuals + relations, their persistence, peers, change,
and in a fleet with coordinates the nearest sites' (:mod:`~telecom_nb.features.area`).

One registry is shared by all parts, so a sector's rows are looked up once per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from traitlets import observe

from telecom_nb.defaults import FEW_SERIES
from telecom_nb.features import part_threads, tick_kernels
from telecom_nb.features.area import AreaMedian
from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.change import ShortTermChange
from telecom_nb.features.common_mode import DAY_TYPE_SHIFT, SHIFT, CommonMode
from telecom_nb.features.count_drift import seasonal_count_drift
from telecom_nb.features.day_type import switched_on
from telecom_nb.features.drift import Drift
from telecom_nb.features.feature_switches import FeatureSwitches
from telecom_nb.features.holiday_params import HolidayParams
from telecom_nb.features.learn_steps import LearnSteps
from telecom_nb.features.level_record import LevelRecord
from telecom_nb.features.level_shift import LevelShift
from telecom_nb.features.load_choice import bad_signs
from telecom_nb.features.load_explained import LoadExplained
from telecom_nb.features.load_views import LoadViews
from telecom_nb.features.part_params import PartParams
from telecom_nb.features.peers import PeerComparison
from telecom_nb.features.persistence import Persistence
from telecom_nb.features.range_novelty import RangeNovelty
from telecom_nb.features.recurrence import Recurrence
from telecom_nb.features.run_min import RunMin, run_ticks, strongest
from telecom_nb.features.scaling import scaled_view
from telecom_nb.features.seasonal import SeasonalResiduals
from telecom_nb.features.slot_run import load_series
from telecom_nb.features.smoothed_z import SmoothedZ
from telecom_nb.features.tick_kernels import agreeing_numpy as agreeing
from telecom_nb.features.tick_kernels import stack_agreeing
from telecom_nb.features.view import BatchView
from telecom_nb.features.zero_state import ZeroStates, kpi_columns
from telecom_nb.sector_index import SectorIndex

#: where ``_seasonal_z``'s cache keeps each stage's z (and a fleet's mask of the values read)
_SEASON_Z_AT = {"raw": 2, "unloaded": 3, "read": 4, "valid": 5}


class KpiFeatures(LearnSteps, LoadViews, PartParams, HolidayParams, FeatureSwitches,
                  FeatureExtractor):
    """All features that remove the expected, stacked column-wise.

    The parts are rebuilt whenever the structure changes (first batch, a KPI list or a
    switch below), so their own parameters (``seasonal.slot_alpha``, ``peers.min_peers``)
    are kept in ``part_params`` and given to every rebuild: :meth:`set_part_params`.
    """

    #: the parts whose own parameters can be set, by the name used in ``features.<part>.x``
    PARTS: ClassVar[dict[str, type[FeatureExtractor]]] = {
        "seasonal": SeasonalResiduals, "peers": PeerComparison, "change": ShortTermChange,
        "novelty": RangeNovelty, "record": LevelRecord,
    }
    #: part parameters set from this class's own (one switch, not two that can disagree)
    DRIVEN: ClassVar[dict[str, tuple[str, ...]]] = {
        "seasonal": ("kpis", "slots_per_day", "weekly", "timezone", "relations", "holidays",
                     "holiday_like", "day_type"),
        "peers": ("kpis",), "change": ("kpis",), "novelty": ("kpis",),
        "record": ("kpis",),
    }

    #: state newer than some checkpoints: derived by :meth:`derive_added_state`
    _state_added: tuple[str, ...] = ("common_", "drift_", "load_", "record_")

    def __init__(self, registry: SectorIndex | None = None, **params: Any) -> None:
        self.part_params: dict[str, dict[str, Any]] = {}
        super().__init__(registry, **params)

    def derive_added_state(self, names: Sequence[str]) -> None:
        """A checkpoint from before the common mode: no groups yet (fitted on the next
        day of data). One older than the drift columns runs on without them: its window
        and model have the columns it had (the drift part is simply not fitted). One
        older than the load model starts it afresh (its family is read after a day), one
        older than the level record runs on without it (as without the drift columns)."""
        if "common_" in names:
            self.common_ = CommonMode() if self.common else None
        if "drift_" in names:
            self.drift_ = None
        if "load_" in names:
            self.load_ = self._load_model() if self.load else None
        if "record_" in names:
            self.record_ = None

    def _load_model(self) -> LoadExplained:
        """The load part, its dependents chosen on the KPIs' bad sides (the names')."""
        kpis = tuple(self.kpis_ or ())
        return LoadExplained(len(kpis), bad_signs(kpis), self.load_bad_r)

    @observe(*FeatureSwitches.class_trait_names(param=True))
    def _structure_changed(self, change) -> None:
        if self.kpis_ is not None:
            self._reset()

    def _reset(self) -> None:
        own = self.part_params
        parts: list[FeatureExtractor] = [
            SeasonalResiduals(
                registry=self.registry, slots_per_day=self.slots_per_day,
                weekly=self.weekly, timezone=self.timezone, relations=self.relations,
                holidays=self.holidays, holiday_like=self.holiday_like, day_type=self.day_type,
                **own.get("seasonal", {}),
            )
        ]
        if self.peers:
            parts.append(PeerComparison(registry=self.registry, **own.get("peers", {})))
        if self.change:
            parts.append(ShortTermChange(registry=self.registry, **own.get("change", {})))
        if self.novelty:
            parts.append(RangeNovelty(registry=self.registry, **own.get("novelty", {})))
        for part in parts:
            part.bind(self.kpis_ or ())
        self.parts_ = parts
        n_series = len(parts[0].feature_names)
        self.persistence_ = Persistence(n_series) if self.persistence else None
        self.area_ = AreaMedian(len(self.kpis_ or ())) if self.area else None
        self.run_ = RunMin(len(self.kpis_ or ())) if self.run else None
        self.drift_ = Drift(len(self.kpis_ or ())) if self.drift else None
        #: (view, updates, each KPI's strongest deviation): computed once per batch
        self._run_dev: tuple[BatchView, int, np.ndarray] | None = None
        self.level_: LevelShift | None = None
        if self.shift:  # last: the one-series pass fills the columns before it
            self.level_ = LevelShift(registry=self.registry)
            self.level_.bind(self.kpis_ or ())
        #: after the shift columns (the one-series pass writes them last)
        self.smooth_ = SmoothedZ(len(self.kpis_ or ())) if self.smooth else None
        #: the last columns (after the smoothed z: the one-series pass writes them last)
        self.record_ = (LevelRecord(registry=self.registry, **own.get("record", {}))
                        if self.record else None)
        if self.record_ is not None:
            self.record_.bind(self.kpis_ or ())
        self.recur_ = Recurrence(n_series) if self.recurrence else None
        self.common_ = CommonMode() if self.common else None
        self.load_ = self._load_model() if self.load else None
        self.zeros_ = ZeroStates(len(self.kpis_ or ()))
        self.zero_columns_ = kpi_columns(self.feature_names, tuple(self.kpis_ or ()))
        #: (view, updates, raw seasonal z, z after the recurrence part and common mode,
        #: that read against the load, the KPIs' validity)
        self._season_z: tuple[BatchView, int, np.ndarray, np.ndarray, np.ndarray,
                              np.ndarray] | None = None
        self._updates = 0
        #: a features matrix handed back (:meth:`recycle`): the next stacking's output
        self._spare: np.ndarray | None = None

    @property
    def feature_names(self) -> list[str]:
        names = [name for part in self.parts_ for name in part.feature_names]
        if self.persistence_ is not None:
            names += [n.replace(":season_z", ":persist_z") for n in self.parts_[0].feature_names]
        if self.area_ is not None:
            names += [f"{k}:area_z" for k in self.kpis_ or ()]
        if self.run_ is not None:
            names += [f"{k}:run_z" for k in self.kpis_ or ()]
        if self.drift_ is not None:
            names += [f"{k}:drift_z" for k in self.kpis_ or ()]
        if self.level_ is not None:
            names += self.level_.feature_names
        if self.smooth_ is not None:
            names += [f"{k}:smooth_z" for k in self.kpis_ or ()]
        if self.record_ is not None:
            names += self.record_.feature_names
        return names

    def feature_weights(self) -> np.ndarray:
        weights = [part.feature_weights() for part in self.parts_]
        if self.persistence_ is not None:
            weights.append(weights[0])
        if self.area_ is not None:
            weights.append(np.eye(len(self.kpis_ or ())))
        if self.run_ is not None:
            weights.append(np.eye(len(self.kpis_ or ())))
        if self.drift_ is not None:
            weights.append(np.eye(len(self.kpis_ or ())))
        if self.level_ is not None:
            weights.append(self.level_.feature_weights())
        if self.smooth_ is not None:
            weights.append(np.eye(len(self.kpis_ or ())))
        if self.record_ is not None:
            weights.append(self.record_.feature_weights())
        return np.vstack(weights)

    def _memory_ratio(self) -> float:
        """Persistence's sample in 15-minute ticks: the cadence's for a few series (their
        memory is data time), 1 for a fleet (its memory is ticks)."""
        if not self.few_series():
            return 1.0
        return self.parts_[0].cadence_.ratio

    def few_series(self) -> bool:
        """At most :data:`FEW_SERIES` sectors seen: each series is its own context."""
        return len(self.registry) <= FEW_SERIES

    def local_hours(self, view: BatchView) -> np.ndarray:
        """Each row's hour (0-23) on the network's clock, from the seasonal part's slots."""
        season = self.parts_[0]
        return season.slots(view)[0] * 24 // season.slots_per_day

    def known_zeros(self, out: np.ndarray, known: np.ndarray) -> np.ndarray:
        """``out`` with the columns of each row's known-zero KPIs at 0
        (:mod:`~telecom_nb.features.zero_state`)."""
        if known.any():
            out = out.copy()
            out[(known.astype(np.float64) @ self.zero_columns_) > 0] = 0.0
        return out

    def zero_usual(self, view: BatchView) -> np.ndarray | None:
        """(rows x KPIs) :meth:`~telecom_nb.features.zero_state.ZeroStates.usual` of
        ``view`` under the state so far; None for a fleet (no zero states)."""
        if not self.few_series():
            return None
        return self.zeros_.usual(self.rows(view), scaled_view(view, self.kpis_ or ()),
                                 self.local_hours(view))

    def quiet_series(self, known: np.ndarray, n_series: int) -> np.ndarray:
        """(rows x seasonal series) mask of the series that read a known-zero KPI: their z
        is 0 for persistence to learn (a maintenance night's z of -30 in the running mean
        was an alarm for the hour after it, and widened the mean's usual spread)."""
        return (known.astype(np.float64) @ self.zero_columns_[:, :n_series]) > 0

    def _seasonal_z(self, view: BatchView, stage: str = "read") -> np.ndarray:
        """The seasonal part's z of ``view`` under the current state (computed once), a
        few series' recurring excursions taken off, a fleet's common mode and what its
        loads explain (``stage``: "raw" as the part gave it, "unloaded" before the load;
        "valid": a fleet's mask of the KPI values it read)."""
        cached = self._season_z
        if cached is None or cached[0] is not view or cached[1] != self._updates:
            z = adjusted = self.parts_[0].transform_view(view)
            if self.recur_ is not None:
                self.recur_.active = self.few_series()
                adjusted = self.recur_.adjust(self.rows(view), z, _ns(view))
            fleet = not self.few_series() and (self.common_ or self.load_) is not None
            valid = np.isfinite(self.parts_[0].series(view)) if fleet else z  # z 0: usual
            if self.common_ is not None and fleet:
                shift = DAY_TYPE_SHIFT if switched_on(self.parts_[0], view) else SHIFT
                family = self.load_.family_ if self.load_ is not None else None
                adjusted = self.common_.adjust(self.rows(view), _ns(view), adjusted, valid,
                                               shift, family)
            read = adjusted
            if self.load_ is not None and fleet:
                k = len(self.kpis_ or ())
                read = self.load_.adjust(self.rows(view), adjusted, valid[:, :k])
                read = self.load_.sharpen(self.rows(view), read,
                                          scaled_view(view, self.kpis_ or ()), valid[:, :k],
                                          self.parts_[0].cadence_.step_ns)
            cached = self._season_z = (view, self._updates, z, adjusted, read, valid)
        return cached[_SEASON_Z_AT[stage]]

    def _beside(self, view: BatchView) -> bool:
        """A large fleet tick: one part runs on the parts thread (:mod:`~.part_threads`)."""
        return part_threads.worth(len(view)) and not self.few_series()

    def _part_blocks(self, view: BatchView) -> list[np.ndarray]:
        """The seasonal z, then each part's block; in a large tick the peer part's on the
        parts thread (it reads the view, its state and the caches filled here first)."""
        others = self.parts_[1:]
        at = next((i for i, p in enumerate(others) if isinstance(p, PeerComparison)), None)
        if at is None or not self._beside(view):
            return [self._seasonal_z(view)] + [part.transform_view(view) for part in others]
        self.rows(view), scaled_view(view, self.kpis_ or ()), view.ns()  # shared caches
        first, peer, rest = part_threads.overlap(
            lambda: others[at].transform_view(view),
            before=lambda: [self._seasonal_z(view)] + [p.transform_view(view)
                                                       for p in others[:at]],
            after=lambda: [p.transform_view(view) for p in others[at + 1:]])
        return [*first, peer, *rest]

    def transform_view(self, view: BatchView) -> np.ndarray:
        blocks = self._part_blocks(view)
        peer = next((b for part, b in zip(self.parts_[1:], blocks[1:], strict=False)
                     if isinstance(part, PeerComparison)), None)
        k = len(self.kpis_ or ())
        if self.persistence_ is not None:
            self.persistence_.ratio = self._memory_ratio()
            blocks.append(self.persistence_.transform(self.rows(view), blocks[0]))
        if self.area_ is not None:
            blocks.append(np.zeros((len(view), k)) if self.few_series() or view.coords is None
                          else self.area_.transform(self.rows(view), _ns(view), blocks[0],
                                                self.parts_[0].cadence_.step_ns,
                                                self._load_z(view)))
        if self.run_ is not None:
            blocks.append(np.zeros((len(view), k)) if self.few_series() else
                          self.run_.transform(self.rows(view), self._run_deviation(view, peer),
                                              run_ticks(self.parts_[0].cadence_.step_ns)))
        if self.drift_ is not None:  # a drift its day-shape group shares is taken off
            shared = (None if self.common_ is None else self.common_.groups(self.rows(view)),
                      _ns(view), seasonal_count_drift(self.parts_[0], view))
            blocks.append(np.zeros((len(view), k)) if self.few_series() else
                          self.drift_.transform(self.rows(view), blocks[0][:, :k],
                                                self.parts_[0].cadence_.step_ns, *shared))
        if self.level_ is not None:
            self.level_.active = self.few_series()
            blocks.append(self.level_.transform_view(view))
        known = None
        if self.few_series():
            known = self.zeros_.known(self.rows(view), scaled_view(view, self.kpis_ or ()),
                                      self.local_hours(view))
        if self.smooth_ is not None:
            self.smooth_.active = self.few_series()
            z = self._quiet_kpi_z(blocks[0], known)
            blocks.append(self.smooth_.transform(self.rows(view), z, _ns(view)))
        if self.record_ is not None:
            self.record_.active = self.few_series()
            blocks.append(self.record_.transform_view(view))
        season = blocks[0][:, :k]
        # Peer, province and change z say *why* a sector is off, not *that* it is: each
        # counts only as far as the sector also leaves its own expectation, in the same
        # direction. Healthy sectors of a province where most peers fail sit above the
        # peer median; a sector coming back from an outage jumps up: neither is a fault.
        agree = [False] + [isinstance(part, PeerComparison | ShortTermChange)
                           for part in self.parts_[1:]]
        agree += [False] * (len(blocks) - len(agree))
        spare, self._spare = self._spare, None
        out = stack_agreeing(blocks, agree, season, agreeing, spare)
        return out if known is None else self.known_zeros(out, known)

    def recycle(self, features: np.ndarray) -> None:
        """The detector's last-but-one batch's features, read by nobody now: the next
        batch is stacked into them when the shape fits. A large matrix freed between
        ticks was faulted in again on the next (the VM hands pages idle for ~1 s back to
        its host: 100k x 46 float64 then re-touched cost 45-110 ms of thread CPU, ~5 ms
        kept); the price is one more such matrix held between ticks (46.4 MB at 100k
        sectors, 58 columns now)."""
        self._spare = features

    def _quiet_kpi_z(self, z: np.ndarray, known: np.ndarray | None) -> np.ndarray:
        """The KPIs' seasonal z with known zero states at 0 (``known``: a few series)."""
        z = z[:, : len(self.kpis_ or ())]
        return z if known is None else np.where(known, 0.0, z)

    def _run_deviation(self, view: BatchView, peer: np.ndarray | None = None) -> np.ndarray:
        """Each KPI's deviation from its peers in ``view`` as the stacked features read it
        (agreeing with the seasonal z), computed once per batch: the transform's, reused by
        the update. ``peer``: the peer part's block of ``view`` when known."""
        cached = self._run_dev
        if cached is None or cached[0] is not view or cached[1] != self._updates:
            k = len(self.kpis_ or ())
            season = self._seasonal_z(view)[:, :k]
            peers = [p for p in self.parts_[1:] if isinstance(p, PeerComparison)]
            if peer is None and peers:
                peer = peers[0].transform_view(view)
            dev = season if peer is None else tick_kernels.agreeing(peer[:, :k], season)
            if dev is None:
                dev = agreeing(peer[:, :k], season)
            own = None if self.load_ is None or self.few_series() else self.load_.held_residual(
                self.rows(view), scaled_view(view, self.kpis_ or ()),
                self._seasonal_z(view, "valid")[:, :k], self.parts_[0].cadence_.step_ns)
            if own is not None:  # a dependent read against its own row's load: that reading
                dev = np.where(np.isnan(own), dev, own)  # (module docstring of run_min)
            cached = self._run_dev = (view, self._updates, strongest(dev))
        return cached[2]

    def prepare_view(self, view: BatchView) -> None:
        for part in self.parts_:
            part.prepare_view(view)

    def update_view(self, view: BatchView) -> None:
        rows = self.registry.register(view.sector_ids)
        season, others = self.parts_[0], self.parts_[1:]
        # a demand swing is no wrong parameter: its series' runs teach at full weight
        season.load_series_ = load_series(season.feature_weights(),
                                          None if self.load_ is None else self.load_.family_)
        if self._beside(view):  # the seasonal part learns on the parts thread, so what
            # the steps read of its state (z, run deviation, cadence) is read before
            readers = (self.area_, self.drift_, self.persistence_, self.recur_, self.load_)
            if any(part is not None for part in readers):
                self._seasonal_z(view)
            if self.run_ is not None:
                self._run_deviation(view)
            step_ns = season.cadence_.step_ns
            part_threads.overlap(lambda: season.update_view(view),
                                 before=lambda: self._learn_steps(view, rows, step_ns),
                                 after=lambda: [part.update_view(view) for part in others])
        else:
            self._learn_steps(view, rows, season.cadence_.step_ns)
            for part in self.parts_:
                part.update_view(view)
        self._regroup(view)
        for part in (self.level_, self.record_):  # a few series' (a fleet's learn nothing)
            if part is not None:
                part.active = self.few_series()
                part.update_view(view)
        self._updates += 1
        self._season_z = self._run_dev = None
        self.forget_batch()


def _ns(view: BatchView) -> np.ndarray:
    return view.ns()
