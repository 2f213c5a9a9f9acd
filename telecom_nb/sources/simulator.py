"""A live KPI simulator for thousands of LTE sectors, with labelled faults.

Used to *prove* detector quality, so the normal traffic is meant to be honest:
daily and weekly profiles in Iran's local time (UTC+03:30, weekend on Friday),
per-sector scale, shape, phase, noise and day-to-day variation, and the load
coupling of a real cell (PRB utilisation saturates with offered load; user
throughput falls as PRBs fill up). Faults (see :mod:`telecom_nb.sources.faults`)
rewrite only the rows they affect and label them in the ``fault`` column.

Random streams are split so that results depend only on ``seed``: static sector
traits, one stream per local day (day factors), one per tick (noise, keyed on the
timestamp), and the fault process's own stream.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

from telecom_nb import schema
from telecom_nb.errors import ParameterError
from telecom_nb.geo.placement import place_sectors
from telecom_nb.geo.provinces import PROVINCE_FACTS
from telecom_nb.params import check_range
from telecom_nb.sources.base import Source
from telecom_nb.sources.faults import (
    DEFAULT_FAULT_RATE,
    FAULT_KINDS,
    FaultProcess,
    TickKpis,
    check_fault_kinds,
)

LOCAL_OFFSET = pd.Timedelta(hours=3, minutes=30)  # Iran: UTC+03:30, no DST since 2022
OUTPUT_COLUMNS = (*schema.ID_COLUMNS, *schema.KPIS, schema.FAULT)
_SUB_STEP = pd.Timedelta(minutes=15)  # profile sampling within coarse intervals
_STR_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default "str" dtype

# Relative traffic at each local hour 00..23 (peak = 1). Residential: evening peak
# 21-23 h, night trough 04-05 h at ~19 %. Business: office hours.
_RESIDENTIAL = [0.62, 0.45, 0.32, 0.24, 0.19, 0.19, 0.25, 0.38, 0.50, 0.60, 0.66, 0.70,
                0.72, 0.72, 0.70, 0.70, 0.72, 0.76, 0.80, 0.86, 0.93, 0.99, 1.00, 0.85]
_BUSINESS = [0.35, 0.25, 0.18, 0.15, 0.14, 0.16, 0.25, 0.45, 0.70, 0.88, 0.95, 0.97,
             0.93, 0.90, 0.94, 0.93, 0.88, 0.80, 0.72, 0.70, 0.72, 0.74, 0.68, 0.52]
# Friday (weekend): late lie-in, long afternoon; Thursday night runs late.
_RESIDENTIAL_FRIDAY = [0.72, 0.58, 0.42, 0.31, 0.23, 0.20, 0.20, 0.23, 0.31, 0.44, 0.57, 0.67,
                       0.73, 0.76, 0.76, 0.76, 0.78, 0.80, 0.84, 0.88, 0.93, 0.97, 0.96, 0.80]
_BUSINESS_FRIDAY = [0.40, 0.30, 0.22, 0.17, 0.14, 0.14, 0.15, 0.18, 0.24, 0.33, 0.40, 0.44,
                    0.46, 0.46, 0.46, 0.46, 0.47, 0.48, 0.50, 0.53, 0.56, 0.58, 0.55, 0.45]


def _weekly_tables() -> tuple[np.ndarray, np.ndarray]:
    """Hourly anchors (Monday 00:00 local first) for residential and business shapes."""
    res, bus = [], []
    for day in range(7):  # pandas day_of_week: Monday = 0 ... Thursday = 3, Friday = 4
        if day == 4:
            res += _RESIDENTIAL_FRIDAY
            bus += _BUSINESS_FRIDAY
        elif day == 3:  # Thursday: half working day, busier evening
            res += [v * (1.04 if h >= 14 else 1.0) for h, v in enumerate(_RESIDENTIAL)]
            bus += [v * (0.85 if h < 13 else 0.6) for h, v in enumerate(_BUSINESS)]
        else:
            res += _RESIDENTIAL
            bus += _BUSINESS
    return np.asarray(res), np.asarray(bus)


_RES_WEEK, _BUS_WEEK = _weekly_tables()
_HOURS_PER_WEEK = 7 * 24


def lte_coupling(demand: np.ndarray, capacity: np.ndarray, user_peak: np.ndarray,
                 prb_noise: np.ndarray, thr_noise: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Carried payload, PRB % and user throughput from offered demand (same units as capacity).

    Carried traffic soft-saturates at capacity; PRB grows sub-linearly with load
    (plus a ~2 % control-channel floor) and reaches 100 % only at saturation; user
    throughput is the sector's unloaded rate scaled down as PRBs fill up.
    """
    load = demand / capacity
    load8 = np.square(np.square(np.square(load)))
    carried = demand / np.sqrt(np.sqrt(np.sqrt(1.0 + load8)))  # x / (1 + x^8)^(1/8)
    root = np.sqrt(carried / capacity)
    prb = np.clip(2.0 + 98.0 * root * np.sqrt(root) + prb_noise, 0.0, 100.0)  # x^0.75
    share = prb / 100.0
    throughput = user_peak * (1.0 - 0.9 * share * np.sqrt(share)) * thr_noise
    return carried, prb, throughput


