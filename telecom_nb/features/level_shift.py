"""Level shift: the last hour's mean against the same hour on the previous days.

A cell that loses half its traffic for hours is a level shift of ~0.7 on the log scale,
yet at a 2-minute cadence each tick's seasonal z is about -0.5 (few-series LTE cells:
row recall 0.01): the seasonal spread of one tick holds the tick's noise *and* the
slot's shape within its hour, the same every day, which no running mean of seasonal z
averages away (an hour's mean of it has a normal 99.9 % quantile beyond a shift's peak).
An hour's mean of the KPI itself, compared with the same clock hour of the previous
days, carries the hour's shape on both sides: what is left is the day-to-day spread of
that hour, a fraction of a tick's. So, per sector and scaled KPI:

* data time is cut into 15-minute bins (UTC clock); the recent window is the current
  bin so far and the 3 bins before it (the last ~hour, :data:`WINDOWS`);
* its reference is the median, over the last :data:`DAYS` days that have it, of the same
  window's mean on each day (at least :data:`MIN_DAYS`), taken when the bin before closes;
* its scale is the median absolute deviation of those days' means, smoothed over the
  day's bins (the series' own day-to-day noise of an hour's mean);
* the feature is ``(recent - reference) / scale``, signed, 0 without enough history,
  and only as far as the same z over the last two bins (15-30 minutes) agrees: an hour's
  mean remembers an outage for an hour after it ends, the last bins do not.

Exact zeros are left out of the means: a zero is a state of its own
(:mod:`~telecom_nb.features.zero_state`), not a level; an hour holding a maintenance
window's zeros must not read as a shift once the window is over.

It tells a shift that lasts: the hour's mean (on both sides: today and the reference days)
leaves out the window's largest and smallest value when it holds :data:`TRIM_ROWS` or more
(a level is what at least two rows say). At 2 minutes a tick's spike moves an hour's mean
by 1/30 of itself, but at 5 minutes by 1/12 and at 15 minutes by 1/4: on a quiet series
(a server's CPU at 0.066 +- 0.001) one 5-minute burst of 1.4, a nightly job's, read 7-9 as
a "level" every night (NAB: 24ae8d, c6585a), and a row the level-shift part leads is never
routine (``detectors/routine.py``), so each night paged.
Each KPI's shift z is followed by its held z (:mod:`~telecom_nb.features.held_level`: how
far the hours 1 and 2 h before agreed with it), after all the shift columns.
Only for a few series (:data:`~telecom_nb.defaults.FEW_SERIES`): it keeps ``DAYS`` days
of bins per sector, and a fleet's shifts are told by its peers (its columns read 0 and
nothing is learned). The detectors read it as a part of its own, with its own null
(:class:`~telecom_nb.detectors.iforest.IsolationForestDetector`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.held_level import RING as HELD_RING
from telecom_nb.features.held_level import held_learn, held_read
from telecom_nb.features.level_shift_bins import (
    _NONE,
    BIN,
    BINS_PER_DAY,
    DAYS,
    MIN_DAYS,
    MIN_SCALE_BINS,
    ONE_STATE,
    PARTIAL_ROWS,
    RING,
    TRIMMED,
    WINDOWS,
    agree,
    reference,
    spread_weight,
    window_mean,
)
from telecom_nb.features.level_shift_one import derive_one, grow_one, learn_one, shift_one
from telecom_nb.features.level_slope import local_scale, smoothed_slope
from telecom_nb.features.scaling import is_percent, scaled_view, spread_floors
from telecom_nb.features.seasonal import Z_CLIP
from telecom_nb.features.view import BatchView
from telecom_nb.sector_index import grow_rows, known_rows

#: the references rows opened while scored: (state rows, their bins, per window
#: (reference, spread, spread count, smoothed slope)); None: no row opened a bin
Opened = tuple[np.ndarray, np.ndarray,
               list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] | None


def _opened_here(opened: Opened, rows: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """The order that maps ``opened``'s references onto a roll's ``rows`` (sorted, unique)
    opening bins ``b``, or None: other rows (the scoring read a day-old open bin as the
    roll stores it, :meth:`LevelShift._next_reference`, so the references are the same)."""
    if opened is None or len(opened[0]) != len(rows):
        return None
    r0, b0, _ = opened
    order = np.argsort(r0, kind="stable")
    if not (np.array_equal(r0[order], rows) and np.array_equal(b0[order], b)):
        return None
    return order


def bin_ids(view: BatchView) -> np.ndarray:
    """Absolute 15-minute bin of each row (UTC clock)."""
    return view.ns() // BIN.value


class LevelShift(FeatureExtractor):
    """Signed z of the last hour's mean against the same hour of the previous days."""

    #: state newer than some checkpoints: derived by :meth:`derive_added_state`
    _state_added: tuple[str, ...] = ("cur_max_", "cur_min_", "ring_max_", "ring_min_",
                                     "held_z_", "held_id_", *ONE_STATE, "slope_")

    def derive_added_state(self, names: Sequence[str]) -> None:
        """A checkpoint older than the trimmed hour: each stored bin's mean stands for its
        largest and smallest value (those windows read as before, untrimmed in effect);
        older than the held level: no hour held yet (it holds again after 2 hours); older
        than the level's slope (:mod:`.level_slope`): none, each next reference starts it."""
        n, k = self.cur_sum_.shape
        if "slope_" in names:
            self.slope_ = np.zeros((n, len(WINDOWS), k))
        if "held_z_" in names or "held_id_" in names:
            self.held_z_ = np.zeros((n, HELD_RING, k))
            self.held_id_ = np.full((n, HELD_RING), _NONE, dtype=np.int64)
        if "cur_max_" in names:
            self._derive_extremes()
        if set(ONE_STATE) & set(names):
            derive_one(self)

    def _derive_extremes(self) -> None:
        with np.errstate(invalid="ignore", divide="ignore"):
            cur = np.where(self.cur_n_ > 0, self.cur_sum_ / self.cur_n_, np.nan)
            ring = np.where(self.ring_n_ > 0, self.ring_sum_ / self.ring_n_, np.nan)
        self.cur_max_ = np.where(np.isnan(cur), -np.inf, cur)
        self.cur_min_ = np.where(np.isnan(cur), np.inf, cur)
        self.ring_max_ = np.where(np.isnan(ring), -np.inf, ring)
        self.ring_min_ = np.where(np.isnan(ring), np.inf, ring)

    def _reset(self) -> None:
        k = len(self.kpis_ or ())
        self.cur_bin_ = np.full(0, _NONE, dtype=np.int64)
        self.cur_sum_ = np.zeros((0, k))
        self.cur_n_ = np.zeros((0, k))
        self.cur_max_ = np.full((0, k), -np.inf)  # the open bin's largest and smallest value
        self.cur_min_ = np.full((0, k), np.inf)
        self.ring_sum_ = np.zeros((0, RING, k))
        self.ring_n_ = np.zeros((0, RING, k))
        self.ring_max_ = np.full((0, RING, k), -np.inf)
        self.ring_min_ = np.full((0, RING, k), np.inf)
        self.ring_id_ = np.full((0, RING), _NONE, dtype=np.int64)
        w = len(WINDOWS)
        self.ref_ = np.full((0, w, k), np.nan)  # reference of the bin after the last closed
        self.spread_ = np.zeros((0, w, k))  # smoothed day-to-day spread of the window's mean
        self.spread_n_ = np.zeros((0, w, k))
        self.slope_ = np.zeros((0, w, k))  # the log scale's slope the spread is smoothed at
        self.held_z_ = np.zeros((0, HELD_RING, k))  # each bin's last shift z (held_level)
        self.held_id_ = np.full((0, HELD_RING), _NONE, dtype=np.int64)
        self.cur_rows_ = np.zeros(0)  # one series (row 0): the open bin's rows so far
        p = (0, RING, PARTIAL_ROWS, k)  # each bin's first rows by position
        self.ring_psum_, self.ring_pn_ = np.zeros(p), np.zeros(p)
        self.ring_pmax_, self.ring_pmin_ = np.full(p, -np.inf), np.full(p, np.inf)
        self.pspread_ = np.zeros((0, w, PARTIAL_ROWS, k))  # the positions' spreads
        self.pspread_n_ = np.zeros((0, w, PARTIAL_ROWS, k))
        self.week_ = np.full((0, w, k), np.nan)  # the whole-bin reference's week-ago means
        self.ring_wz_ = np.full((0, RING, k), np.nan)  # each bin's z against its week before
        self.floors_ = spread_floors(self.kpis_ or ())
        #: set by the pipeline: at most a few series (otherwise nothing is computed)
        self.active = True

    @property
    def feature_names(self) -> list[str]:
        kpis = self.kpis_ or ()
        return [f"{k}:shift_z" for k in kpis] + [f"{k}:held_z" for k in kpis]

    def feature_weights(self) -> np.ndarray:
        eye = np.eye(len(self.kpis_ or ()))
        return np.vstack([eye, eye])

    def _scaled(self, view: BatchView) -> np.ndarray:
        return scaled_view(view, self.kpis_ or ())

    def _recent(self, r: np.ndarray, b: np.ndarray, y: np.ndarray,
                bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Sum, count, largest and smallest value of the last ``bins`` bins including ``y``
        (rows ``r``, bins ``b``)."""
        cur = self.cur_bin_[r]
        same = (b == cur)[:, None]
        ok = np.isfinite(y) & (y != 0.0)  # a zero is a state (zero_state), not a level
        c_sum = np.where(same, self.cur_sum_[r], 0.0) + np.where(ok, y, 0.0)
        c_n = np.where(same, self.cur_n_[r], 0.0) + ok
        hi = np.maximum(np.where(same, self.cur_max_[r], -np.inf), np.where(ok, y, -np.inf))
        lo = np.minimum(np.where(same, self.cur_min_[r], np.inf), np.where(ok, y, np.inf))
        p_sum = np.zeros_like(y)
        p_n = np.zeros_like(y)
        for j in range(bins - 1, 0, -1):  # oldest first (the compiled pass's order)
            want = b - j
            slot = want % RING
            stored = (self.ring_id_[r, slot] == want)[:, None]
            pending = (cur == want)[:, None]  # the open bin, closed by this row's learning
            s = np.where(stored, self.ring_sum_[r, slot], np.where(pending, self.cur_sum_[r], 0.0))
            n = np.where(stored, self.ring_n_[r, slot], np.where(pending, self.cur_n_[r], 0.0))
            p_sum = p_sum + s
            p_n = p_n + n
            hi = np.maximum(hi, np.where(stored, self.ring_max_[r, slot],
                                         np.where(pending, self.cur_max_[r], -np.inf)))
            lo = np.minimum(lo, np.where(stored, self.ring_min_[r, slot],
                                         np.where(pending, self.cur_min_[r], np.inf)))
        return p_sum + c_sum, p_n + c_n, hi, lo

    def transform_view(self, view: BatchView) -> np.ndarray:
        """The shift z of each KPI, then its held z (:mod:`.held_level`)."""
        z, rows, known, opened = self._shift(view)
        held = np.zeros_like(z)
        if known.any():
            r, b = rows[known], bin_ids(view)[known]
            held[known] = held_read(z[known], r, b, self.held_z_, self.held_id_)
        # read by update_view (a cache: snapshot.TRANSIENT); a fleet's part (inactive)
        # keeps nothing, so a learned batch's arrays are released
        self._last = (view, z, opened) if self.active else None
        return np.hstack([z, held])

    def held_series(self, b: np.ndarray, z: np.ndarray) -> np.ndarray:
        """One sector's (state row 0) held z of its rows' shift z ``z`` in bins ``b``, then
        learned: the one-series pass's."""
        r = np.zeros(len(b), dtype=np.intp)
        held = held_read(z, r, b, self.held_z_, self.held_id_)
        held_learn(z, r, b, self.held_z_, self.held_id_)
        return held

    def _shift(self, view: BatchView) -> tuple[np.ndarray, np.ndarray, np.ndarray, Opened]:
        """The shift z of each row and KPI, the rows' state rows, which are known, and the
        references of the bins a pool's rows open (:meth:`_roll` keeps them)."""
        y = self._scaled(view)
        out = np.zeros_like(y)
        rows = self.rows(view)
        known = known_rows(rows, len(self.cur_bin_))
        if not self.active or not known.any():
            return out, rows, np.zeros_like(known), None
        if len(self.registry) == 1:  # one series: a bin's first rows, the week before
            out[known], pending = shift_one(self, y[known], bin_ids(view)[known])
            return out, rows, known, pending
        r = rows[known]
        b = bin_ids(view)[known]
        good = np.isfinite(y[known])
        fresh = np.flatnonzero(b > self.cur_bin_[r])  # a row opening a bin reads its reference
        zs, opens = [], []
        linear = self._linear()
        for w, bins in enumerate(WINDOWS):
            total, count, hi, lo = self._recent(r, b, y[known], bins)
            ref, spread, spread_n = self.ref_[r, w], self.spread_[r, w], self.spread_n_[r, w]
            sloped = self.slope_[r, w]
            if len(fresh):
                ref, spread, spread_n = ref.copy(), spread.copy(), spread_n.copy()
                sloped = sloped.copy()
                opens.append(self._next_reference(r[fresh], b[fresh], w, bins, linear))
                ref[fresh], spread[fresh], spread_n[fresh], sloped[fresh] = opens[-1]
            scale = local_scale(spread, ref, sloped, linear, self.floors_)
            mean = window_mean(total, count, hi, lo, TRIMMED[w])
            with np.errstate(invalid="ignore", divide="ignore"):
                z = (mean - ref) / scale
            good = good & (spread_n >= MIN_SCALE_BINS) & np.isfinite(z)
            zs.append(z)
        hour, recent = zs
        # the hour's shift counts as far as the last bins show it too (its memory must not
        # outlive a fault: an outage's hour stays low for an hour after it ends)
        z = agree(hour, recent)
        out[known] = np.where(good, np.clip(z, -Z_CLIP, Z_CLIP), 0.0)
        opened = (r[fresh], b[fresh], opens) if len(fresh) else None
        return out, rows, known, opened

    def update_view(self, view: BatchView) -> None:
        if not self.active:
            return
        last = getattr(self, "_last", None)
        if last is not None and last[0] is view:
            z, opened = last[1], last[2]
        else:
            z, _, _, opened = self._shift(view)
        self._last = None
        y = self._scaled(view)
        rows = self.registry.register(view.sector_ids)
        self._grow(len(self.registry))
        b = bin_ids(view)
        held_learn(z, rows, b, self.held_z_, self.held_id_)
        if len(self.registry) == 1:
            if not isinstance(opened, list):  # no row was known: scored 0
                opened = [(-1 if b_ < self.cur_bin_[0] else 0 if b_ > self.cur_bin_[0]
                           else int(self.cur_rows_[0]), [], None) for b_ in b.tolist()]
            learn_one(self, y, b, opened)
            return
        opened = opened if isinstance(opened, tuple) else None  # one series' until now
        rolled = b > self.cur_bin_[rows]
        if rolled.any():
            self._roll(rows[rolled], b[rolled], opened)
        same = b == self.cur_bin_[rows]  # a late row of an older bin is ignored
        r, ys = rows[same], y[same]
        ok = np.isfinite(ys) & (ys != 0.0)
        np.add.at(self.cur_sum_, r, np.where(ok, ys, 0.0))
        np.add.at(self.cur_n_, r, ok.astype(np.float64))
        np.maximum.at(self.cur_max_, r, np.where(ok, ys, -np.inf))
        np.minimum.at(self.cur_min_, r, np.where(ok, ys, np.inf))

    def _roll(self, rows: np.ndarray, b: np.ndarray, opened: Opened = None) -> None:
        """Close each sector's open bin into the ring; the reference of its new bin (those
        the scoring read, ``opened``, when they are these: computed twice, they were ~8 %
        of an hourly pool's replay)."""
        rows, first = np.unique(rows, return_index=True)
        b = b[first]
        kept = _opened_here(opened, rows, b)
        cur = self.cur_bin_[rows]
        has = cur != _NONE
        hr, slot = rows[has], cur[has] % RING
        self.ring_sum_[hr, slot] = self.cur_sum_[hr]
        self.ring_n_[hr, slot] = self.cur_n_[hr]
        self.ring_max_[hr, slot] = self.cur_max_[hr]
        self.ring_min_[hr, slot] = self.cur_min_[hr]
        self.ring_id_[hr, slot] = cur[has]
        self.cur_bin_[rows] = b
        self.cur_sum_[rows] = 0.0
        self.cur_n_[rows] = 0.0
        self.cur_max_[rows] = -np.inf
        self.cur_min_[rows] = np.inf
        linear = self._linear()
        for w, bins in enumerate(WINDOWS):
            (self.ref_[rows, w], self.spread_[rows, w], self.spread_n_[rows, w],
             self.slope_[rows, w]) = (
                self._next_reference(rows, b, w, bins, linear) if kept is None
                else tuple(a[kept] for a in opened[2][w]))

    def _next_reference(self, rows: np.ndarray, b: np.ndarray, w: int, bins: int,
                        linear: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                     np.ndarray]:
        """Reference, smoothed spread, its count and the slope it is smoothed at
        (:mod:`.level_slope`) once bin ``b`` opens, for window ``w``
        of ``bins`` bins (state unchanged; ``linear``: :meth:`_linear`, read once a batch):
        the previous days' bins are all closed, so a
        row opening a bin can read them before its learning rolls the bin (one series and
        pools alike: ``level_shift_kernel.shift_pass`` rolls first).

        At an hour's cadence every row opens a bin: read against the open (previous) bin's
        reference, an hour was compared with the hour before's on the previous days, and
        each day's ramps read as shifts (few-series ``lte60``: normal midnight rows at
        shift z -5 to -10 on three KPIs together, the evening's peak hours -2 to -4,
        the morning's +2).

        All days at once, bin by bin in the same order (each day's sums are the same
        additions), and the medians over the days without numpy's masked-array nanmedian:
        the few-series replay spent ~half its tick here (1,000 ticks of 10 sectors)."""
        k = self.cur_sum_.shape[1]
        shape = (len(rows), DAYS, k)
        w_sum, w_n = np.zeros(shape), np.zeros(shape)
        hi, lo = np.full(shape, -np.inf), np.full(shape, np.inf)
        back = b[:, None] - np.arange(1, DAYS + 1) * BINS_PER_DAY  # rows x days
        at = rows[:, None]
        # a day-old open bin (a sector back after a gap) read as the roll then stores it
        cur, c_sum, c_n = self.cur_bin_[at], self.cur_sum_[at], self.cur_n_[at]
        c_max, c_min = self.cur_max_[at], self.cur_min_[at]
        for j in range(bins - 1, -1, -1):
            want = back - j
            slot = want % RING
            stored = (self.ring_id_[at, slot] == want)[:, :, None]
            pending = (cur == want)[:, :, None]
            w_sum = w_sum + np.where(stored, self.ring_sum_[at, slot],
                                     np.where(pending, c_sum, 0.0))
            w_n = w_n + np.where(stored, self.ring_n_[at, slot], np.where(pending, c_n, 0.0))
            hi = np.maximum(hi, np.where(stored, self.ring_max_[at, slot],
                                         np.where(pending, c_max, -np.inf)))
            lo = np.minimum(lo, np.where(stored, self.ring_min_[at, slot],
                                         np.where(pending, c_min, np.inf)))
        means = window_mean(w_sum, w_n, hi, lo, TRIMMED[w])
        valid = (~np.isnan(means)).sum(axis=1)
        n = self.spread_n_[rows, w]
        ref, spread, count = reference(means, valid, self.spread_[rows, w], n)
        sloped = smoothed_slope(ref, self.slope_[rows, w], n, valid >= MIN_DAYS, linear,
                                spread_weight(n))
        return ref, spread, count, sloped

    def _linear(self) -> np.ndarray:
        """Per KPI: compared in its own units (its slope is 1, :mod:`.level_slope`)."""
        return np.array([is_percent(k) for k in self.kpis_ or ()], dtype=bool)

    def _grow(self, n: int) -> None:
        if len(self.cur_bin_) >= n:
            return
        self.cur_bin_ = grow_rows(self.cur_bin_, n, _NONE)
        self.cur_sum_ = grow_rows(self.cur_sum_, n, 0.0)
        self.cur_n_ = grow_rows(self.cur_n_, n, 0.0)
        self.ring_sum_ = grow_rows(self.ring_sum_, n, 0.0)
        self.ring_n_ = grow_rows(self.ring_n_, n, 0.0)
        self.cur_max_ = grow_rows(self.cur_max_, n, -np.inf)
        self.cur_min_ = grow_rows(self.cur_min_, n, np.inf)
        self.ring_max_ = grow_rows(self.ring_max_, n, -np.inf)
        self.ring_min_ = grow_rows(self.ring_min_, n, np.inf)
        self.ring_id_ = grow_rows(self.ring_id_, n, _NONE)
        self.held_z_ = grow_rows(self.held_z_, n, 0.0)
        self.held_id_ = grow_rows(self.held_id_, n, _NONE)
        self.ref_ = grow_rows(self.ref_, n, np.nan)
        self.spread_ = grow_rows(self.spread_, n, 0.0)
        self.spread_n_ = grow_rows(self.spread_n_, n, 0.0)
        self.slope_ = grow_rows(self.slope_, n, 0.0)
        grow_one(self, n)

