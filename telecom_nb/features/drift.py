"""Drift: a KPI held moderately off for a day, judged against the sector's own day-long mean.

A wrong parameter lifts a cell's E-RAB drop rate x2.5-4 (0.4 % -> 1.2 %) or takes 40 % of its
users for one to four days. Per hour that is ~1 spread (a drop rate of a few hundred calls
an hour), and the persistence's memory of ~3 ticks averages too little of it: its column
reads 1-2 where a flag needs 4-6. An RF engineer sees it on the day's chart: ~12 drops where
~4 were due. So per sector x KPI the seasonal z, clipped at :data:`Z_CLIP` (one outlier hour
is not a day's shift), is averaged with a memory of about a day of data time
(:data:`ALPHA_HOUR` per hour) and standardised by that mean's *own* level and spread in
the sector (EW over ~8 days, Huber-clipped): slow drifts of normal life (weather, a busy
week) widen the sector's spread, and a sector that sits off for days moves its level. Its
null is thus fixed by construction (about normal), not fitted on a window whose deep tail
is the faults' own (sixteenth-session helpers: every fitted null missed these).

The day-long mean outlives the fault that fed it, and a fault's echo (a baseline that
learned some of it) holds a KPI off for a day after: so the drift counts for a row only
while the row itself holds the shift up (its seasonal z at least :data:`HOLD_Z` on the
same side, as a count run reads only on values consistent with it). Offline on tuning world
o1143 (third generator, hourly): without that rule 1,300-1,800 post-fault rows were over the
threshold, with it (a z of 1.5) 25, of 2 10. Fleets only (a few series read 0: their
level-shift part reads this).

The spread must not learn the shift it reads (long53: a wrong parameter's day mean 4-5
spreads out doubled the variance in ~17 h), yet must learn what is not the sector's own: a
loud fault's day-long echo (a spread that had not learned the fault read its echo as a
drift) and a shift its day-shape group shares. So a reading row teaches the variance at
:data:`SPREAD_HUBER` only when the sector read no big z within :data:`QUIET_NS` and its
group does not share the drift; every other row at :data:`HUBER`. State: per sector x KPI
the running mean, its level, variance and hours seen.
"""

from __future__ import annotations

import math

import numpy as np

from telecom_nb.features import drift_common, drift_kernel
from telecom_nb.features.compact import STATE_FLOAT, wide
from telecom_nb.features.drift_tail import RecentBig
from telecom_nb.features.time_slots import HOUR_NS
from telecom_nb.sector_index import grow_rows, known_rows

#: EW weight of an hour of data in the running mean (a memory of about a day)
ALPHA_HOUR = 0.04
#: EW weight of an hour of data in the mean's level and variance (about 8 days)
SPREAD_ALPHA_HOUR = 0.005
#: a tick's seasonal z counts at most this far (an outage hour is not a day's drift)
Z_CLIP = 2.0
#: a row reads its drift only while its own seasonal z holds the shift up this far (o1143:
#: wrong parameters found 60 of 93 at 1.5, 63 at 2.0, false-alarm rows 425 -> 418)
HOLD_Z = 2.0
#: -log10 of a row's chance to hold a normal shift up (two-sided normal beyond ``HOLD_Z``):
#: the drift part's hold penalty, which the count drift takes off its own reading
HOLD_LOG_P = -math.log10(2.0 * 0.5 * math.erfc(HOLD_Z / math.sqrt(2.0)))
#: hours of data before a sector's drift is read (its level and spread settle)
MIN_HOURS = 48.0
#: the level and variance are Huber-clipped at this many spreads (a fault moves them slowly)
HUBER = 3.0
#: a row the drift reads as the sector's own (its z holding the shift up, the drift
#: :data:`READ_U` or more on that side, its day-shape group not sharing it) teaches the
#: variance at most this many spreads: at ``HUBER`` a wrong parameter's day mean 4-5
#: spreads out doubles the variance in ~17 h of data, the very shift the drift reads
#: widening its null (long53: a traffic variant's spread 0.33 -> 0.64 in three days)
SPREAD_HUBER = 1.5
#: a drift this far out on a holding row is a reading whose spread is bounded (the part's
#: alarm, a raw 4.0, is about 3.3 with a few KPI families): between 2 and 3 a heavier-tailed
#: normal day mean sits often (the simulator's payload and PRB), a wrong parameter's drift
#: passes 3 within hours (drift54: at 2.0 the 10-day simulator flagged 8,576 rows, at 3.0
#: 8,553, main 8,528; tuning o2915 62 -> 61 false rows, o2916 181 -> 180, events equal)
READ_U = 3.0
#: a reading within this data time after any KPI of the sector read a big z
#: (``drift_tail.BIG_Z``) teaches the spread at ``HUBER``: the day-long mean holds a loud
#: fault's echo for about a memory (1 / ``ALPHA_HOUR`` ~25 h), and a spread that had not
#: learned the fault read its echo as a drift (drift54, tuning worlds 2915-2918: 30 of
#: long53's 37 new false rows came 0.5-16 h after another fault of the cell, 19 of them an
#: interference's)
QUIET_NS = 24 * HOUR_NS


