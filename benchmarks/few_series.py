"""Scratch: few-series multi-KPI test sets unlike our simulator, and how we do on them.

Not a test. Two kinds of set, each written as ``data.csv`` + ``labels.csv`` that
``telecom-nb detect`` and ``telecom-nb evaluate --labels`` read:

* ``lte``: 3 LTE-like cells, 2-minute KPIs (traffic, users, PRB %, throughput, MCS, drop
  rate, availability) with daily and weekly rhythm, noise that grows at night, one cell
  with a few hundred zero-traffic rows in its normal life (night maintenance), and faults
  injected into that background: traffic + MCS to ~0 for 1-6 h, throughput collapse, level
  shift;
* ``lte5``: the same at 5 minutes, 4 cells, outages at exact zero; ``lte1`` (1 minute, 2
  cells, 10 days), ``lte15`` (15 minutes, 4 cells, 5 weeks) and ``lte60`` (hourly, 3 cells,
  8 weeks, two weeks' burn-in): the same generator with its lengths in data time
  (:data:`CADENCE_SETS`; a 15-minute or hourly row aggregates minutes, as counters do);
* ``cdn``: one service, 5-minute KPIs (24 or 48, normalised to 0..1) driven by a few
  latent factors; incidents move many KPIs moderately together.

Run (writes under OUT and prints event recall / row precision per set)::

    python benchmarks/few_series.py OUT [--seeds 0,1] [--sets lte,cdn24,cdn48]
        [--detector iforest] [--set name=value ...] [--write-only] [--verbose]

Seeds 0 and 1 were used while building; 2, 3, 4 are held out. Nothing here steers the
detector: every set runs with the same parameters.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.param_paths import configure, parse_texts
from telecom_nb.engine import replay
from telecom_nb.evaluation.metrics import Evaluation, evaluate

START = pd.Timestamp("2024-03-04")  # a Monday
#: history before the first fault (not judged: the detector is learning)
BURN_IN = pd.Timedelta("5D")
LTE_KPIS = ("traffic_gb", "users", "prb_util", "throughput_mbps", "mcs", "drop_rate",
            "availability")


def _daily(hours: np.ndarray) -> np.ndarray:
    """A cell's load by local hour: night trough, morning rise, evening peak."""
    return (0.08 + 0.55 * np.exp(-((hours - 12.5) / 4.0) ** 2)
            + 0.75 * np.exp(-((hours - 20.5) / 2.6) ** 2)
            + 0.55 * np.exp(-((hours - 44.5) / 2.6) ** 2))  # the evening peak past midnight


def _ar1(rng: np.random.Generator, n: int, phi: float, sigma: float) -> np.ndarray:
    e = rng.normal(0.0, sigma * np.sqrt(1 - phi**2), n)
    out = np.empty(n)
    out[0] = rng.normal(0.0, sigma)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + e[i]
    return out


def _spans(rng: np.random.Generator, n: int, count: int, lengths: tuple[int, int],
           first: int, taken: np.ndarray, min_gap: int = 60) -> list[tuple[int, int]]:
    """``count`` non-overlapping spans (a gap of their length, >= ``min_gap`` rows) after
    ``first``; marks ``taken``."""
    spans = []
    for _ in range(200 * count):
        if len(spans) == count:
            break
        length = int(rng.integers(*lengths))
        a = int(rng.integers(first, n - length - 1))
        gap = max(length, min_gap)
        if taken[max(0, a - gap):a + length + gap].any():
            continue
        taken[a:a + length] = True
        spans.append((a, a + length))
    return spans


