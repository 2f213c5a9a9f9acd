"""Scratch: records of fast series: tops that recur and creep vs a top clearly beyond.

Not a test. One series a seed (21 days; 1, 2, 5 or 10 minutes by the seed), AR(1) noise on
a daily rhythm, and the series' own *tops*: ``spikes`` (a batch job's spike of 1-3 rows on
most days at a jittered hour, heights within ~10 % of each other and creeping up ~1 % a
day: each new top is a record by a hair) or ``plateau`` (a top held 1-3 h on most days,
the same creep) or ``walk`` (no tops; the daily mean wanders, so its highs are records now
and then). One labelled **record** on days 12-19: a top (or, for ``walk``, a 2-hour rise)
1.25-1.6 times the size of the largest top so far, above the local level. Through the
detector as ``replay`` runs it, once per ``--set`` line (``--way NAME:name=value,...``)::

    python benchmarks/record_series.py 1790-1800 --way main:features.novelty.count_step=none
        --way hour:features.novelty.count_step=1h

Prints per world and way: the record found (an alert >= 3.0 on its rows), hours to the
first alert, false alerts (>= 3.0 outside it, after day 4); then the totals.
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
KINDS = ("spikes", "plateau", "walk")
STEPS = ("1min", "2min", "5min", "10min")
DAYS = 21


def world(seed: int) -> tuple[str, str, pd.DataFrame, np.ndarray]:
    """kind, cadence, the one-KPI table, the labelled record's rows."""
    rng = np.random.default_rng(seed)
    kind, step = KINDS[seed % len(KINDS)], STEPS[(seed // len(KINDS)) % len(STEPS)]
    ts = pd.date_range("2024-05-06", periods=int(DAYS * pd.Timedelta("1D") / pd.Timedelta(step)),
                       freq=step, unit="ns", tz="UTC")
    n = len(ts)
    per_hour = int(pd.Timedelta("1h") / pd.Timedelta(step))
    hours = (ts.hour + ts.minute / 60).to_numpy()
    day = (ts - ts[0]).days.to_numpy()
    phi = rng.uniform(0.6, 0.97) ** (pd.Timedelta(step) / pd.Timedelta("5min"))
    e = rng.normal(0, 1, n)
    x = np.zeros(n)
    for i in range(1, n):  # generator only
        x[i] = phi * x[i - 1] + np.sqrt(1 - phi**2) * e[i]
    values = 10 + rng.uniform(0.5, 2.0) * np.sin(2 * np.pi * (hours - 8) / 24) + 0.5 * x
    if kind == "walk":  # the daily mean wanders (a random walk of day levels)
        values += np.cumsum(rng.normal(0, 0.4, DAYS))[day]
    size = rng.uniform(4, 8)  # a top's height above the local level
    start = int(rng.integers(12 * n // DAYS, 19 * n // DAYS))
    tops: list[tuple[int, int, float]] = []
    if kind != "walk":
        for d in range(DAYS):
            if rng.random() < 0.8:
                at = int((d + rng.uniform(0.05, 0.95)) * n / DAYS)
                length = (int(rng.integers(1, 4)) if kind == "spikes"
                          else int(rng.uniform(1, 3) * per_hour))
                height = size * (1 + 0.01 * d) * rng.uniform(0.92, 1.0)
                if abs(at - start) > 6 * per_hour:
                    tops.append((at, length, height))
    label_len = (int(rng.integers(1, 4)) if kind == "spikes" else 2 * per_hour)
    biggest = max((h for _, _, h in tops if _ < start), default=size)
    label_h = biggest * rng.uniform(1.25, 1.6)
    for at, length, height in tops:
        values[at:at + length] += height
    values[start:start + label_len] += label_h
    label = np.zeros(n, bool)
    label[start:start + label_len + per_hour] = True  # an hour of grace for the alarm
    table = pd.DataFrame({schema.TIMESTAMP: ts, schema.SECTOR: "s0", "kpi0": values})
    return kind, step, table, label


def run(seeds: range, ways: list[tuple[str, dict[str, str]]]) -> None:
    total = {name: [0, 0] for name, _ in ways}
    for seed in seeds:
        kind, step, table, label = world(seed)
        ts = table[schema.TIMESTAMP]
        judged = (ts >= ts.iloc[0] + pd.Timedelta("4D")).to_numpy()
        line = [f"seed {seed} {kind:7s} {step:5s}"]
        for name, texts in ways:
            det = make_detector("iforest")
            configure(det, parse_texts(det, texts))
            alerts = replay(table, det, ["kpi0"], alarms=AlarmChain()).frame[
                schema.ALERT_SCORE].to_numpy(float)
            hit = np.flatnonzero((alerts >= GATE) & label)
            delay = ((ts.iloc[hit[0]] - ts[label].iloc[0]) / pd.Timedelta("1h")
                     if len(hit) else np.nan)
            false = int(((alerts >= GATE) & ~label & judged).sum())
            total[name][0] += bool(len(hit))
            total[name][1] += false
            line.append(f"{name} found {bool(len(hit))} after {delay:.1f} h false {false}")
        print(", ".join(line), flush=True)
    print(f"{len(seeds)} worlds, records found / false alerts: {total}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("seeds", help="LO-HI (HI excluded)")
    ap.add_argument("--way", action="append", default=[],
                    help="NAME:name=value,... (a detector setting; repeat for each way)")
    args = ap.parse_args()
    lo, hi = (int(v) for v in args.seeds.split("-"))
    ways = []
    for text in args.way or ["main:"]:
        name, _, rest = text.partition(":")
        ways.append((name, dict(t.split("=", 1) for t in rest.split(",") if t)))
    run(range(lo, hi), ways)


if __name__ == "__main__":
    main()