def step_hours(step_ns: int) -> float:
    """Hours of data one sample stands for (an unknown cadence counts as hourly)."""
    return step_ns / HOUR_NS if step_ns > 0 else 1.0


def weights(step_ns: int) -> tuple[float, float, float]:
    """(running mean's EW weight per sample, its level/spread weight, the mean's spread
    for independent unit z-scores) at a sampling step of ``step_ns``."""
    hours = step_hours(step_ns)
    alpha = 1.0 - (1.0 - ALPHA_HOUR) ** hours
    slow = 1.0 - (1.0 - SPREAD_ALPHA_HOUR) ** hours
    return alpha, slow, math.sqrt(alpha / (2.0 - alpha))


class Drift:
    """Per sector x KPI: day-long EW mean of the clipped seasonal z, on its own spread."""

    #: a loud fault's tail (:mod:`drift_tail`); None: a checkpoint from before it (made
    #: on its first update)
    tail_: RecentBig | None = None

    def __init__(self, n_kpis: int) -> None:
        self.mean_ = np.zeros((0, n_kpis), dtype=STATE_FLOAT)
        self.level_ = np.zeros((0, n_kpis), dtype=STATE_FLOAT)
        self.var_ = np.zeros((0, n_kpis), dtype=STATE_FLOAT)
        self.hours_ = np.zeros(0)
        self.tail_ = RecentBig(n_kpis)

    def _current(self, rows: np.ndarray, z: np.ndarray, alpha: float) -> np.ndarray:
        """The running mean with this tick (a sector not seen yet starts from 0)."""
        known = known_rows(rows, len(self.mean_))
        prev = np.zeros(z.shape)
        prev[known] = self.mean_[rows[known]]
        return (1.0 - alpha) * prev + alpha * np.clip(z, -Z_CLIP, Z_CLIP)

    def transform(
        self,
        rows: np.ndarray,
        z: np.ndarray,
        step_ns: int,
        group: np.ndarray | None = None,
        times: np.ndarray | None = None,
        counted: np.ndarray | None = None,
    ) -> np.ndarray:
        """Standardised running mean including this tick's ``z`` (rows x KPIs), 0 where the
        row's own z does not hold the shift up or the sector is too young. ``group``, ``times``
        (per row its day-shape group, -1 none, and data time): a drift that many sectors of
        the row's group share at that tick is not read (:mod:`drift_common`); with ``times``,
        nor a KPI's within hours of a loud fault's z (:mod:`drift_tail`). ``counted``: a
        ratio's day count drift (:mod:`count_drift`), read where it says more and the row's
        own z is on its side at all: after a fault the day's count and its recent hours hold
        the fault's failures for hours, and rows back on the good side read them (t2522, 15
        min: 59 false rows within 6 h after a fault, RRC Setup SR, count drift 8-20)."""
        out = self._transform(rows, z, step_ns, group, times)
        if counted is not None:  # only on a row whose own z is on its side (NaN: not)
            np.copyto(out, counted, where=(np.abs(counted) > np.abs(out)) & (counted * z > 0))
        if times is not None and self.tail_ is not None:
            self.tail_.gate(out, rows, z, times)
        return out

    def _transform(self, rows: np.ndarray, z: np.ndarray, step_ns: int,
                   group: np.ndarray | None, times: np.ndarray | None) -> np.ndarray:
        known = known_rows(rows, len(self.mean_))
        if not known.any():
            return np.zeros_like(z)
        alpha, _, white = weights(step_ns)
        common = group is not None and times is not None and drift_common.applies(group)
        fast = drift_kernel.drift_z(self, rows, z, alpha, white, not common)
        if fast is not None and not common:
            return fast  # (no zero matrix made for nothing: a 100k tick's fresh pages)
        out = np.zeros_like(z)
        r = np.where(known, rows, 0)
        read = known & (self.hours_[r] >= MIN_HOURS)
        if fast is not None:
            u = fast
        else:
            sd = np.maximum(np.sqrt(wide(self.var_[r])), white)
            u = (self._current(rows, z, alpha) - wide(self.level_[r])) / sd
        holds = (np.sign(z) == np.sign(u)) & (np.abs(z) >= HOLD_Z)
        ok = read[:, None] & holds
        if common:
            ok &= ~drift_common.shared(u, read, group, times)
        out[ok] = u[ok]
        return out

    def _own(self, rows: np.ndarray, z: np.ndarray, alpha: float, white: float,
             group: np.ndarray | None, times: np.ndarray | None) -> np.ndarray | None:
        """(rows x KPIs) where a drift is the sector's own, not one its day-shape group
        shares at the tick (:mod:`drift_common`); None: no groups, every drift is own."""
        if group is None or times is None or not drift_common.applies(group):
            return None
        known = known_rows(rows, len(self.mean_))
        if not known.any():
            return None
        u = drift_kernel.drift_z(self, rows, z, alpha, white, False)
        r = np.where(known, rows, 0)
        if u is None:
            sd = np.maximum(np.sqrt(wide(self.var_[r])), white)
            u = (self._current(rows, z, alpha) - wide(self.level_[r])) / sd
        read = known & (self.hours_[r] >= MIN_HOURS)
        return ~drift_common.shared(u, read, group, times)

    def update(self, rows: np.ndarray, z: np.ndarray, n_rows: int, step_ns: int,
               times: np.ndarray | None = None, group: np.ndarray | None = None) -> None:
        """Learn this tick's ``z`` (distinct sector rows; ``times``: their data time, for
        the fault-tail gate; ``group``: their day-shape group, -1 none, for the spread:
        only a drift the group does not share is the sector's own)."""
        alpha, slow, white = weights(step_ns)
        own = self._own(rows, z, alpha, white, group, times)
        if times is not None:
            if self.tail_ is None:
                self.tail_ = RecentBig(z.shape[1])
            self.tail_.update(rows, z, times, n_rows)
            # a loud fault's day-long echo is no shift of the sector's own: its spread
            # learns it as before (this tick's big z counts)
            quiet = self.tail_.quiet(rows, times, QUIET_NS)[:, None]
            own = np.broadcast_to(quiet, z.shape) if own is None else own & quiet
        hours = step_hours(step_ns)
        # grown rows read 0, as a sector not seen yet does in ``_current``
        self.mean_ = grow_rows(self.mean_, n_rows)
        self.level_ = grow_rows(self.level_, n_rows)
        self.var_ = grow_rows(self.var_, n_rows)
        self.hours_ = grow_rows(self.hours_, n_rows)
        # distinct sectors in order: the compiled pass, in place
        if drift_kernel.drift_learn(self, rows, z, alpha, slow, white, hours, own):
            return
        current = self._current(rows, z, alpha)
        fresh = self.hours_[rows] == 0.0
        # a new sector's spread starts at twice white (a mean of unit z-scores rarely less)
        self.var_[rows[fresh]] = 4.0 * white**2
        sd = np.maximum(np.sqrt(wide(self.var_[rows])), white)
        dev = np.clip(current - wide(self.level_[rows]), -HUBER * sd, HUBER * sd)
        u = (current - wide(self.level_[rows])) / sd
        reads = (self.hours_[rows] >= MIN_HOURS)[:, None] & (
            ((z >= HOLD_Z) & (u >= READ_U)) | ((z <= -HOLD_Z) & (u <= -READ_U)))
        if own is not None:
            reads &= own
        bound = np.where(reads, SPREAD_HUBER, HUBER) * sd
        bounded = np.clip(dev, -bound, bound)
        self.level_[rows] = wide(self.level_[rows]) + slow * dev
        self.var_[rows] = (1.0 - slow) * wide(self.var_[rows]) + slow * bounded**2
        self.mean_[rows] = current
        self.hours_[rows] += hours