def lte_cell(rng: np.random.Generator, times: pd.DatetimeIndex, scale: float,
             zero_nights: bool, timed: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """One cell's normal life; returns (KPIs, mask of its normal zero-traffic rows).

    ``timed``: the slow wander's memory, the maintenance nights' count and lengths and the
    traffic volume a row carries are what 2-minute rows give, in data time (the sets at other
    cadences: ``lte1``, ``lte15``, ``lte60``); off, they count rows (``lte``, ``lte5``)."""
    n = len(times)
    per_2min = (times[1] - times[0]) / pd.Timedelta("2min")  # a row's length in 2-min rows
    hours = times.hour + times.minute / 60.0
    load = _daily(hours.to_numpy())
    dow = times.day_of_week.to_numpy()
    load = load * np.where(dow >= 5, 0.8, 1.0) * np.where(dow == 4, 0.92, 1.0)
    slow = 0.995 ** per_2min if timed else 0.995  # ~13 h memory at 2 minutes
    level = np.exp(_ar1(rng, n, slow, 0.12) + _ar1(rng, n, 0.6, 0.18))  # slow + fast noise
    traffic = rng.gamma(6.0, scale * load * level / 6.0)  # GB per 2 min, noisy when low
    users = rng.poisson(40 * scale * load * level ** 0.8 + 0.5)
    prb = np.clip(100 * (0.55 * traffic / (scale * 1.2)) + rng.normal(0, 3, n), 0.5, 100)
    mcs = np.clip(21 - 4 * prb / 100 + _ar1(rng, n, 0.8, 1.2), 3, 28)
    thr = np.clip((45 - 0.3 * prb) * (mcs / 20) * np.exp(rng.normal(0, 0.2, n)), 0.5, None)
    drop = np.clip(0.3 + rng.gamma(0.6, 0.25, n) + (rng.random(n) < 0.004) * rng.gamma(2, 3, n),
                   0, 100)
    avail = np.full(n, 100.0)
    dips = rng.random(n) < 0.002
    avail[dips] = rng.uniform(90, 99.9, dips.sum())
    zero = np.zeros(n, dtype=bool)
    if zero_nights:  # maintenance: some nights the cell carries nothing for 20-120 min
        per_day = int(pd.Timedelta("1D") / (times[1] - times[0]))
        nights = max(1, round(12 * n / per_day / 21)) if timed else 12  # 12 in three weeks
        for day in rng.choice(n // per_day, size=nights, replace=False):
            a = int(day * per_day + rng.uniform(1, 4) / 24 * per_day)
            length = int(rng.integers(10, 60))
            if timed:
                length = max(1, round(length * per_day / 720))  # 20-120 min
            zero[a:a + length] = True
    frame = pd.DataFrame({"traffic_gb": traffic, "users": users.astype(float), "prb_util": prb,
                          "throughput_mbps": thr, "mcs": mcs, "drop_rate": drop,
                          "availability": avail})
    frame.loc[zero, ["traffic_gb", "users", "prb_util", "throughput_mbps", "mcs"]] = 0.0
    frame.loc[zero, "drop_rate"] = 0.0
    if timed:  # a volume: an hour's row carries 30 two-minute rows' traffic
        frame["traffic_gb"] *= per_2min
    return frame, zero


#: how a step's row reads its minutes: a volume adds up; a per-use rate (throughput, MCS,
#: drop rate) is its mean over the minutes in use (a counter of transmissions has no sample
#: while the cell carries nothing); the rest (users, PRB, availability) their mean
_SUMMED = ("traffic_gb",)
_IN_USE = ("throughput_mbps", "mcs", "drop_rate")


def _aggregated(rng: np.random.Generator, times: pd.DatetimeIndex, scale: float,
                zero_nights: bool) -> tuple[pd.DataFrame, np.ndarray]:
    """A cell's normal life drawn at 1 minute and read per step of ``times``, as counters
    are: a 15-minute or hourly row is the sum (traffic) or mean (:data:`_IN_USE`) of its
    minutes, so its noise is what a step's aggregate has, not a minute's. The mask: rows holding
    any maintenance zero (no fault is placed on them)."""
    k = int((times[1] - times[0]) / pd.Timedelta("1min"))
    minutes = pd.date_range(times[0], periods=len(times) * k, freq="1min")
    fine, zero = lte_cell(rng, minutes, scale, zero_nights, timed=True)
    group = np.arange(len(minutes)) // k
    frame = fine.groupby(group).mean()
    summed, in_use = list(_SUMMED), list(_IN_USE)
    frame[summed] = fine[summed].groupby(group).sum()
    frame[in_use] = fine[in_use].mask(pd.Series(zero), axis=0).groupby(group).mean().fillna(0.0)
    return frame.reset_index(drop=True), zero.reshape(-1, k).any(axis=1)


def lte_set(seed: int, days: int = 21, step: str = "2min", cells: int = 3,
            exact_zero: bool = False, zero_cell: int = 2, timed: bool = False,
            burn_in: pd.Timedelta = BURN_IN) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three cells, 2 minutes; faults injected into the background. (data, labels).

    ``step``, ``cells``, ``exact_zero`` (an outage's traffic, users, PRB, throughput and MCS
    exactly 0, as a cell that has shown maintenance zeros shows them), ``zero_cell`` (the
    cell with maintenance nights), ``timed`` (``lte_cell``), ``burn_in`` (no fault before):
    the variant sets (``lte5``: 5 minutes, 4 cells, exact zeros; ``lte1`` / ``lte15`` /
    ``lte60``: :data:`CADENCE_SETS`); the defaults draw the ``lte`` set as before. A fault's
    length is drawn in 2-minute rows and scaled to ``step`` (an outage 1-6 h at any step)."""
    rng = np.random.default_rng(seed)
    dt = pd.Timedelta(step)
    rows = int(pd.Timedelta("2min") / dt * 1e6)  # fault lengths below are in 2-minute rows
    times = pd.date_range(START, periods=days * int(pd.Timedelta("1D") / dt), freq=step)
    frames, labels = [], []
    first = int(burn_in / dt)
    for c, scale in enumerate((1.0, 0.45, 0.7, 0.85, 0.3, 0.6)[:cells]):
        if timed and dt > pd.Timedelta("1min"):  # drawn by the minute, read per step
            cell, zero = _aggregated(rng, times, scale, c == zero_cell)
        else:
            cell, zero = lte_cell(rng, times, scale, zero_nights=(c == zero_cell),
                                  timed=timed)
        taken = zero.copy()
        fault = np.full(len(times), "", dtype=object)
        kinds = (["outage"] * 2 + ["throughput_collapse"] * 2 + ["level_shift"] * 2)
        for kind in rng.permutation(kinds):
            lengths = {"outage": (30, 181), "throughput_collapse": (30, 121),
                       "level_shift": (120, 361)}[kind]
            if step != "2min":
                lengths = (max(2, lengths[0] * rows // 10**6), lengths[1] * rows // 10**6)
            (a, b), = _spans(rng, len(times), 1, lengths, first, taken,
                             max(1, 60 * rows // 10**6) if timed else 60)  # 2 h if timed
            fault[a:b] = kind
            sl = slice(a, b)
            if kind == "outage" and exact_zero:
                cell.loc[a:b - 1, ["traffic_gb", "users", "prb_util", "throughput_mbps",
                                   "mcs"]] = 0.0
            elif kind == "outage":  # traffic and modulation to ~0, the rest follows
                for col in ("traffic_gb", "prb_util", "throughput_mbps", "mcs"):
                    cell.loc[a:b - 1, col] *= rng.uniform(0.0, 0.03, b - a)
                cell.loc[a:b - 1, "users"] = rng.poisson(0.3, b - a).astype(float)
            elif kind == "throughput_collapse":
                cell.loc[a:b - 1, "throughput_mbps"] *= rng.uniform(0.05, 0.2)
                cell.loc[a:b - 1, "mcs"] *= rng.uniform(0.6, 0.85)
            else:  # a level shift: a part of the traffic moves away for hours
                f = rng.uniform(0.3, 0.55)
                for col in ("traffic_gb", "users", "prb_util"):
                    cell.loc[a:b - 1, col] *= f
            del sl
        cell.insert(0, schema.SECTOR, f"cell{c + 1}")
        cell.insert(0, schema.TIMESTAMP, times)
        frames.append(cell)
        hit = fault != ""
        labels.append(pd.DataFrame({schema.TIMESTAMP: times[hit], schema.SECTOR: f"cell{c + 1}",
                                    "fault": fault[hit]}))
    data = pd.concat(frames, ignore_index=True).sort_values(
        [schema.TIMESTAMP, schema.SECTOR], kind="stable").reset_index(drop=True)
    numeric = data.select_dtypes("number").columns  # pandas 3 warns on rounding the times
    data[numeric] = data[numeric].round(4)
    return data, pd.concat(labels, ignore_index=True)


def cdn_set(seed: int, n_kpis: int, days: int = 21,
            n_incidents: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One service, 5 minutes, KPIs from a few latent factors; joint incidents."""
    rng = np.random.default_rng(seed + 1000 * n_kpis)
    times = pd.date_range(START, periods=days * 288, freq="5min")
    n = len(times)
    hours = (times.hour + times.minute / 60.0).to_numpy()
    weekend = times.day_of_week.to_numpy() >= 5
    n_factors = 4
    factors = np.vstack([
        _daily(hours) * np.where(weekend, 0.85, 1.0) + _ar1(rng, n, 0.97, 0.08),  # demand
        np.sin(2 * np.pi * hours / 24 + 1.0) * 0.3 + _ar1(rng, n, 0.9, 0.3),  # latency
        _ar1(rng, n, 0.99, 0.5),  # backend drift
        _ar1(rng, n, 0.5, 0.6),  # fast shared noise
    ])
    loadings = rng.normal(0, 1, (n_kpis, n_factors)) * np.array([1.0, 0.6, 0.4, 0.3])
    noise_sd = rng.uniform(0.15, 0.5, n_kpis)
    raw = loadings @ factors + rng.normal(0, 1, (n_kpis, n)) * noise_sd[:, None]
    # some KPIs are error counts: skewed, mostly near their floor
    skewed = rng.random(n_kpis) < 0.25
    raw[skewed] = np.exp(0.6 * raw[skewed])
    sd = np.std(raw, axis=1)
    fault = np.full(n, "", dtype=object)
    taken = np.zeros(n, dtype=bool)
    first = int(BURN_IN / pd.Timedelta("5min"))
    for a, b in _spans(rng, n, n_incidents, (6, 37), first, taken):
        moved = rng.choice(n_kpis, size=int(rng.integers(n_kpis // 4, n_kpis // 2 + 1)),
                           replace=False)
        size = rng.uniform(1.2, 2.5)  # each moved KPI by ~1-2.5 of its own sd: moderate
        sign = rng.choice([-1.0, 1.0], size=len(moved))
        ramp = np.minimum(1.0, (np.arange(b - a) + 1) / 3.0)  # reaches full size in 3 ticks
        raw[moved, a:b] += (sign * size * sd[moved])[:, None] * ramp[None, :]
        fault[a:b] = "incident"
    lo, hi = raw.min(axis=1, keepdims=True), raw.max(axis=1, keepdims=True)
    norm = (raw - lo) / np.where(hi > lo, hi - lo, 1.0)  # normalised as such exports are
    data = pd.DataFrame(norm.T, columns=[f"kpi_{j:02d}" for j in range(n_kpis)]).round(5)
    data.insert(0, schema.SECTOR, "service")
    data.insert(0, schema.TIMESTAMP, times)
    hit = fault != ""
    labels = pd.DataFrame({schema.TIMESTAMP: times[hit], schema.SECTOR: "service",
                           "fault": fault[hit]})
    return data, labels


#: the lte generator at other cadences, lengths honest in data time: (step, cells, days,
#: burn-in). An hourly series is given two weeks (336 rows: a weekly rhythm seen twice)
#: where 2-minute rows have five days (3,600 rows); faults 1-6 h at every step.
CADENCE_SETS = {"lte1": ("1min", 2, 10, BURN_IN), "lte15": ("15min", 4, 35, BURN_IN),
                "lte60": ("1h", 3, 56, pd.Timedelta("14D"))}


def burn_in(name: str) -> pd.Timedelta:
    """The set's unjudged history (the detector is learning)."""
    return CADENCE_SETS[name][3] if name in CADENCE_SETS else BURN_IN


def make(name: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    if name == "lte":
        return lte_set(seed)
    if name == "lte5":  # a variant: 5 minutes, 4 cells, outages at exact zero
        return lte_set(seed, step="5min", cells=4, exact_zero=True)
    if name in CADENCE_SETS:  # the maintenance cell is the last; outages at exact zero
        step, cells, days, first = CADENCE_SETS[name]
        return lte_set(seed, days=days, step=step, cells=cells, exact_zero=True,
                       zero_cell=min(2, cells - 1), timed=True, burn_in=first)
    if name.startswith("cdn"):
        return cdn_set(seed, int(name[3:]))
    raise SystemExit(f"unknown set {name!r}")


def write(folder: Path, data: pd.DataFrame, labels: pd.DataFrame) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data.to_csv(folder / "data.csv", index=False)
    labels.to_csv(folder / "labels.csv", index=False)


def judge(data: pd.DataFrame, labels: pd.DataFrame, detector: str,
          params: dict[str, str], burn: pd.Timedelta = BURN_IN,
          ) -> tuple[Evaluation, float, pd.DataFrame]:
    """Replay as the live stream would (no look-ahead); metrics after the burn-in."""
    det = make_detector(detector)
    configure(det, parse_texts(det, params))
    kpis = [c for c in data.columns if c not in (schema.TIMESTAMP, schema.SECTOR)]
    table = data.merge(labels, on=[schema.TIMESTAMP, schema.SECTOR], how="left")
    table[schema.FAULT] = table[schema.FAULT].fillna("")
    table[schema.TIMESTAMP] = table[schema.TIMESTAMP].dt.tz_localize("UTC")
    t0 = time.perf_counter()
    scored = replay(table, det, kpis).frame
    took = time.perf_counter() - t0
    ts = scored[schema.TIMESTAMP]
    judged = scored[ts >= ts.min() + burn]
    return evaluate(judged), took, judged


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--seeds", default="0,1", help="comma-separated (0,1 tuning; 2,3,4 held out)")
    ap.add_argument("--sets", default="lte,cdn24,cdn48")
    ap.add_argument("--detector", default="iforest")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--write-only", action="store_true")
    ap.add_argument("--verbose", action="store_true", help="per-event peak scores")
    args = ap.parse_args(argv)
    params = dict(item.partition("=")[::2] for item in args.set)
    totals: dict[str, list[float]] = {}
    for name in args.sets.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            data, labels = make(name, seed)
            write(args.out / f"{name}_s{seed}", data, labels)
            if args.write_only:
                continue
            ev, took, judged = judge(data, labels, args.detector, params, burn_in(name))
            totals.setdefault(name, []).append(ev.event_recall)
            print(f"{name:6s} seed {seed}: ER={ev.event_recall:.3f} "
                  f"({ev.events_found}/{ev.n_events}) P={ev.precision:.3f} R={ev.recall:.3f} "
                  f"flagged={ev.flagged} fp={ev.fp} {_pages(judged)} ({took:.0f}s)", flush=True)
            for kind, ks in ev.per_kind.items():
                print(f"    {kind:20s} events {ks.events_found}/{ks.n_events} "
                      f"row recall {ks.row_recall:.2f}")
            if args.verbose:
                _peaks(judged)


def _pages(judged: pd.DataFrame) -> str:
    """The alerts a person is paged with (episode onsets and escalations): outside every
    labelled event (false pages) and inside one (re-pages of an incident are inside)."""
    paged = judged[schema.ALERT_SCORE].to_numpy() > 0
    inside = judged[schema.FAULT].to_numpy() != ""
    return f"pages={int(paged.sum())} (false {int((paged & ~inside).sum())})"


def _peaks(judged: pd.DataFrame) -> None:
    """Each labelled episode's peak score (and whether flagged)."""
    j = judged.sort_values([schema.SECTOR, schema.TIMESTAMP])
    f = j[schema.FAULT].to_numpy()
    sec = j[schema.SECTOR].to_numpy()
    start = np.r_[True, (f[1:] != f[:-1]) | (sec[1:] != sec[:-1])]
    ep = np.cumsum(start)
    g = j.assign(ep=ep)[f != ""].groupby("ep")
    out = g.agg(sector=(schema.SECTOR, "first"), kind=(schema.FAULT, "first"),
                start=(schema.TIMESTAMP, "first"), rows=(schema.SCORE, "size"),
                peak=(schema.SCORE, "max"), flagged=(schema.IS_ANOMALY, "sum"))
    print(out.to_string(index=False))


if __name__ == "__main__":
    main()
