"""Glue for :mod:`series_kernel`: one sector's rows through :class:`KpiFeatures` in one pass.

:class:`SeriesPass` takes the per-row arrays of a whole table once, then
``run(a, b)`` scores and learns rows ``a:b`` exactly as ``transform_view`` then
``update_view`` would batch by batch (one row per batch, the only sector): the state
arrays of the extractor are updated in place. ``SeriesPass.of`` returns None where the
pass does not apply (numba missing, another feature set, several sectors, or several
rows per timestamp); callers then loop over batches.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from telecom_nb.features import series_kernel
from telecom_nb.features.change import ShortTermChange
from telecom_nb.features.compact import STATE_FLOAT, bits, count_cap, count_units
from telecom_nb.features.level_shift import bin_ids
from telecom_nb.features.level_shift_kernel import shift_pass
from telecom_nb.features.peers import PeerComparison
from telecom_nb.features.pipeline import KpiFeatures
from telecom_nb.features.range_novelty import (
    GUMBEL_SHIFT,
    MAX_LOG_P,
    RangeNovelty,
    z_of_log_p,
)
from telecom_nb.features.recurrence import time_bins
from telecom_nb.features.scaling import scaled_view
from telecom_nb.features.view import BatchView

_NONE = np.zeros((1, 1))


def _part(features: KpiFeatures, kind: type):
    return next((p for p in features.parts_ if isinstance(p, kind)), None)


class SeriesPass:
    """Compiled scoring + learning of one series' rows (see module docstring)."""

    def __init__(self, features: KpiFeatures, view: BatchView) -> None:
        self.features = features
        season = features.parts_[0]
        self.change = _part(features, ShortTermChange)
        self.novelty = _part(features, RangeNovelty)
        self.peers = _part(features, PeerComparison) is not None
        self.y = season.series(view)
        self.slot, self.wslot = season.slots(view)
        ts = view.timestamps
        self.hours = (ts.as_unit("s").asi8 / 3600.0).astype(np.float32)
        self.tns = ts.as_unit("ns").asi8
        k = len(features.kpis_ or ())
        self.yz = scaled_view(view, features.kpis_ or ())  # known zero states, level shift
        self.bins = bin_ids(view)
        self.local_hour = features.local_hours(view)  # known zero states
        #: the last run's rows' usual zeros (ZeroStates.usual: zero_part reads the others)
        self.usual = np.zeros((0, len(features.kpis_ or ())), dtype=bool)
        self.yc = self.change._scaled(view) if self.change else np.zeros((len(view), k))
        if self.novelty:
            self.yn = self.novelty._scaled(view)
            self.bid = self.novelty._block_ids(view)
            blocks = self.novelty.blocks
            self.spacing = np.log(np.maximum(np.arange(blocks + 1), 1)) + GUMBEL_SHIFT
        else:
            self.yn, self.bid, self.spacing = self.yc, np.zeros(len(view), np.int64), _NONE[0]

    @classmethod
    def of(cls, features: object, view: BatchView) -> SeriesPass | None:
        """A pass over ``view`` if it is one sector, one row per timestamp, else None."""
        if series_kernel.numba is None or type(features) is not KpiFeatures:
            return None
        if features.kpis_ is None or len(view) < 2:
            return None
        ids = view.sector_ids
        if not (ids == ids[0]).all() or len(features.registry) > 1:
            return None
        if len(features.registry) == 1 and features.registry.ids[0] != ids[0]:
            return None
        if not (np.diff(view.ns()) > 0).all():
            return None
        return cls(features, view)

    @staticmethod
    def ready(features: KpiFeatures) -> bool:
        """The sector has state rows (its first batch went the ordinary way)."""
        return len(features.registry) == 1

    def run(self, a: int, b: int) -> np.ndarray:
        """Features of rows ``a:b`` under the state so far; the rows are then learned."""
        f = self.features
        season, p, ch, nv = f.parts_[0], f.persistence_, self.change, self.novelty
        n = b - a
        out = np.zeros((n, len(f.feature_names)))
        k = self.yc.shape[1]
        nov = np.full((n, k, 2), np.nan)
        nov_n = np.zeros(n, dtype=np.int64)
        week = season.week_
        times = list(season.cadence_._times)
        cad_t = np.zeros(17, dtype=np.int64)
        cad_t[: len(times)] = times
        cad = np.array([len(times), season.cadence_.step_ns], dtype=np.int64)
        w16, w8 = np.zeros((1, 1, 1), dtype=np.uint16), np.zeros((1, 1, 1), dtype=np.uint8)
        cfg = (float(season.slot_table_.alpha), float(season.sector_table_.alpha),
               float(season.slot_prior), float(week.alpha if week else 0.0),
               float(p.usual_.alpha if p else 0.0), float(ch.fast_alpha if ch else 0.0),
               float(ch.spread_alpha if ch else 0.0), float(nv.tolerance if nv else 0.0),
               float(count_units(season.slot_table_.count)))
        ints = (int(season.slots_per_day), int(week is not None), int(p is not None),
                int(ch is not None), int(nv is not None), int(self.peers),
                int(nv.blocks if nv else 1), int(nv.min_blocks if nv else 0),
                count_cap(week.alpha) if week else 0)
        s = slice(a, b)
        # known zero states first: they read only the KPIs and their own state, and the
        # persistence inside the pass learns a known zero's series as z = 0
        self.usual = np.zeros(self.yz[s].shape, dtype=bool)
        known = f.zeros_.scan(0, self.yz[s], self.local_hour[s], self.usual)  # few series
        quiet = f.quiet_series(known, len(season.feature_names))
        series_kernel.series_pass(
            self.y[s], self.yc[s], self.yn[s], self.slot[s], self.wslot[s], self.hours[s],
            self.tns[s], self.bid[s], out, nov, nov_n, cfg, ints,
            season.slot_table_.level, season.slot_table_.dev, season.slot_table_.count,
            season.sector_table_.level, season.sector_table_.dev, season.sector_table_.count,
            season.resid_dev_, season.prior_dev_, season.far_run_, season.slot_far_since_,
            season.resid_count_, season.fleet_offset_, season.fleet_count_,
            season.fleet_spread_, season.floors_,
            bits(week.level_) if week else w16, week.count_ if week else w8,
            week.fleet_ if week else _NONE, week.tau2_ if week else _NONE,
            week.fleet_count_ if week else _NONE[0], cad_t, cad,
            *self._persistence(p), *self._change(ch, k), *self._novelty(nv, k),
            self.spacing, quiet, *self._recurrence(f.recur_, len(season.feature_names)),
            time_bins(self.tns[s]), int(f.recur_ is not None))
        season.cadence_._times = deque(cad_t[: cad[0]].tolist(), maxlen=17)
        season.cadence_.step_ns = int(cad[1])
        if week is not None and b > a:  # the samples a visit holds, as the last row's update
            week.note_visit(season.visit_share())
        if nv:
            self._novelty_z(out, nov, nov_n, f)
        sm, rc = f.smooth_, f.record_
        last = out.shape[1] - (k if rc is not None else 0)  # the record columns start here
        end = last - (k if sm is not None else 0)  # the held columns end here
        lv = f.level_
        if lv is not None:  # one sector: a few series, the part is active
            lv.active = True
            shift = out[:, end - 2 * k : end - k]  # then each KPI's held z
            shift_pass(self.yz[s], self.bins[s], shift, lv.cur_bin_,
                       lv.cur_sum_, lv.cur_n_, lv.cur_max_, lv.cur_min_, lv.ring_sum_,
                       lv.ring_n_, lv.ring_max_, lv.ring_min_, lv.ring_id_, lv.ref_,
                       lv.spread_, lv.spread_n_, lv.floors_, lv.cur_rows_, lv.ring_psum_,
                       lv.ring_pn_, lv.ring_pmax_, lv.ring_pmin_, lv.pspread_, lv.pspread_n_,
                       lv.week_, lv.ring_wz_)
            out[:, end - k : end] = lv.held_series(self.bins[s], shift)
        if sm is not None:  # the seasonal z as the pass left it, known zeros at 0
            sm.active = True
            sm.run(np.where(quiet[:, :k], 0.0, out[:, :k]), self.tns[s], out[:, end:last])
        if rc is not None:  # one sector: a few series, the part is active
            out[:, last:] = rc.series(self.tns[s], self.yz[s])
        out = f.known_zeros(out, known)
        season.state_changed()
        f._updates += n
        f._season_z = None
        return out

    @staticmethod
    def _recurrence(rc, n_series: int):
        if rc is None:
            f4 = np.zeros((1, 1, 1, max(n_series, 1)), dtype=np.float32)
            return f4, f4, np.zeros((1, 1), dtype=np.int64)
        rc.active = True  # one sector: a few series
        rc._grow(1)
        return rc.hi_, rc.lo_, rc.day_

    @staticmethod
    def _persistence(p):
        if p is None:  # the tables' storage: one compiled pass with or without them
            z = np.zeros((1, 1), dtype=STATE_FLOAT)
            return z, z, z, z, np.zeros(1)
        return p.mean_, p.usual_.level, p.usual_.dev, p.usual_.count, p.fleet_sd_

    @staticmethod
    def _change(ch, k: int):
        if ch is None:
            z = np.zeros((1, max(k, 1)), dtype=STATE_FLOAT)
            return z, z, z, np.zeros(max(k, 1))
        return ch.level_, ch.dev_, ch.count_, ch.floors_

    @staticmethod
    def _novelty(nv, k: int):
        if nv is None:
            f3 = np.zeros((1, 1, max(k, 1)), dtype=np.float32)
            i2 = np.zeros((1, 1), dtype=np.int64)
            i1 = np.zeros(1, dtype=np.int64)
            f2 = np.zeros((1, max(k, 1)))
            return (f3, f3, i2.astype(np.int32), i2, i1, f2, f2, i1, np.zeros((1, 4, max(k, 1))),
                    i1, i1, f2[0], np.zeros(max(k, 1), dtype=np.bool_))
        return (nv.ring_max_, nv.ring_min_, nv.ring_n_, nv.ring_id_, nv.cur_id_, nv.cur_max_,
                nv.cur_min_, nv.cur_n_, nv.st_, nv.st_n_, nv.st_k_, nv.floors_, nv.percent_)

    def _novelty_z(self, out: np.ndarray, nov: np.ndarray, nov_n: np.ndarray,
                   f: KpiFeatures) -> None:
        """numpy's tail of ``RangeNovelty._z`` on the rows the pass marked."""
        excess, up = nov[:, :, 0], nov[:, :, 1]
        ok = np.isfinite(excess)
        if not ok.any():
            return
        base = np.log10(nov_n + 1.0)[:, None]
        log_p = np.minimum(base + excess / math.log(10.0), MAX_LOG_P)
        z = np.zeros_like(excess)
        lp = log_p[ok]
        z[ok] = z_of_log_p(lp, up[ok] > 0)
        start = len(f.parts_[0].feature_names) + sum(
            len(q.feature_names) for q in f.parts_[1:] if not isinstance(q, RangeNovelty))
        out[:, start : start + z.shape[1]] = z