class KpiSimulator(Source):
    """Emits one batch per ``step``: one row per sector, KPI schema columns + ``fault``.

    ``fault_rate`` is the expected number of new fault episodes per sector per
    simulated day (0 disables faults); ``fault_kinds`` restricts the kinds.
    ``sectors`` (a :func:`~telecom_nb.geo.place_sectors` table) overrides ``n_sectors``.
    """

    #: the network's local calendar (its profiles are Iran's): a detector's ``timezone``
    timezone: str = "Asia/Tehran"
    #: the KPIs this source produces, and what a person reads for each
    kpis: tuple[str, ...] = schema.KPIS
    #: the wall clock its daily and weekly profiles follow (what a UI shows as local time)
    timezone: str = "Asia/Tehran"
    kpi_labels: dict[str, str] = {  # noqa: RUF012 (read-only class data)
        schema.PAYLOAD: "Payload (MB)",
        schema.THROUGHPUT: "Throughput (Mbps)",
        schema.PRB: "PRB utilisation (%)",
        schema.AVAILABILITY: "Availability (%)",
    }
    #: what changes from tick to tick (a checkpoint keeps it; the rest follows from the
    #: parameters, and :meth:`seek` rebuilds it from the seed when needed)
    _state_attrs: tuple[str, ...] = ("time", "ticks", "_ar", "_day", "_day_factor", "faults")

    def __init__(self, n_sectors: int = 500, seed: int = 0, step: str | pd.Timedelta = "15min",
                 start: str | pd.Timestamp = "2026-01-05T00:00Z",
                 fault_rate: float = DEFAULT_FAULT_RATE,
                 fault_kinds: Iterable[str] | None = None,
                 sectors: pd.DataFrame | None = None) -> None:
        self.seed = _check_int("seed", seed, 0, 2**63 - 1)
        self.step = _check_step(step)
        self.start = _check_start(start, self.step)
        if isinstance(fault_rate, bool) or not isinstance(fault_rate, (int, float, np.number)):
            raise ParameterError(f"fault_rate must be a number; got {fault_rate!r}")
        check_range("fault_rate", float(fault_rate), 0.0, 24.0)
        self.fault_rate = float(fault_rate)
        self.fault_kinds = check_fault_kinds(fault_kinds)
        if sectors is None:
            self.n_sectors = _check_int("n_sectors", n_sectors, 1, 1_000_000)
            sectors = place_sectors(self.n_sectors, seed=self.seed)
        else:
            sectors = _check_sectors(sectors)
            self.n_sectors = len(sectors)
        self.sectors = sectors
        self._step_hours = self.step / pd.Timedelta(hours=1)
        self._build_static()
        self.reset()

    # -- set-up -------------------------------------------------------------------------
    def _build_static(self) -> None:
        """Per-sector traits (fixed for the simulator's life) and the output's id columns."""
        n = self.n_sectors
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 1]))
        prov = self.sectors[schema.PROVINCE].to_numpy(dtype=object)
        lat = self.sectors[schema.LAT].to_numpy(dtype=float)
        lon = self.sectors[schema.LON].to_numpy(dtype=float)
        # Urban-ness: closeness to the province capital (unknown provinces count as rural).
        facts = [PROVINCE_FACTS.get(p) for p in pd.unique(prov)]
        cap = {f.name: (f.capital_lat, f.capital_lon) for f in facts if f is not None}
        cap_lat = pd.Series(prov).map({k: v[0] for k, v in cap.items()}).to_numpy(dtype=float)
        cap_lon = pd.Series(prov).map({k: v[1] for k, v in cap.items()}).to_numpy(dtype=float)
        d_km = np.hypot((lat - cap_lat) * 111.2, (lon - cap_lon) * 111.2 * np.cos(np.radians(lat)))
        urban = np.nan_to_num(np.exp(-d_km / 25.0), nan=0.0)

        # Busy-hour payload (MB/h): lognormal, urban sites carry more.
        self._peak_mb_h = rng.lognormal(np.log(600.0 + 2400.0 * urban), 0.6)
        # Busy-hour load vs capacity: most cells comfortable, a few hot ones near 85 %.
        busy_load = np.clip(rng.lognormal(np.log(0.3), 0.4, n), 0.05, 0.85)
        self._capacity = self._peak_mb_h * self._step_hours / busy_load  # MB per interval
        # Load-driven faults start more often on hot cells (and at busy hours, mean ~0.62).
        self._hot_weight = busy_load / busy_load.mean() / 0.62
        self._user_peak = rng.lognormal(np.log(25.0 + 25.0 * urban), 0.35)  # Mbps unloaded
        self._business = np.clip(rng.beta(2.0, 5.0, n) * (0.6 + 0.8 * urban), 0.0, 1.0)
        self._phase_min = np.clip(rng.normal(0.0, 30.0, n), -60.0, 60.0)
        self._noise = rng.uniform(0.04, 0.12, n)  # per-interval multiplicative noise
        self._thr_noise = rng.uniform(0.04, 0.10, n)
        self._ar0 = rng.standard_normal(n)
        self._ar_phi = float(np.exp(-self._step_hours / 1.5))  # ~1.5 h memory
        codes, _ = pd.factorize(pd.Series(prov), sort=True)
        self._province_idx = codes

        ids = self.sectors
        self._id_columns = {
            schema.SECTOR: pd.array(ids[schema.SECTOR].astype(str).to_numpy(), dtype="str"),
            schema.PROVINCE: pd.array(np.asarray(prov, dtype=str), dtype="str"),
            schema.LAT: lat,
            schema.LON: lon,
        }
        self._fault_labels = pa.array(["", *FAULT_KINDS], type=pa.large_string())

    def reset(self) -> None:
        """Back to ``start``: the next batches repeat the same table."""
        self.time = self.start
        self.ticks = 0
        self._ar = self._ar0.copy()
        self._day: int | None = None
        self._day_factor = np.ones(self.n_sectors)
        fault_rng = np.random.default_rng(np.random.SeedSequence([self.seed, 4]))
        self.faults = FaultProcess(self._province_idx, self.fault_rate, self.fault_kinds,
                                   self._step_hours, fault_rng)

    # -- one tick -----------------------------------------------------------------------
    def _profile(self, local: pd.Timestamp) -> np.ndarray:
        """Each sector's relative traffic (busy hour ~1) at local time ``local``."""
        minute = (local.day_of_week * 1440 + local.hour * 60 + local.minute
                  + local.second / 60.0)
        # Linear interpolation between hourly anchors, wrapping around the week.
        hours = (minute + self._phase_min) / 60.0
        base = np.floor(hours)
        frac = hours - base
        i = base.astype(np.int64) % _HOURS_PER_WEEK
        j = (i + 1) % _HOURS_PER_WEEK
        res = _RES_WEEK[i] + frac * (_RES_WEEK[j] - _RES_WEEK[i])
        bus = _BUS_WEEK[i] + frac * (_BUS_WEEK[j] - _BUS_WEEK[i])
        return res + self._business * (bus - res)

    def _interval_profile(self, local: pd.Timestamp) -> np.ndarray:
        """Mean relative traffic over the interval starting at ``local``.

        A coarse step (e.g. hourly or daily rows) carries the interval's average
        traffic, not a snapshot of its first minute: sample every 15 min (at most 24).
        """
        samples = int(min(24, max(1, np.ceil(self.step / _SUB_STEP))))
        if samples == 1:
            return self._profile(local)
        offsets = [self.step * k / samples for k in range(samples)]
        return np.mean([self._profile(local + off) for off in offsets], axis=0)

    def _update_day(self, local: pd.Timestamp) -> None:
        day = (local.normalize().tz_localize(None) - pd.Timestamp("1970-01-01")).days
        if day != self._day:
            rng = np.random.default_rng(np.random.SeedSequence([self.seed, 2, day]))
            self._day_factor = rng.lognormal(0.0, 0.07, self.n_sectors)
            self._day = day

    def next_batch(self) -> pd.DataFrame:
        """The batch at ``time`` (then ``time`` advances by ``step``)."""
        ts = self.time
        kpis, codes = self._advance()
        n = self.n_sectors
        return pd.DataFrame({
            schema.TIMESTAMP: pd.DatetimeIndex(np.full(n, ts.value, dtype="datetime64[ns]"),
                                               tz="UTC") if n else pd.DatetimeIndex([], tz="UTC"),
            **self._id_columns,
            schema.PAYLOAD: np.maximum(kpis.payload, 0.0),
            schema.THROUGHPUT: np.maximum(kpis.throughput, 0.0),
            schema.PRB: np.clip(kpis.prb, 0.0, 100.0),
            schema.AVAILABILITY: np.clip(kpis.availability, 0.0, 100.0),
            # Arrow take + wrap: ~1 ms at 100k rows vs ~20 ms from a Python object array;
            # the large_string labels are the str dtype's own, so the take is wrapped as
            # it is (``pd.array`` re-checks and casts it: ~30 us a tick at 500 rows)
            schema.FAULT: pd.arrays.ArrowStringArray(
                self._fault_labels.take(pa.array(codes + 1)), dtype=_STR_DTYPE),
        }, copy=False)

    @property
    def position(self) -> int:
        """Batches emitted since ``start`` (what :meth:`seek` takes)."""
        return self.ticks

    def seek(self, position: int) -> None:
        """Continue as if ``position`` batches had been emitted since ``start``.

        Exact: the random streams are keyed on the seed, the day and the tick, and the
        state that carries over (AR noise, fault episodes and their generator) is
        advanced tick by tick without building frames (going back restarts from start).
        """
        position = _check_int("position", position, 0, 10_000_000)
        if position < self.ticks:
            self.reset()
        while self.ticks < position:
            self._advance()

    def _advance(self) -> tuple[TickKpis, np.ndarray]:
        """One tick's KPI arrays and fault codes; advances ``time`` and the state."""
        ts = self.time
        local = ts.tz_convert(None) + LOCAL_OFFSET
        self._update_day(local)
        n = self.n_sectors
        tick_key = int(ts.value // self.step.value)
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 3, tick_key]))
        e_ar, e_white, e_prb, e_thr = rng.standard_normal((4, n))
        u_avail = rng.random(n)

        self._ar = self._ar_phi * self._ar + np.sqrt(1.0 - self._ar_phi**2) * e_ar
        profile = self._interval_profile(local) * self._day_factor
        sigma = self._noise
        demand = (self._peak_mb_h * self._step_hours * profile
                  * np.exp(sigma * e_white - 0.5 * sigma**2 + 0.08 * self._ar))
        # Throughput measured on few users (quiet hours) is noisier.
        thr_sigma = self._thr_noise * np.sqrt(1.0 + 0.15 / np.maximum(profile, 0.02))
        thr_factor = np.exp(thr_sigma * e_thr - 0.5 * thr_sigma**2)
        prb_noise = 1.5 * e_prb
        payload, prb, throughput = lte_coupling(demand, self._capacity, self._user_peak,
                                                prb_noise, thr_factor)
        # Availability: 100 % except very rare tiny dips (u < p gives an exponential dip).
        p_dip = 0.001
        dip = np.where(u_avail < p_dip, -np.log(np.maximum(u_avail, 1e-300) / p_dip) * 0.15, 0.0)
        availability = 100.0 - np.minimum(dip, 2.0)

        def recouple(idx: np.ndarray, new_demand: np.ndarray):
            return lte_coupling(new_demand, self._capacity[idx], self._user_peak[idx],
                                prb_noise[idx], thr_factor[idx])

        kpis = TickKpis(payload, prb, throughput, availability, demand, recouple)
        self.faults.advance(self._load_weight(profile))
        codes = self.faults.apply(kpis)
        self.time = ts + self.step
        self.ticks += 1
        return kpis, codes

    def _load_weight(self, profile: np.ndarray) -> np.ndarray:
        """Relative start rate of load-driven faults: busy hours and busy cells."""
        return profile * self._hot_weight

    def run(self, ticks: int) -> pd.DataFrame:
        """The next ``ticks`` batches concatenated (a whole labelled table)."""
        ticks = _check_int("ticks", ticks, 0, 10_000_000)
        batches = [self.next_batch() for _ in range(ticks)]
        if not batches:
            return self.next_batch().iloc[:0]
        return pd.concat(batches, ignore_index=True)

    def __repr__(self) -> str:
        return (f"KpiSimulator(n_sectors={self.n_sectors}, seed={self.seed}, step={self.step!s}, "
                f"time={self.time}, fault_rate={self.fault_rate})")


