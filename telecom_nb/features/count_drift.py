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
ones (a setup-failure surge's burst is its own alarm, not a day's drift). A row reads the
day's evidence only while it holds the shift up: its own events at least :data:`HOLD_X`
times the expected (and one), whose Poisson chance under the slot's rate multiplies the
day's tail. The result is written as the drift column's equivalent normal deviate (the
drift part adds its constant hold chance, :data:`~telecom_nb.detectors.drift_part.HOLD_LOG_P`,
which is taken off here), so the drift part, its floor and the fault-tail gate read it as
they read the drift. State per sector: the slots' EW events and trials, the day's sums and
hours seen; nothing is allocated until a KPI has a denominator.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammainc, log_ndtr, ndtri

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
#: a row holds the shift up when its own events are at least this many times the expected
HOLD_X = 2.0
#: hours of data before a sector's count drift is read (its slot rates settle)
MIN_HOURS = 48.0
#: a day's count is read only with this many expected events behind it
MIN_EXPECTED = 5.0
#: the slots' rates learn this much of a period the day's count already calls a drift
GATED_WEIGHT = 0.2
#: ... once its day z is this far out
GATE_Z = 4.0
#: the drift part's hold chance (two-sided normal beyond the drift's HOLD_Z of 2.0)
_HOLD_LOG10 = -math.log10(math.erfc(2.0 / math.sqrt(2.0)))


def n_rate_slots() -> int:
    """Rate slots per day."""
    return 24 // SLOT_HOURS


