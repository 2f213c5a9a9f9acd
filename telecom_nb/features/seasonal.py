"""Per-sector seasonal baseline: a sector compared with itself at this time of day.

For each sector x time slot x series (scaled KPIs and KPI relations) it keeps a
robust level (EW Huber mean); the spread is pooled over the sector's slots (a
slot sees one sample a day, too few for its own spread) and shrunk toward the
slot's own spread as the slot fills. While a slot is cold, the expected value is
the sector's overall level shifted by the fleet's profile for that slot (its
level scaled by the fleet's daily shape, on a log scale).

Slots are cut on the network's local wall clock (``timezone``). With ``weekly`` the
typical day is refined per weekday by :class:`~telecom_nb.features.weekly.WeekdayEffects`
(learned, shrunk toward the fleet's weekday shape while young): a weekend is not an
anomaly once it has been seen, nor a flood the first time. Counts and memories are in
reference ticks of 15 minutes (:mod:`~telecom_nb.features.cadence`), so a slot means the
same hours whatever the data's cadence.

Output: robust z-scores ``(x - expected) / spread``, clipped, 0 with no history.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from traitlets import Bool, Float, Int, observe, validate

from telecom_nb.defaults import FEW_SERIES
from telecom_nb.features import fleet_profile
from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.cadence import Cadence, per_sample
from telecom_nb.features.compact import STATE_FLOAT, wide
from telecom_nb.features.count_drift import loud_rows
from telecom_nb.features.day_type import DayType, day_type_trait, read_day, reading
from telecom_nb.features.holiday_params import holiday_traits
from telecom_nb.features.layout import grow_slot_major
from telecom_nb.features.lumpy import LumpyKpis
from telecom_nb.features.relation_offsets import RelationOffsets, moved_pairs, restart_columns
from telecom_nb.features.relations import (
    default_relations,
    relation_name,
    relation_values,
    relation_weights,
)
from telecom_nb.features.robust_stats import (
    MAD_TO_SIGMA,
    MIN_COUNT_TO_CLIP,
    RobustTable,
)
from telecom_nb.features.scaling import LOG_SPREAD_FLOOR, is_percent, scaled_view, spread_floors
from telecom_nb.features.time_slots import DAY_NS, HOUR_NS, TimeZone, time_slots, utc_days
from telecom_nb.features.view import ROWWISE, BatchView
from telecom_nb.features.weekly import WeekdayEffects
from telecom_nb.params import check_range, param_trait
from telecom_nb.sector_index import grow_rows, known_rows

Z_CLIP = 1000.0
#: relative spread floor: a z of 20 needs a move of at least one overall spread
REL_FLOOR = 0.05
#: a sector's own residuals outweigh the fleet's typical spread after this many samples
SPREAD_PRIOR_N = 8.0
#: samples a slot learns freely before its probable faults are gated
SLOT_WARM = 3.0


class SeasonalResiduals(FeatureExtractor):
    """Robust z of each KPI (and KPI relation) against the sector's own daily profile."""

    slots_per_day = param_trait(Int(24, help="time-of-day slots per day"))
    weekly = param_trait(Bool(True, help="learn day-of-week effects (weekends, half days)"))
    timezone = param_trait(TimeZone(help="IANA zone of the network's local calendar"))
    slot_alpha = param_trait(Float(0.1, help="EW weight of a new sample in its slot level"))
    sector_alpha = param_trait(Float(0.02, help="EW weight for sector-wide level/spread"))
    slot_prior = param_trait(Float(3.0, help="samples before a slot's own level dominates"))
    relations = param_trait(Bool(True, help="also model KPI relations (log ratios)"))
    holidays, holiday_like = holiday_traits()  # read by slots(): a day off's week slots
    day_type = day_type_trait()  # ... and a day off read from the fleet (day_type_)

    #: state newer than some checkpoints: derived by :meth:`derive_added_state`
    _state_added: tuple[str, ...] = ("rel_offsets_", "day_type_", "run_z_",
                                       "run_h_", "load_series_")

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

    @observe("slots_per_day", "weekly", "relations", "timezone")
    def _shape_changed(self, change) -> None:
        if self.kpis_ is not None:
            self._reset()  # a new slot grid or series list starts from scratch

    @observe("slot_prior")
    def _prior_changed(self, change) -> None:
        self.state_changed()

    @observe("slot_alpha", "sector_alpha")
    def _alpha_changed(self, change) -> None:
        if self.kpis_ is not None:
            self.slot_table_.alpha = self.slot_alpha
            self.sector_table_.alpha = self.sector_alpha

    def derive_added_state(self, names: Sequence[str]) -> None:
        """A checkpoint older than the relation offsets learned its relations on ``log1p``:
        they stay there (``c`` = 1). One older than the day type reads today afresh."""
        if "rel_offsets_" in names:
            self.rel_offsets_ = RelationOffsets.ones(len(self.kpis_ or ()))
        if "day_type_" in names:
            self.day_type_ = DayType()
        if "run_z_" in names:  # no run under way
            self.run_z_ = np.zeros(self.resid_dev_.shape, dtype=STATE_FLOAT)
        if "run_h_" in names:
            self.run_h_ = np.zeros(self.resid_dev_.shape, dtype=STATE_FLOAT)
        if "load_series_" in names:  # the pipeline sets it again before its next update
            self.load_series_ = np.zeros(self.resid_dev_.shape[1], dtype=bool)

    def fleet(self) -> bool:
        """More than :data:`FEW_SERIES` sectors seen: peers and fleet-wide state are read (a
        few series are each their own context)."""
        return len(self.registry) > FEW_SERIES

    def visit_share(self) -> float:
        """The share of a time slot one sample covers (cadence / slot length, at most 1):
        a day's visit of a slot is one observation however many samples it holds."""
        return min(1.0, self.cadence_.step_ns * self.slots_per_day / DAY_NS)

    def state_changed(self) -> None:
        """Forget the expectation kept from ``transform_view`` for ``update_view``."""
        self._cache = None

    def _reset(self) -> None:
        self.state_changed()
        kpis = self.kpis_ or ()
        self.pairs_ = default_relations(kpis) if self.relations else ()
        n_series = len(kpis) + len(self.pairs_)
        slots = self.slots_per_day
        self.cadence_ = Cadence()
        self.week_ = WeekdayEffects(slots, n_series) if self.weekly else None
        self.lumpy_ = LumpyKpis(kpis, self.pairs_, slots)
        self.rel_offsets_ = RelationOffsets(len(kpis))
        self.day_type_ = DayType()
        # float32, counts in uint16 tenths (widened on every read): the second-largest table
        self.slot_table_ = RobustTable((slots, n_series), self.slot_alpha, dtype=np.float32,
                                       count_dtype=np.uint16)
        # the overall level spans the daily cycle: its far samples are peaks, not faults
        self.sector_table_ = RobustTable((n_series,), self.sector_alpha, gate=False,
                                         dtype=STATE_FLOAT, count_dtype=STATE_FLOAT)
        self.resid_dev_ = np.zeros((0, n_series), dtype=STATE_FLOAT)
        self.prior_dev_ = np.zeros((0, n_series), dtype=STATE_FLOAT)
        self.far_run_ = np.zeros((0, n_series), dtype=STATE_FLOAT)
        # a fleet's run of off samples: EW mean of the clipped z (slot_run)
        self.run_z_ = np.zeros((0, n_series), dtype=STATE_FLOAT)
        self.run_h_ = np.zeros((0, n_series), dtype=STATE_FLOAT)  # ... and its hours
        # ... which a demand swing moves (the fleet's load family): never slowed
        self.load_series_ = np.zeros(n_series, dtype=bool)
        # hours of the slot's last far sample and its chain's state (slot_recurrence)
        self.slot_far_since_ = np.zeros((0, slots, n_series), dtype=np.float32)
        self.resid_count_ = np.zeros((0, n_series), dtype=STATE_FLOAT)
        self.fleet_offset_ = np.zeros((slots, n_series))
        self.fleet_count_ = np.zeros((slots, 1))
        self.fleet_spread_ = np.full(n_series, np.nan)
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
        """rows x series: scaled KPIs, then relations (cached on the view, per offsets)."""
        rel = self.rel_offsets_
        key = f"{ROWWISE}season_series{id(self)}{rel.key()}"
        if key not in view.cache:
            kpis = self.kpis_ or ()
            scaled = scaled_view(view, kpis)  # computed once per view for all parts
            out = np.empty((len(scaled), len(kpis) + len(self.pairs_)))
            out[:, : len(kpis)] = scaled
            if self.pairs_:  # a logged KPI's log is the scaled column (same bits)
                logged = {j: scaled[:, j] for j, kpi in enumerate(kpis) if not is_percent(kpi)}
                relation_values(view.raw, kpis, self.pairs_, rel.offsets(), logged=logged,
                                out=out[:, len(kpis):])
            view.cache[key] = out
        return view.cache[key]

    def prepare_view(self, view: BatchView) -> None:
        self.series(view)
        self.slots(view)

    def slots(self, view: BatchView) -> tuple[np.ndarray, np.ndarray]:
        """(time-of-day slot, week slot) of the view's rows on the local clock."""
        read = reading(self)
        key = (f"{ROWWISE}slots{self.slots_per_day}{self.timezone}{self.holidays}"
               f"{self.holiday_like}{read}")
        if key not in view.cache:
            view.cache[key] = time_slots(view.timestamps, self.slots_per_day, self.timezone,
                                         self.holidays, self.holiday_like, read)
        return view.cache[key]

    def expected_of(self, rows: np.ndarray, view: BatchView):
        """``_expected`` of the view's rows; learning a view just scored reuses the
        scoring's (nothing it reads changes in between: at 100k sectors ~100 ms a tick).
        Public: the day's count drift (:mod:`~telecom_nb.features.count_drift`) reads it."""
        kept = getattr(self, "_cache", None)
        if kept is not None and kept[0] is view and (kept[1] is rows
                                                     or np.array_equal(kept[1], rows)):
            return kept[2]
        out = self._expected(rows, self.slots(view), self.series(view))
        self._cache = (view, rows, out)  # a per-batch cache (snapshots skip it)
        return out

    def _expected(self, rows: np.ndarray, slots: tuple[np.ndarray, np.ndarray],
                  y: np.ndarray):
        """Expected value, spread, 'has history' mask, prior, oks and weekday effect."""
        from telecom_nb.features import seasonal_kernel  # it imports this module's constants

        compiled = seasonal_kernel.expected(self, rows, slots, y)
        if compiled is not None:
            return compiled  # the compiled twin of the lines below (same numbers)
        slot, wslot = slots
        expected, spread, has, prior, (spread_ok, shape_ok) = self._typical_day(rows, slot, y)
        effect, day_spread = np.zeros_like(expected), spread
        fleet_effect = effect
        if self.week_ is not None:
            # the weekday's effect is read against a warm typical day only
            warm = has & spread_ok & (self.slot_table_.counts((rows, slot)) >= SLOT_WARM)
            effect, var, fleet = self.week_.expect(rows, wslot, y - expected, warm, spread**2)
            effect = np.where(has, effect, 0.0)
            fleet_effect = np.where(has, fleet, 0.0)
            spread = np.sqrt(spread**2 + var)
        # the prior takes the fleet's weekday effect, not the sector's own: a week slot that
        # learned a fault (on its first visit, a fault hides in the unknown effect's spread)
        # is repaired by the next visit's samples that agree with the fleet
        return (expected + effect, spread, has, prior + fleet_effect, (spread_ok, shape_ok),
                (effect, day_spread, fleet_effect))

    def _typical_day(self, rows: np.ndarray, slot: np.ndarray, y: np.ndarray):
        """Expected value, spread and 'has history' mask on the typical day."""
        lvl_s, spr_s, n_s = self.slot_table_.get((rows, slot))
        lvl_o, spr_o, n_o = self.sector_table_.get((rows,))
        fleet, fleet_ok = fleet_profile.expected_offset(self, slot, y - lvl_o, n_o > 0)
        n_r = wide(self.resid_count_[rows])
        # Empirical Bayes: the fleet-shaped prior is worth ``slot_prior`` samples for a
        # sector it fits as well as the sector's own slots do, much less for one it does
        # not (a hot cell whose PRB saturates at peak): misfit = prior dev / slot dev.
        resid_dev = wide(self.resid_dev_[rows])
        misfit = wide(self.prior_dev_[rows]) / np.maximum(resid_dev, 1e-12)
        misfit = np.where(n_r >= 2, np.maximum(misfit, 1.0), 1.0)
        k = self.slot_prior / misfit**2
        w = np.where(n_s > 0, n_s / (n_s + k), 0.0)
        expected = w * lvl_s + (1.0 - w) * (lvl_o + fleet)
        own = np.where(n_r >= 2, resid_dev * MAD_TO_SIGMA, spr_o)
        # Until a sector has residuals of its own, its spread leans on the fleet's
        # typical one: a z-score from two samples' spread means nothing.
        prior = self.fleet_spread_
        pooled = np.where(np.isfinite(prior), (n_r * own + SPREAD_PRIOR_N * prior)
                          / (n_r + SPREAD_PRIOR_N), own)
        ws = np.clip(n_s - 1.0, 0.0, None)
        ws = ws / (ws + 8.0)
        spread = ws * spr_s + (1.0 - ws) * pooled
        spread = np.maximum(spread, np.maximum(self.floors_, REL_FLOOR * spr_o))
        # z means something once the spread does; a sample can be judged a fault (and a
        # new slot start from the expectation) only once the slot's shape is known too
        spread_ok = np.isfinite(prior) | (n_r >= MIN_COUNT_TO_CLIP)
        shape_ok = (n_s > 0) | fleet_ok
        return expected, spread, n_o > 0, lvl_o + fleet, (spread_ok, shape_ok)

    def transform_view(self, view: BatchView) -> np.ndarray:
        y = self.series(view)
        rows = self.rows(view)
        known = known_rows(rows, self.sector_table_.n_rows)
        if not known.any():
            return np.zeros_like(y)
        r = np.where(known, rows, 0)
        expected, spread, has, _, (spread_ok, shape_ok), _ = self.expected_of(r, view)
        fleet = self.fleet()
        if fleet:
            # a load at a small expected value is no more precise than its count (learning
            # gates on the slot's own spread, as before)
            floor = self.lumpy_.spread_floor(expected, self.rel_offsets_.offsets())
            if floor is not None:
                spread = np.maximum(spread, floor)
        z = np.subtract(y, expected)
        z /= spread  # in place: the same numbers as (y - expected) / spread, one copy fewer
        if fleet:
            days = utc_days(view.ns())
            z = self.lumpy_.z(np.where(known, rows, -1), self.slots(view), days, view.raw,
                              expected, z, self.cadence_.step_ns)
        ok = known[:, None] & has & spread_ok & shape_ok & np.isfinite(z)
        # z is this call's own: clipped and zeroed in place (no gathered copies of the ok
        # cells, no zero matrix: two rows x series temporaries fewer a tick)
        np.clip(z, -Z_CLIP, Z_CLIP, out=z)
        np.copyto(z, 0.0, where=~ok)
        return z if z.dtype == y.dtype else z.astype(y.dtype)

    def update_view(self, view: BatchView) -> None:
        rows = self.registry.register(view.sector_ids)
        need = len(self.registry)
        if len(view):
            self.rel_offsets_.begin(need, int(view.ns().min()))
        y = self.series(view)
        self.slot_table_.grow(need)
        self.sector_table_.grow(need)
        self.resid_dev_ = grow_rows(self.resid_dev_, need)
        self.prior_dev_ = grow_rows(self.prior_dev_, need)
        self.far_run_ = grow_rows(self.far_run_, need)
        self.run_z_ = grow_rows(self.run_z_, need)
        self.run_h_ = grow_rows(self.run_h_, need)
        self.slot_far_since_ = grow_slot_major(self.slot_far_since_, need)
        self.resid_count_ = grow_rows(self.resid_count_, need)
        if self.week_ is not None:
            self.week_.grow(need)
        self.cadence_.observe(view.ns())
        slot, wslot = self.slots(view)
        exp = self.expected_of(rows, view)
        expected, spread, has, _, _, (effect, day_spread, _) = exp
        # whole seconds floored as ``as_unit("s")`` does, from the view's cached ns (pandas'
        # conversion cost ~20-30 us a tick, at any size)
        now = ((view.ns() // 1_000_000_000) / 3600.0).astype(np.float32)
        from telecom_nb.features import seasonal_learn  # it imports this module's constants

        cells = seasonal_learn.learn_cells(self, rows, slot, now, y, exp)
        learned = (cells if cells is not None
                   else seasonal_learn.learn_cells_numpy(self, rows, slot, now, y, exp))
        _, _, _, far, _, day_warm, offset = learned
        fleet_profile.learn(self, offset, has, slot)  # from every sector, far or not
        fleet = self.fleet()
        if self.week_ is not None:
            # the weekday's effect: what is left against a warm typical day
            resid = y - (expected - effect)
            learns = self._week_learns(rows, slot, day_warm, fleet)
            if self.day_type and fleet:  # read before this tick teaches the weekday effects
                read_day(self, view, (slot, wslot), resid, (has, learns & ~far), day_spread)
            self.week_.update(rows, wslot, resid, learns, far, spread, day_spread**2,
                              self.visit_share())
        self.slot_table_.alpha = self._slot_weight(fleet)
        # A gated first sample starts the slot's cell at the prior, not at the fault; a
        # visit's recurring sample leaves the slot's spread alone (one compiled pass)
        if cells is None or not seasonal_learn.learn_tables(self, rows, slot, exp, cells):
            seasonal_learn.learn_tables_numpy(self, rows, slot, exp, learned)
        if fleet:  # read only then (the one-series pass has no such state)
            self.lumpy_.update(rows, (slot, wslot), utc_days(view.ns()), view.raw, need,
                               self.cadence_.step_ns,
                               loud_rows(self, view, exp) if self.lumpy_.counting() else None)
            rel = self.rel_offsets_
            if len(view) and rel.decide(int(view.ns().max()), self.lumpy_.noise()):
                moved = moved_pairs(rel.offsets_, self.lumpy_.pair_cols_)
                restart_columns(self, len(self.kpis_ or ()) + moved)  # in their new units
        self.state_changed()

    def _slot_weight(self, fleet: bool) -> float:
        """A fleet's slot level learns ``slot_alpha`` per hour of data (the hourly data it
        was tuned on: a slot's visit a day, ~10 % of a level change learned a day) when
        samples come faster. Per sample, a 15-minute slot's four samples a day learned 34 %
        of a wrong parameter's 40 % traffic drop a day (30 minutes: 19 %), so its seasonal
        z faded from -2 to -0.5 within 2-3 days (the slot's level took 25-28 % of the
        drop, its spread grew ~50 %) and the day-long drift reading it never built (tuning
        world t2632, 30 min: wrong-parameter row recall 0.55 -> 0.60, false rows 59 -> 51);
        at 5 minutes the memory was ~10 samples, under one visit. Hourly and slower data
        keep ``slot_alpha`` per sample."""
        ratio = self.cadence_.step_ns / HOUR_NS  # the samples' share of an hour
        return per_sample(self.slot_alpha, ratio) if fleet and ratio < 1.0 else self.slot_alpha

    def _week_learns(self, rows: np.ndarray, slot: np.ndarray, day_warm: np.ndarray,
                     fleet: bool) -> np.ndarray:
        """Where a fleet's weekday table learns: against a typical day that has seen a
        whole visit of the slot (a day's worth of its samples), not only this visit's first
        few. On the first day a slot's level is the running mean of the visit so far: on a
        morning ramp each later sample reads above it by half the ramp so far, and the
        week slot learned that lag as the weekday's effect, read back a week later against
        a mature typical day: at 5 minutes the whole fleet read low at the hour's first
        ticks on the first judged day (day 1's weekday; 06:00, the morning ramp). Slots shorter than
        ``SLOT_WARM`` samples a visit (hourly data) are unchanged."""
        per_visit = DAY_NS / (self.cadence_.step_ns * self.slots_per_day)
        if not fleet or per_visit <= SLOT_WARM:
            return day_warm
        return day_warm & (self.slot_table_.counts((rows, slot)) >= per_visit)