# -- validation -------------------------------------------------------------------------
def _check_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ParameterError(f"{name} must be an integer; got {value!r}")
    check_range(name, int(value), low, high)
    return int(value)


def _check_step(step: object) -> pd.Timedelta:
    try:
        delta = pd.Timedelta(step)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"step must be a time span like '15min'; got {step!r}") from exc
    if pd.isna(delta) or not pd.Timedelta(minutes=1) <= delta <= pd.Timedelta(days=1):
        raise ParameterError(f"step must be between 1min and 1 day; got {step!r}")
    return delta.as_unit("ns")


def _check_start(start: object, step: pd.Timedelta) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(start)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"start must be a timestamp like '2026-01-05T00:00Z'; "
                             f"got {start!r}") from exc
    if pd.isna(ts):
        raise ParameterError(f"start must be a timestamp; got {start!r}")
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    ts = ts.as_unit("ns")
    if ts.value % step.value:
        raise ParameterError(
            f"start must lie on the {step} grid (e.g. {ts.floor(step)}); got {start!r}")
    return ts


def _check_sectors(sectors: object) -> pd.DataFrame:
    if not isinstance(sectors, pd.DataFrame):
        raise ParameterError(f"sectors must be a DataFrame from place_sectors(); "
                             f"got {type(sectors).__name__}")
    needed = [schema.SECTOR, schema.PROVINCE, schema.LAT, schema.LON]
    missing = [c for c in needed if c not in sectors.columns]
    if missing:
        raise ParameterError(f"sectors is missing column(s) {', '.join(missing)}")
    if len(sectors) == 0:
        raise ParameterError("sectors must have at least one row")
    if not sectors[schema.SECTOR].is_unique:
        dup = sectors[schema.SECTOR][sectors[schema.SECTOR].duplicated()].iloc[0]
        raise ParameterError(f"sectors has duplicate sector_id {dup!r}")
    coords = sectors[[schema.LAT, schema.LON]].to_numpy(dtype=float)
    if not np.isfinite(coords).all():
        raise ParameterError("sectors has non-finite lat/lon")
    return sectors.reset_index(drop=True)
