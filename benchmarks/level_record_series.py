"""Scratch: the level record on generated one-series and three-series worlds, both ways.

Not a test. One world a seed (21 days), its cadence and kind by the seed: 2, 5 or 15
minutes; ``plain`` (AR(1) noise on a daily rhythm whose amplitude varies by day),
``bursty`` (2 % of rows lifted by exponential bursts), ``zeros`` (70 % of rows 0),
``weekly`` (a 3-hour plateau of +4 level spreads every Sunday: routine, not labelled),
``three`` (three KPIs, the creep on one). Each has one normal level step of 0.3 on days
6-9 (not labelled) and one labelled **creep** on days 12-19: a ramp of 2-12 h to 3-6
spreads of the hourly mean, held 2-6 h. Through the detector twice (``features.record``
off = main's detector, on = the branch's), the alarm stage as ``replay`` runs it::

    python benchmarks/level_record_series.py 1675-1685 [--set name=value ...]
        [--steps 30min,1h] [--ways record]

``--steps`` replaces the cadences the seeds cycle through (twenty-sixth session: 30 minutes
and hourly, where a one-hour level has too few rows); ``--ways record`` runs the record's
way only (another checkout's code: run this file with that checkout on ``PYTHONPATH``).

Prints per world: creep found (an alert >= 3.0 on its rows), hours from its start to the
first alert, false alerts (>= 3.0 outside it, after day 4; ``routine`` of them on the
weekly plateaus); then the totals.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.alarms.chain import AlarmChain
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.param_paths import configure, parse_texts
from telecom_nb.engine import replay

GATE = 3.0
KINDS = ("plain", "bursty", "zeros", "weekly", "three")
STEPS = ("2min", "5min", "15min")
DAYS = 21


def world(seed: int, steps: tuple[str, ...] = STEPS
          ) -> tuple[str, str, pd.DataFrame, np.ndarray, np.ndarray]:
    """kind, cadence, the KPI table, the creep's rows, the weekly plateaus' rows."""
    rng = np.random.default_rng(seed)
    kind, step = KINDS[seed % len(KINDS)], steps[(seed // len(KINDS)) % len(steps)]
    ts = pd.date_range("2024-03-04", periods=int(DAYS * pd.Timedelta("1D") / pd.Timedelta(step)),
                       freq=step, unit="ns", tz="UTC")
    n = len(ts)
    hours = (ts.hour + ts.minute / 60).to_numpy()
    day = (ts - ts[0]).days.to_numpy()
    per_hour = max(int(pd.Timedelta("1h") / pd.Timedelta(step)), 1)
    k = 3 if kind == "three" else 1
    phi = rng.uniform(0.5, 0.95) ** (pd.Timedelta(step) / pd.Timedelta("5min"))
    amp = rng.uniform(0.3, 1.0) * (1 + 0.3 * rng.normal(size=DAYS))[day]
    values = np.empty((n, k))
    for j in range(k):
        e = rng.normal(0, 1, n)
        x = np.zeros(n)
        for i in range(1, n):  # generator only
            x[i] = phi * x[i - 1] + np.sqrt(1 - phi**2) * e[i]
        values[:, j] = 10 + amp * np.sin(2 * np.pi * (hours - 8) / 24) + 0.5 * x
    if kind == "bursty":
        values += (rng.random((n, k)) < 0.02) * rng.exponential(3, (n, k))
    values[rng.integers(6 * n // DAYS, 9 * n // DAYS):] += rng.choice([-1, 1]) * 0.3
    spread = pd.Series(values[: 10 * n // DAYS, 0]).rolling(per_hour).mean().std()
    weekly = np.zeros(n, bool)
    if kind == "weekly":
        weekly = (ts.day_of_week.to_numpy() == 6) & (hours >= 14) & (hours < 17)
        values[weekly, 0] += 4 * spread
    start = int(rng.integers(12 * n // DAYS, 19 * n // DAYS))
    ramp = int(rng.uniform(2, 12) * per_hour)
    shape = np.r_[np.linspace(0, 1, ramp), np.ones(int(rng.uniform(2, 6) * per_hour))]
    creep = np.zeros(n, bool)
    creep[start:start + len(shape)] = True
    values[start:start + len(shape), 0] += rng.choice([-1, 1]) * rng.uniform(3, 6) * spread * shape
    if kind == "zeros":
        values[rng.random(n) < 0.7] = 0.0
    table = pd.DataFrame({schema.TIMESTAMP: ts, schema.SECTOR: "s0"})
    for j in range(k):
        table[f"kpi{j}"] = values[:, j]
    return kind, step, table, creep, weekly


def run(seeds: range, sets: list[str], steps: tuple[str, ...] = STEPS,
        ways: tuple[str, ...] = ("main", "record")) -> None:
    total = {name: [0, 0, 0] for name in ways}
    for seed in seeds:
        kind, step, table, creep, weekly = world(seed, steps)
        kpis = [c for c in table.columns if c.startswith("kpi")]
        ts = table[schema.TIMESTAMP]
        judged = (ts >= ts.iloc[0] + pd.Timedelta("4D")).to_numpy()
        line = [f"seed {seed} {kind:6s} {step:5s}"]
        for name, on in (("main", "false"), ("record", "true")):
            if name not in ways:
                continue
            det = make_detector("iforest")
            texts = dict(t.split("=", 1) for t in [f"features.record={on}", *sets])
            configure(det, parse_texts(det, texts))
            alerts = replay(table, det, kpis, alarms=AlarmChain()).frame[
                schema.ALERT_SCORE].to_numpy(float)
            hit = np.flatnonzero((alerts >= GATE) & creep)
            delay = ((ts.iloc[hit[0]] - ts[creep].iloc[0]) / pd.Timedelta("1h")
                     if len(hit) else np.nan)
            false = (alerts >= GATE) & ~creep & judged
            total[name][0] += bool(len(hit))
            total[name][1] += int(false.sum())
            total[name][2] += int((false & weekly).sum())
            line.append(f"{name} found {bool(len(hit))} after {delay:.1f} h false "
                        f"{int(false.sum())} (routine {int((false & weekly).sum())})")
        print(", ".join(line), flush=True)
    print(f"{len(seeds)} worlds, creeps found / false alerts / on routine: {total}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("seeds", help="LO-HI (HI excluded)")
    ap.add_argument("--set", dest="sets", action="append", default=[])
    ap.add_argument("--steps", default=",".join(STEPS), help="cadences the seeds cycle through")
    ap.add_argument("--ways", default="main,record", help="main (record off), record (on)")
    args = ap.parse_args()
    lo, hi = (int(v) for v in args.seeds.split("-"))
    run(range(lo, hi), args.sets, tuple(args.steps.split(",")), tuple(args.ways.split(",")))


if __name__ == "__main__":
    main()
