"""Probe: a record of a series' texture, offline, on generated series and on NAB (issue 13).

Not a test; analysis only (nab50). A statistic of the last ``M`` rows (``rough``: the median
absolute step ``|x_t - x_{t-1}|``, what ``detectors/step_record.py`` keeps; ``iqr``: the
interquartile range) reads once when it is at least ``margin`` x the largest of every earlier
window ending ``M`` rows back (after 8 windows; again only after ``M`` rows without a record).
Its fires are added to main's alert stream at score 4 (the alarm stage not rerun)::

    python benchmarks/step_probe.py gen SEEDS Ms MARGINS [--stat rough|iqr]
    python benchmarks/step_probe.py nab RUN.pkl NAB_ROOT Ms MARGINS [--stat rough|iqr]

``gen``: per seed 16 generated series (5/10/15-minute, 14-21 days; 4 with a regular
oscillation and 4 with a rising spread injected for 6-24 h inside the series' own 0.5-99.5 %
range, 3 plain level series with lone spikes and short bursts, 3 bursty and 2 declining
bursty ones from ``silence_probe.bursty``); main's alert stream replayed once per series;
prints injected changes found (a fire or main's alert inside the change or the hour after)
and false onsets (alert rows after the first 15 % of rows, outside, not following one).
``nab``: a saved ``nab_loss.py --detail --save`` run with the fires added, every profile's
threshold re-optimised.
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from silence_probe import bursty

from telecom_nb import schema
from telecom_nb.alarms.chain import AlarmChain
from telecom_nb.defaults import ALERT_CLOSE_AFTER
from telecom_nb.detectors import make_detector
from telecom_nb.engine import replay
from telecom_nb.evaluation.nab_corpus import optimize_threshold
from telecom_nb.evaluation.nab_runner import VALUE, read_nab_file

FIRE = 4.0
WARM = 8  # windows of M rows seen before a record can read


def fires(v: np.ndarray, m: int, margin: float, stat: str = "rough") -> np.ndarray:
    """Rows where the window statistic first reaches ``margin`` x every earlier window's."""
    v = np.asarray(v, float)
    n = len(v)
    if n < m * (WARM + 1):
        return np.zeros(0, int)
    if stat == "rough":
        d = np.abs(np.diff(v, prepend=v[0]))
        s = np.r_[np.full(m - 1, np.nan), np.nanmedian(sliding_window_view(d, m), axis=1)]
    else:
        q = np.nanpercentile(sliding_window_view(v, m), [25, 75], axis=1)
        s = np.r_[np.full(m - 1, np.nan), q[1] - q[0]]
    best = np.fmax.accumulate(np.nan_to_num(s, nan=0.0))
    prev = np.r_[np.zeros(m), best[:-m]]
    rec = (np.arange(n) >= m * WARM) & (prev > 0) & (s >= margin * prev)
    out, last = [], -(10**9)
    for i in np.flatnonzero(rec):
        if i - last > m:
            out.append(i)
        last = i
    return np.asarray(out, int)


def series(rng: np.random.Generator, kind: str):
    """(timestamps, values, change label, step in minutes) of one generated series."""
    if kind.startswith("burst"):
        ts, v, _ = bursty(rng, "decline" if kind == "burst_decline" else "plain")
        return ts, v, np.zeros(len(v), bool), int((ts[1] - ts[0]) / pd.Timedelta("1min"))
    step = int(rng.choice([5, 10, 15]))
    days = int(rng.integers(14, 22))
    n = days * 1440 // step
    ts = pd.date_range("2025-01-06", periods=n, freq=f"{step}min", tz="UTC")
    hour = ts.hour.to_numpy() + ts.minute.to_numpy() / 60
    level = rng.uniform(10, 100)
    shape = 1 + rng.uniform(0, 0.6) * np.sin(2 * np.pi * (hour - rng.uniform(0, 24)) / 24)
    v = level * shape * (1 + rng.uniform(0.01, 0.1) * rng.standard_normal(n))
    for i in np.flatnonzero(rng.random(n) < rng.uniform(0.002, 0.02)):  # spikes, short bursts
        v[i : i + int(rng.integers(1, 4))] += level * rng.uniform(-0.4, 0.8)
    label = np.zeros(n, bool)
    if kind in ("osc", "var"):
        a = int(rng.uniform(7, days - 2) * 1440 / step)
        span = int(rng.uniform(6, 24) * 60 / step)
        label[a : a + span] = True
        lo, hi = np.percentile(v[:a], [0.5, 99.5])
        if kind == "osc":  # a regular oscillation inside the usual range
            per, amp = rng.integers(4, 16), rng.uniform(0.3, 0.8) * (hi - lo) / 2
            v[a : a + span] += amp * np.sign(np.sin(2 * np.pi * np.arange(span) / per))
        else:  # the spread grows, values inside the range
            v[a : a + span] += rng.uniform(0.2, 0.5) * (hi - lo) * rng.standard_normal(span)
        v[a : a + span] = np.clip(v[a : a + span], lo, hi)
    return ts, v, label, step


