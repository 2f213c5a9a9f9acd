"""Labelled fault episodes for the KPI simulator (vectorised over sectors).

A :class:`FaultProcess` keeps one episode slot per sector (kind, ticks elapsed and
left, severity), so episodes never overlap on a sector. Each tick it ages running
episodes, draws new ones for idle sectors with numpy, and rewrites the KPIs of the
affected rows only. It owns its random generator: the normal traffic is drawn from
other streams, so rows untouched by a fault are identical with and without faults.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

import numpy as np

from telecom_nb.errors import ParameterError

FAULT_KINDS: Final[tuple[str, ...]] = (
    "outage",
    "congestion",
    "throughput_degradation",
    "sleeping_cell",
    "traffic_surge",
    "gradual_degradation",
    "province_event",
)


@dataclass(frozen=True)
class FaultSpec:
    """How often a kind occurs (share of all episodes) and how long it lasts."""

    share: float
    min_hours: float
    max_hours: float
    load_driven: bool = False  # starts more often when (and where) traffic is high


FAULT_SPECS: Final[dict[str, FaultSpec]] = {
    "outage": FaultSpec(0.15, 0.5, 3.0),
    "congestion": FaultSpec(0.20, 0.5, 3.0, load_driven=True),
    "throughput_degradation": FaultSpec(0.20, 1.0, 6.0),
    "sleeping_cell": FaultSpec(0.10, 2.0, 8.0),
    "traffic_surge": FaultSpec(0.10, 1.0, 3.0, load_driven=True),
    "gradual_degradation": FaultSpec(0.15, 3.0, 8.0),
    "province_event": FaultSpec(0.10, 1.0, 4.0),
}

#: Expected new episodes per sector per simulated day: ~2 % of rows end up faulty.
DEFAULT_FAULT_RATE: Final = 0.15
#: A province event hits this share of the province's sectors on average (30-80 %).
_PROVINCE_HIT_MEAN = 0.55


def check_fault_kinds(kinds: Iterable[str] | None) -> tuple[str, ...]:
    """The validated kinds (all when ``None``), in :data:`FAULT_KINDS` order."""
    if kinds is None:
        return FAULT_KINDS
    if isinstance(kinds, str):
        kinds = [kinds]
    chosen = set(kinds)
    unknown = sorted(chosen - set(FAULT_KINDS))
    if unknown:
        raise ParameterError(
            f"fault_kinds has unknown kind(s) {', '.join(map(repr, unknown))}; "
            f"valid: {', '.join(FAULT_KINDS)}"
        )
    return tuple(k for k in FAULT_KINDS if k in chosen)


@dataclass
class TickKpis:
    """Normal KPI arrays of one tick plus what a fault needs to re-derive them."""

    payload: np.ndarray
    prb: np.ndarray
    throughput: np.ndarray
    availability: np.ndarray
    demand: np.ndarray  # offered traffic, MB per interval
    # (rows, demand) -> (payload, prb, throughput) through the cell's load coupling
    recouple: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


class FaultProcess:
    """Per-sector episode state and the vectorised start/age/apply steps."""

    #: what changes from tick to tick (the rest follows from the parameters)
    _state_attrs: tuple[str, ...] = ("kind", "left", "elapsed", "duration", "sev", "rng")

    def __init__(self, province_idx: np.ndarray, rate: float, kinds: tuple[str, ...],
                 step_hours: float, rng: np.random.Generator) -> None:
        self.province_idx = np.asarray(province_idx, dtype=np.int64)
        self.n = len(self.province_idx)
        self.n_provinces = int(self.province_idx.max()) + 1 if self.n else 0
        self.rate = float(rate)
        self.kinds = kinds
        self.step_hours = float(step_hours)
        self.rng = rng
        total_share = sum(FAULT_SPECS[k].share for k in kinds) or 1.0
        # Per-tick start probability of each kind for one sector (the province event's
        # is per province, scaled so the per-sector episode rate stays as configured).
        self._per_tick = {
            k: self.rate * FAULT_SPECS[k].share / total_share * self.step_hours / 24.0
            for k in kinds
        }
        self.code = {k: FAULT_KINDS.index(k) for k in FAULT_KINDS}
        self.kind = np.full(self.n, -1, dtype=np.int8)
        self.left = np.zeros(self.n, dtype=np.int32)
        self.elapsed = np.zeros(self.n, dtype=np.int32)
        self.duration = np.ones(self.n, dtype=np.int32)
        self.sev = np.zeros((self.n, 2))

    def _ticks(self, kind: str, u: np.ndarray) -> np.ndarray:
        spec = FAULT_SPECS[kind]
        hours = spec.min_hours + u * (spec.max_hours - spec.min_hours)
        return np.maximum(1, np.rint(hours / self.step_hours)).astype(np.int32)

    def advance(self, load_weight: np.ndarray) -> None:
        """Age running episodes by one tick, then start new ones on idle sectors."""
        running = self.kind >= 0
        self.elapsed[running] += 1
        self.left[running] -= 1
        self.kind[running & (self.left <= 0)] = -1
        if self.rate == 0 or not self.kinds:
            return
        rng = self.rng
        idle = self.kind < 0
        # Sector-level kinds: one uniform per sector decides "start?" and then the kind.
        sector_kinds = [k for k in self.kinds if k != "province_event"]
        if sector_kinds:
            flat = sum(self._per_tick[k] for k in sector_kinds
                       if not FAULT_SPECS[k].load_driven)
            loaded = sum(self._per_tick[k] for k in sector_kinds if FAULT_SPECS[k].load_driven)
            u = rng.random(self.n)
            idx = np.flatnonzero(idle & (u < flat + loaded * load_weight))
            if idx.size:
                hazard = np.stack([
                    self._per_tick[k] * (load_weight[idx] if FAULT_SPECS[k].load_driven else 1.0)
                    * np.ones(idx.size) for k in sector_kinds
                ])
                kinds_idx = (u[idx][None, :] >= np.cumsum(hazard, axis=0)).sum(axis=0)
                u_dur, u_a, u_b = rng.random((3, idx.size))
                for j, k in enumerate(sector_kinds):
                    sel = kinds_idx == j
                    if sel.any():
                        self._start(idx[sel], k, self._ticks(k, u_dur[sel]), u_a[sel], u_b[sel])
        if "province_event" in self.kinds and self.n_provinces:
            per_province = self._per_tick["province_event"] / _PROVINCE_HIT_MEAN
            hit = rng.random(self.n_provinces) < per_province
            if hit.any():
                share = np.where(hit, rng.uniform(0.3, 0.8, self.n_provinces), 0.0)
                ticks = self._ticks("province_event", rng.random(self.n_provinces))
                chosen = (rng.random(self.n) < share[self.province_idx]) & (self.kind < 0)
                idx = np.flatnonzero(chosen)
                u_a, u_b = rng.random((2, idx.size))
                self._start(idx, "province_event", ticks[self.province_idx[idx]], u_a, u_b)

    def _start(self, idx: np.ndarray, kind: str, ticks: np.ndarray,
               u_a: np.ndarray, u_b: np.ndarray) -> None:
        """Open episodes on sectors ``idx`` with severities drawn from ``u_a``, ``u_b``."""
        self.kind[idx] = self.code[kind]
        self.left[idx] = ticks
        self.duration[idx] = ticks
        self.elapsed[idx] = 0
        if kind == "outage":  # residual availability: 40 % full outages, else 2-30 %
            a = np.where(u_a < 0.4, 0.0, 2.0 + 28.0 * u_b)
            self.sev[idx] = np.c_[a, np.zeros_like(a)]
        elif kind == "congestion":  # payload ceiling vs. start, throughput factor
            self.sev[idx] = np.c_[0.85 + 0.2 * u_a, 0.1 + 0.2 * u_b]
        elif kind == "throughput_degradation":  # throughput loss 50-80 %
            self.sev[idx] = np.c_[0.5 + 0.3 * u_a, np.zeros_like(u_a)]
        elif kind == "sleeping_cell":
            self.sev[idx] = np.c_[0.02 * u_a, 0.1 * u_b]  # residual payload, throughput
        elif kind == "traffic_surge":  # demand multiplier 2-5
            self.sev[idx] = np.c_[2.0 + 3.0 * u_a, np.zeros_like(u_a)]
        elif kind == "gradual_degradation":
            # Final throughput loss 50-85 % and/or availability loss 5-40 points.
            mode = np.floor(u_b * 10.0)  # 0-4 throughput, 5-6 availability, 7-9 both
            thr = np.where(mode <= 4, 0.5 + 0.35 * u_a, np.where(mode >= 7, 0.4 + 0.3 * u_a, 0))
            avail = np.where(mode >= 5, 5.0 + 35.0 * (u_b * 10.0 - mode), 0.0)
            self.sev[idx] = np.c_[thr, avail]
        elif kind == "province_event":  # availability loss 10-70 points, throughput factor
            self.sev[idx] = np.c_[10.0 + 60.0 * u_a, 0.6 + 0.4 * u_b]

    def apply(self, k: TickKpis) -> np.ndarray:
        """Rewrite the KPIs of rows in an episode (in place); return the kind codes."""
        rng = self.rng
        for kind in self.kinds:
            idx = np.flatnonzero(self.kind == self.code[kind])
            if idx.size == 0:
                continue
            s0, s1 = self.sev[idx, 0], self.sev[idx, 1]
            jitter = rng.uniform(0.9, 1.1, idx.size)
            if kind == "outage":
                avail = np.clip(s0 * jitter, 0.0, 30.0)
                up = avail / 100.0
                k.availability[idx] = avail
                k.payload[idx] *= up * rng.uniform(0.3, 0.8, idx.size)
                k.prb[idx] *= up
                k.throughput[idx] *= np.where(avail > 0, rng.uniform(0.05, 0.3, idx.size), 0.0)
            elif kind == "congestion":
                first = self.elapsed[idx] == 0
                # The ceiling is set from the payload at onset; the carried payload plateaus.
                self.sev[idx[first], 0] = s0[first] * k.payload[idx[first]]
                ceiling = self.sev[idx, 0]
                k.payload[idx] = np.minimum(k.payload[idx], ceiling) * rng.uniform(
                    0.97, 1.03, idx.size)
                k.prb[idx] = rng.uniform(97.0, 100.0, idx.size)
                k.throughput[idx] *= s1 * jitter
            elif kind == "throughput_degradation":
                k.throughput[idx] *= 1.0 - np.clip(s0 * jitter, 0.0, 0.9)
            elif kind == "sleeping_cell":
                k.payload[idx] *= s0
                k.prb[idx] = rng.uniform(0.0, 1.5, idx.size)
                k.throughput[idx] *= s1 * jitter
            elif kind == "traffic_surge":
                ramp = np.minimum(1.0, (self.elapsed[idx] + 1) / 2.0)
                demand = k.demand[idx] * (1.0 + (s0 - 1.0) * ramp) * jitter
                k.payload[idx], k.prb[idx], k.throughput[idx] = k.recouple(idx, demand)
            elif kind == "gradual_degradation":
                frac = (self.elapsed[idx] + 1) / self.duration[idx]
                k.throughput[idx] *= 1.0 - s0 * frac
                avail = 100.0 - s1 * frac * jitter
                k.availability[idx] = np.minimum(k.availability[idx], avail)
                k.payload[idx] *= k.availability[idx] / 100.0
                k.prb[idx] *= k.availability[idx] / 100.0
            elif kind == "province_event":
                avail = np.clip(100.0 - s0 * jitter, 0.0, 100.0)
                k.availability[idx] = avail
                k.payload[idx] *= avail / 100.0 * rng.uniform(0.8, 1.0, idx.size)
                k.prb[idx] *= avail / 100.0
                k.throughput[idx] *= s1
        return self.kind.copy()