class SlotCountDrift:
    """Per sector x KPI with a denominator: the day's rare events against its slots' rates."""

    def __init__(self, n_kpis: int, slots_per_day: int) -> None:
        self.slots_per_day = int(slots_per_day)
        j = n_rate_slots()
        self.events_ = np.zeros((0, n_kpis, j), dtype=np.float32)
        self.trials_ = np.zeros((0, n_kpis, j), dtype=np.float32)
        # the day's EW events, expected events and variance (squared weights)
        self.day_k_ = np.zeros((0, n_kpis), dtype=np.float32)
        self.day_m_ = np.zeros((0, n_kpis), dtype=np.float32)
        self.day_v_ = np.zeros((0, n_kpis), dtype=np.float32)
        self.hours_ = np.zeros(0, dtype=np.float32)

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
        flip = np.nanmedian(np.where(ok, v, np.nan), axis=0) > 50.0 if ok.any() else \
            np.zeros(len(cols), dtype=bool)
        flip = np.nan_to_num(flip).astype(bool)
        k = np.where(flip[None, :], n - k, k)
        return cols, k, n, flip

    def _rates(self, r: np.ndarray, cols: np.ndarray, slot: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        """(rows x cols) each row's slot rate (shrunk to the sector's all-day rate) and the
        mean over slots of ``1 / events`` behind a rate (the rates' own uncertainty)."""
        ev = self.events_[r[:, None], cols[None, :]].astype(np.float64)  # rows x cols x J
        tr = self.trials_[r[:, None], cols[None, :]].astype(np.float64)
        day_rate = (ev.sum(axis=2) + 0.5) / (tr.sum(axis=2) + 1.0)
        j = slot[:, None, None]
        ev_s = np.take_along_axis(ev, np.broadcast_to(j, (len(r), len(cols), 1)), axis=2)[..., 0]
        tr_s = np.take_along_axis(tr, np.broadcast_to(j, (len(r), len(cols), 1)), axis=2)[..., 0]
        rate = (ev_s + PRIOR_EVENTS) / (tr_s + PRIOR_EVENTS / day_rate)
        inv = (1.0 / (ev + PRIOR_EVENTS)).mean(axis=2)
        return np.clip(rate, 1e-9, 1.0), inv

    def _day(self, rows: np.ndarray, slot: np.ndarray, raw: np.ndarray, den: np.ndarray,
             step_ns: int):
        """The day's sums with this tick's rows, or None (no denominated KPI or state)."""
        counts = self._counts(raw, den)
        if counts is None or not len(self.events_):
            return None
        cols, k, n, flip = counts
        known = known_rows(rows, len(self.events_))
        r = np.where(known, rows, 0)
        j = (slot * n_rate_slots() // self.slots_per_day).astype(np.int64)
        rate, inv = self._rates(r, cols, j)
        mu = np.where(np.isfinite(n), n * rate, 0.0)
        kc = np.where(np.isfinite(k), np.minimum(k, CLIP_X * mu + 1.0), 0.0)
        hours = step_ns / HOUR_NS if step_ns > 0 else 1.0
        keep = (1.0 - DAY_ALPHA_HOUR) ** hours
        big_k = keep * self.day_k_[r[:, None], cols[None, :]] + kc
        big_m = keep * self.day_m_[r[:, None], cols[None, :]] + mu
        big_v = keep**2 * self.day_v_[r[:, None], cols[None, :]] + mu
        var = big_v + big_m**2 * inv / n_rate_slots()
        z = (big_k - big_m - 0.5) / np.sqrt(np.maximum(var, 1e-9))
        return cols, k, n, flip, j, known, r, mu, kc, big_k, big_m, big_v, z

    def read(self, rows: np.ndarray, slot: np.ndarray, raw: np.ndarray, den: np.ndarray,
             step_ns: int) -> np.ndarray | None:
        """(rows x KPIs) the drift column's equivalent deviate of the day's count (signed
        as the KPI moves: a success rate's failures read negative), 0 where a row does not
        hold the shift up or the sector is young; None: nothing countable."""
        day = self._day(rows, slot, raw, den, step_ns)
        if day is None:
            return None
        cols, k, _, flip, _, known, r, mu, _, _, big_m, _, z = day
        h = np.maximum(1.0, np.ceil(HOLD_X * mu))
        ok = (known & (self.hours_[r] >= MIN_HOURS))[:, None] & np.isfinite(k) & (mu > 0)
        ok &= (k >= h) & (big_m >= MIN_EXPECTED) & (z > 0)
        out = np.zeros((len(rows), raw.shape[1]))
        i, c = np.nonzero(ok)
        if not len(i):
            return out
        # P(X >= h) of a Poisson(mu): the row's own chance to hold the shift up
        log_hold = np.log(np.maximum(gammainc(h[i, c], mu[i, c]), 1e-300))
        log_p = log_ndtr(-z[i, c]) + log_hold + _HOLD_LOG10 * math.log(10.0) - math.log(2.0)
        u = -ndtri(np.exp(np.clip(log_p, -700.0, math.log(0.5))))
        out[i, cols[c]] = np.where(flip[c], -u, u)
        return out

    def update(self, rows: np.ndarray, slot: np.ndarray, raw: np.ndarray, den: np.ndarray,
               n_rows: int, step_ns: int) -> None:
        """Learn this tick (distinct sector rows, all registered)."""
        if not (den >= 0).any():
            return
        for name in ("events_", "trials_", "day_k_", "day_m_", "day_v_", "hours_"):
            setattr(self, name, grow_rows(getattr(self, name), n_rows))
        day = self._day(rows, slot, raw, den, step_ns)
        if day is None:
            return
        cols, k, n, _, j, _, _, _, kc, big_k, big_m, big_v, z = day
        at = (rows[:, None], cols[None, :])
        self.day_k_[at], self.day_m_[at], self.day_v_[at] = big_k, big_m, big_v
        hours = step_ns / HOUR_NS if step_ns > 0 else 1.0
        self.hours_[rows] += hours
        # the slot's sums: ~RATE_DAYS of its visits, a drifting day's periods learned less
        keep = (1.0 - 1.0 / (RATE_DAYS * SLOT_HOURS)) ** hours
        w = np.where(z >= GATE_Z, GATED_WEIGHT, 1.0)
        seen = np.isfinite(k)
        cell = (rows[:, None], cols[None, :], j[:, None])
        ev, tr = self.events_[cell], self.trials_[cell]
        self.events_[cell] = np.where(seen, keep * ev + w * kc, ev)
        self.trials_[cell] = np.where(seen, keep * tr + w * np.nan_to_num(n), tr)