def main_alerts(ts: pd.DatetimeIndex, v: np.ndarray) -> np.ndarray:
    """Main's alert rows (alert score >= 3) on one series."""
    frame = pd.DataFrame({schema.TIMESTAMP: ts, schema.SECTOR: schema.SINGLE_SERIES_ID,
                          schema.PROVINCE: schema.UNKNOWN_PROVINCE, schema.LAT: np.nan,
                          schema.LON: np.nan, VALUE: v})
    out = replay(frame, make_detector("iforest"), [VALUE],
                 alarms=AlarmChain(close_after=ALERT_CLOSE_AFTER)).frame
    return out[schema.ALERT_SCORE].to_numpy(float) >= 3.0


def gen(seeds: list[int], ms: list[int], margins: list[float], stat: str) -> None:
    kinds = ["osc"] * 4 + ["var"] * 4 + ["plain"] * 3 + ["burst"] * 3 + ["burst_decline"] * 2
    tot: dict[tuple[str, str], list[int]] = {}
    for seed in seeds:
        rng = np.random.default_rng(seed)
        for kind in kinds:
            ts, v, label, step = series(rng, kind)
            alert = main_alerts(ts, v)
            judged = np.arange(len(v)) >= int(0.15 * len(v))
            credit = label.copy()
            if label.any():
                last = np.flatnonzero(label)[-1]
                credit[last : last + 60 // step + 1] = True
            rules = [("main", 0, 0.0)] + [(f"M{m}x{g:g}", m, g) for m in ms for g in margins]
            for name, m, g in rules:
                hit = alert.copy()
                if m:
                    hit[fires(v, m, g, stat)] = True
                hit &= judged
                t = tot.setdefault((name, kind), [0, 0])
                t[1] += int((hit & ~credit & ~np.r_[False, hit[:-1]]).sum())
                t[0] += int(label.any() and (hit & credit).any())
    rows = [dict(rule=r, kind=k, found=f, false=fa) for (r, k), (f, fa) in tot.items()]
    table = pd.DataFrame(rows).pivot_table(index="rule", columns="kind", values=["found", "false"])
    table[("false", "ALL")] = table["false"].sum(axis=1)
    table[("found", "ALL")] = table["found"][["osc", "var"]].sum(axis=1)
    print(table.to_string())


def nab(run_path: Path, root: Path, ms: list[int], margins: list[float], stat: str) -> None:
    run = pickle.loads(run_path.read_bytes())
    values = {rel: read_nab_file(root / "data" / rel)[VALUE].to_numpy(float) for rel in run.files}
    for m in ms:
        for g in margins:
            added = {}
            for rel in run.files:
                score = np.array(run.file_scores[rel], float)
                rows = fires(values[rel], m, g, stat)
                score[rows] = np.maximum(score[rows], FIRE)
                added[rel] = score
            line = []
            for name, profile in run.profiles.items():
                kw = {"rows": run.placed()}
                before = optimize_threshold(run.file_scores, run.windows, profile, **kw)
                after = optimize_threshold(added, run.windows, profile, **kw)
                line.append(f"{name} {before.normalized:.2f} -> {after.normalized:.2f}")
            print(f"M {m} margin {g:g}: " + "; ".join(line))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["gen", "nab"])
    ap.add_argument("args", nargs="+", help="gen: SEEDS Ms MARGINS; nab: RUN ROOT Ms MARGINS")
    ap.add_argument("--stat", choices=["rough", "iqr"], default="rough")
    a = ap.parse_args()
    *head, ms, margins = a.args
    ms_ = [int(x) for x in ms.split(",")]
    margins_ = [float(x) for x in margins.split(",")]
    if a.mode == "gen":
        gen([int(s) for s in head[0].split(",")], ms_, margins_, a.stat)
    else:
        nab(Path(head[0]), Path(head[1]), ms_, margins_, a.stat)


if __name__ == "__main__":
    main()
