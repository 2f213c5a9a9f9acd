"""A day's count of a ratio's rare events against the sum of its time-of-day slots' rates.

A wrong parameter change lifts a cell's E-RAB drop rate x2.5-4 for days and moves little
else: per period one or two drops where ~0.5 were due, a seasonal z of ~1 that the drift
(:mod:`~telecom_nb.features.drift`) averages too little of. Where the export carries the
ratio's own counter (:mod:`~telecom_nb.features.count_denominator`) the day is countable:
~60 drops where ~20 were due is a Poisson z of ~9. A single 8-day rate per sector is wrong
where the rate moves with the time of day (failures at the busy hour's load, the night's
few calls): a day's count is therefore compared with the sum of each period's trials times
its own slot's rate (:data:`SLOT_HOURS` slots of the local day, ~8 days of memory each,
shrunk toward the sector's all-day rate while a slot has seen few events).

Per sector x denominated KPI the rarer outcome is counted (drops of a drop rate, failures
of a success rate). The day's events ``K`` and expected events ``M`` are EW sums with the
drift's memory of about a day of data time; their Poisson variance is the sum of the
squared weights times the expected counts (a second EW), plus what the slot rates' own
events leave unknown. A period's events count at most :data:`CLIP_X` times its expected
ones, and a burst well beyond that (:data:`BURST_ADD`) as expected (a setup-failure surge's
burst is its own alarm, not a day's drift, nor a reason to read the next hours as one).
A row reads the day's evidence only while it holds the shift up: the last few hours' count
:data:`HOLD_Z` above its expected one (and an event of its own), whose chance multiplies
the day's tail; a period its sector is loudly off in (:data:`LOUD_Z`) counts as expected.
The result is written as the drift column's equivalent normal deviate (the drift part adds
its constant hold chance, :data:`~telecom_nb.features.drift.HOLD_LOG_P`, which is
taken off here), so the drift part, its floor and the fault-tail gate read it as they read
the drift. State per sector: the slots' EW events and trials, the day's sums and
hours seen; nothing is allocated until a KPI has a denominator.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from scipy.special import log_ndtr, ndtri

from telecom_nb.features.drift import HOLD_LOG_P
from telecom_nb.features.time_slots import HOUR_NS
from telecom_nb.sector_index import grow_rows, known_rows

#: hours of the local day per rate slot (6 slots: night, morning, ..., late evening)
SLOT_HOURS = 4
#: days of memory of a slot's events and trials
RATE_DAYS = 8.0
#: EW weight of an hour of data in the day's sums (the drift's ``ALPHA_HOUR``)
DAY_ALPHA_HOUR = 0.04
#: pseudo-events of the sector's all-day rate a slot's rate is shrunk with
PRIOR_EVENTS = 5.0
#: a period's events count at most this many times its expected events (plus one)
CLIP_X = 5.0
#: a period with more events than :data:`CLIP_X` times its expected plus this is a burst,
#: its own alarm on the KPI (a setup-failure surge: 18-47 failures where ~2 were due): it
#: counts as expected, as a loud period does, so the day's sums and the recent hours do
#: not carry it into the hours after the fault (main read the surge's next hours at 11,
#: with 1-2 failures a period). A rate x4 (a wrong parameter) rarely gives one (at an
#: expected 0.4 an hour, 1.6 events: 6 or more in 0.6 % of its hours)
BURST_ADD = 3.0
#: a row holds the shift up while the last few hours' count (:data:`RECENT_HOURS`) is this
#: far above its expected one (a Poisson z) and the row has an event: the hours after a
#: fault's burst (a setup-failure surge, interference) lower it within hours, a wrong
#: parameter keeps it up. Tuning world t1478 (30 min), false-alarm rows against main's 113:
#: one row's own 2x 233 (110 of the new within a day after a fault), 4 hours at 1.5 213,
#: 2 hours at 2.0 145 (wrong parameters found 7 of 8 in each, main 5)
HOLD_Z = 2.0
#: EW memory of the recent count, hours of data
RECENT_HOURS = 2.0
#: a period whose sector is this far off on some KPI (its raw seasonal z) is a loud fault's:
#: its events count as expected in the day's sums (its own alarm, not a day's drift)
LOUD_Z = 8.0
#: hours of data before a sector's count drift is read (its slot rates settle)
MIN_HOURS = 48.0
#: a day's count is read only with this many expected events behind it
MIN_EXPECTED = 5.0
#: the slots' rates learn this much of a period the day's count already calls a drift
GATED_WEIGHT = 0.2
#: ... once its day z is this far out
GATE_Z = 4.0
#: the log chance of a row to hold a normal count up (the recent z beyond HOLD_Z)
_LOG_HOLD = float(log_ndtr(-HOLD_Z))


class DayRead(NamedTuple):
    """One tick's read of the day's sums (what :meth:`SlotCountDrift.read` scores and
    :meth:`SlotCountDrift.update` learns), per row x denominated KPI unless said."""

    cols: np.ndarray  # the denominated KPIs
    k: np.ndarray  # the rarer outcome's events (NaN: not countable)
    n: np.ndarray  # trials
    flip: np.ndarray  # per KPI: its events are the failures of a success rate
    at: np.ndarray  # flat index of the row's sector x KPI
    cell: np.ndarray  # flat index of its slot
    known: np.ndarray  # per row: its sector is registered
    r: np.ndarray  # per row: its sector (0 where unknown)
    mu: np.ndarray  # expected events
    kc: np.ndarray  # events as counted in the sums (clipped; loud periods as expected)
    big_k: np.ndarray  # the day's EW events, expected events and variance
    big_m: np.ndarray
    big_v: np.ndarray
    z: np.ndarray  # the day's Poisson z
    rec: tuple[np.ndarray, np.ndarray, np.ndarray]  # the recent hours' EW k, m, variance
    rec_z: np.ndarray  # their z
    loud: np.ndarray | None  # per row: its sector is loudly off


def n_rate_slots() -> int:
    """Rate slots per day."""
    return 24 // SLOT_HOURS


class SlotCountDrift:
    """Per sector x KPI with a denominator: the day's rare events against its slots' rates."""

    #: the last tick read (raw, rows, slot, its sums): learned without computing them again
    _cache: tuple | None = None

    def __init__(self, n_kpis: int, slots_per_day: int) -> None:
        self.slots_per_day = int(slots_per_day)
        j = n_rate_slots()
        self.events_ = np.zeros((0, n_kpis, j), dtype=np.float32)
        self.trials_ = np.zeros((0, n_kpis, j), dtype=np.float32)
        # the day's EW events, expected events and variance (squared weights)
        self.day_k_ = np.zeros((0, n_kpis), dtype=np.float32)
        self.day_m_ = np.zeros((0, n_kpis), dtype=np.float32)
        self.day_v_ = np.zeros((0, n_kpis), dtype=np.float32)
        # the recent hours' EW events, expected events and variance
        self.rec_k_ = np.zeros((0, n_kpis), dtype=np.float32)
        self.rec_m_ = np.zeros((0, n_kpis), dtype=np.float32)
        self.rec_v_ = np.zeros((0, n_kpis), dtype=np.float32)
        self.hours_ = np.zeros(0, dtype=np.float32)
        # per sector x KPI over its slots: the events and the sum of 1 / (events + prior),
        # kept as a slot's sums change (a read gathers one slot, not all of them)
        self.total_ = np.zeros((0, n_kpis))
        self.tried_ = np.zeros((0, n_kpis))
        self.inverse_ = np.zeros((0, n_kpis))

    def _counts(self, raw: np.ndarray, den: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """``(cols, k, n, flip)``: the denominated KPIs, each row's events and trials
        (NaN: not countable) and whether the KPI's events are its successes (a success
        rate: the failures ``n - k`` are counted)."""
        cols = np.flatnonzero(den >= 0)
        if not len(cols):
            return None
        n = raw[:, den[cols]].astype(np.float64)
        v = raw[:, cols].astype(np.float64)
        ok = np.isfinite(n) & np.isfinite(v) & (n >= 1.0) & (v >= 0.0) & (v <= 100.0)
        k = np.where(ok, np.round(v * n / 100.0), np.nan)
        n = np.where(ok, n, np.nan)
        # the rarer outcome: a KPI whose values sit above 50 % counts its failures
        # (read on a sample of rows: a rate sits on one side of 50 % fleet-wide)
        every = max(1, len(v) // 1000)
        sample = np.where(ok, v, 0.0)[::every]
        flip = sample.sum(axis=0) > 50.0 * np.maximum(ok[::every].sum(axis=0), 1)
        k = np.where(flip[None, :], n - k, k)
        return cols, k, n, flip

    def _rates(self, at: np.ndarray, cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows x cols) each row's slot rate (shrunk to the sector's all-day rate) and the
        mean over slots of ``1 / events`` behind a rate (the rates' own uncertainty);
        ``at``, ``cell``: flat indices of the rows' sector x KPI and its slot."""
        ev_s = np.take(self.events_.reshape(-1), cell).astype(np.float64)
        tr_s = np.take(self.trials_.reshape(-1), cell).astype(np.float64)
        day_rate = (np.take(self.total_.reshape(-1), at) + 0.5) / (
            np.take(self.tried_.reshape(-1), at) + 1.0)
        rate = (ev_s + PRIOR_EVENTS) / (tr_s + PRIOR_EVENTS / day_rate)
        return np.clip(rate, 1e-9, 1.0), np.take(self.inverse_.reshape(-1), at) / n_rate_slots()

    def _day(self, rows: np.ndarray, slot: np.ndarray, raw: np.ndarray, den: np.ndarray,
             step_ns: int, loud: np.ndarray | None = None) -> DayRead | None:
        """The day's sums with this tick's rows, or None (no denominated KPI or state); a
        tick read is learned without computing it again."""
        kept = self._cache
        if (kept is not None and kept[0] is raw and np.array_equal(kept[1], rows)
                and np.array_equal(kept[2], slot)):
            return kept[3]
        counts = self._counts(raw, den)
        if counts is None or not len(self.events_):
            return None
        cols, k, n, flip = counts
        known = known_rows(rows, len(self.events_))
        r = np.where(known, rows, 0)
        j = (slot * n_rate_slots() // self.slots_per_day).astype(np.int64)
        at = r[:, None] * self.day_k_.shape[1] + cols[None, :]
        cell = at * n_rate_slots() + j[:, None]
        rate, inv = self._rates(at, cell)
        mu = np.where(np.isfinite(n), n * rate, 0.0)
        kc = np.where(k > CLIP_X * mu + BURST_ADD, mu, np.minimum(k, CLIP_X * mu + 1.0))
        kc = np.where(np.isfinite(k), kc, 0.0)
        if loud is not None:
            kc = np.where(loud[:, None], mu, kc)
        hours = step_ns / HOUR_NS if step_ns > 0 else 1.0
        keep = (1.0 - DAY_ALPHA_HOUR) ** hours
        big_k = keep * np.take(self.day_k_.reshape(-1), at) + kc
        big_m = keep * np.take(self.day_m_.reshape(-1), at) + mu
        big_v = keep**2 * np.take(self.day_v_.reshape(-1), at) + mu
        var = big_v + big_m**2 * inv / n_rate_slots()
        z = (big_k - big_m - 0.5) / np.sqrt(np.maximum(var, 1e-9))
        fade = (1.0 - 1.0 / RECENT_HOURS) ** hours
        rec = tuple(fade**p * np.take(getattr(self, name).reshape(-1), at) + add for name, p, add
                    in (("rec_k_", 1, kc), ("rec_m_", 1, mu), ("rec_v_", 2, mu)))
        rec_z = (rec[0] - rec[1] - 0.5) / np.sqrt(np.maximum(rec[2], 1e-9))
        day = DayRead(cols, k, n, flip, at, cell, known, r, mu, kc, big_k, big_m, big_v, z, rec,
                      rec_z, loud)
        self._cache = (raw, rows.copy(), slot.copy(), day)
        return day

    def read(self, rows: np.ndarray, slot: np.ndarray, raw: np.ndarray, den: np.ndarray,
             step_ns: int, loud: np.ndarray | None = None) -> np.ndarray | None:
        """(rows x KPIs) the drift column's equivalent deviate of the day's count (signed
        as the KPI moves: a success rate's failures read negative), 0 where a row does not
        hold the shift up or the sector is young; None: nothing countable."""
        day = self._day(rows, slot, raw, den, step_ns, loud)
        if day is None:
            return None
        ok = (day.known & (self.hours_[day.r] >= MIN_HOURS))[:, None] & np.isfinite(day.k)
        ok &= (day.mu > 0) & (day.k >= 1.0) & (day.rec_z >= HOLD_Z)
        ok &= (day.big_m >= MIN_EXPECTED) & (day.z > 0)
        out = np.zeros((len(rows), raw.shape[1]))
        i, c = np.nonzero(ok)
        if not len(i):
            return out
        log_p = log_ndtr(-day.z[i, c]) + _LOG_HOLD + HOLD_LOG_P * math.log(10.0) - math.log(2.0)
        u = -ndtri(np.exp(np.clip(log_p, -700.0, math.log(0.5))))
        out[i, day.cols[c]] = np.where(day.flip[c], -u, u)
        return out

    def update(self, rows: np.ndarray, slot: np.ndarray, raw: np.ndarray, den: np.ndarray,
               n_rows: int, step_ns: int, loud: np.ndarray | None = None) -> None:
        """Learn this tick (distinct sector rows, all registered; ``loud``: rows whose
        sector is loudly off on some KPI, see :data:`LOUD_Z`)."""
        if not (den >= 0).any():
            return
        fresh = len(self.total_)
        for name in ("events_", "trials_", "day_k_", "day_m_", "day_v_", "hours_", "total_",
                     "tried_", "inverse_", "rec_k_", "rec_m_", "rec_v_"):
            setattr(self, name, grow_rows(getattr(self, name), n_rows))
        self.inverse_[fresh:] = n_rate_slots() / PRIOR_EVENTS  # no events in any slot yet
        day = self._day(rows, slot, raw, den, step_ns, loud)
        if day is None:
            return
        self._cache = None
        k, n, at, cell, kc, z, loud = day.k, day.n, day.at, day.cell, day.kc, day.z, day.loud
        for name, value in (("day_k_", day.big_k), ("day_m_", day.big_m), ("day_v_", day.big_v),
                            ("rec_k_", day.rec[0]), ("rec_m_", day.rec[1]), ("rec_v_", day.rec[2])):
            getattr(self, name).reshape(-1)[at] = value
        hours = step_ns / HOUR_NS if step_ns > 0 else 1.0
        self.hours_[rows] += hours
        # the slot's sums: ~RATE_DAYS of its visits, a drifting day's periods learned less
        keep = (1.0 - 1.0 / (RATE_DAYS * SLOT_HOURS)) ** hours
        w = np.where((z >= GATE_Z) | (False if loud is None else loud[:, None]),
                     GATED_WEIGHT, 1.0)
        seen = np.isfinite(k)
        events, trials = self.events_.reshape(-1), self.trials_.reshape(-1)
        ev, tr = events[cell], trials[cell]
        new = np.where(seen, keep * ev + w * kc, ev).astype(np.float32)
        new_tr = np.where(seen, keep * tr + w * np.nan_to_num(n), tr).astype(np.float32)
        events[cell], trials[cell] = new, new_tr
        self.total_.reshape(-1)[at] += new.astype(np.float64) - ev
        self.tried_.reshape(-1)[at] += new_tr.astype(np.float64) - tr
        self.inverse_.reshape(-1)[at] += 1.0 / (new + PRIOR_EVENTS) - 1.0 / (ev + PRIOR_EVENTS)


def seasonal_count_drift(season: Any, view: Any) -> np.ndarray | None:
    """A fleet's day count drift of its denominated ratios (rows x KPIs), or None, read
    from the seasonal part ``season`` (its expected values, slots and lumpy-KPI counts)."""
    if not season.fleet() or not season.lumpy_.counting():
        return None
    rows = season.rows(view)
    known = known_rows(rows, season.sector_table_.n_rows)
    loud = loud_rows(season, view, season.expected_of(np.where(known, rows, 0), view),
                     bool(known.all()))
    return season.lumpy_.count_drift(np.where(known, rows, -1), season.slots(view)[0],
                                     view.raw, season.cadence_.step_ns, loud)


def loud_rows(season: Any, view: Any, exp: tuple, exact: bool = True) -> np.ndarray:
    """Rows whose sector is loudly off on some KPI (a fault's own periods, which the day
    does not count: :data:`LOUD_Z`); once per view (``exact``: every row's sector known, so
    the seasonal part's learning may reuse it)."""
    key = "count_drift_loud"  # state-dependent: not carried to slices (not ROWWISE)
    kept = view.cache.get(key)
    if kept is not None and kept[1]:
        return kept[0]
    k = len(season.kpis_ or ())
    dev = np.subtract(season.series(view)[:, :k], exp[0][:, :k])
    np.abs(dev, out=dev)
    dev /= exp[1][:, :k]
    loud = (dev >= LOUD_Z).any(axis=1)  # NaN: not loud
    view.cache[key] = (loud, exact)
    return loud
