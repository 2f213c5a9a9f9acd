"""Probe: a silence record for a series that lives at exact zero between bursts (issue 13).

Not a test; analysis only. The rule probed, per series, causal: once the series has
completed at least ``--runs`` zero runs, a row *fires* when the zero run it is in becomes
longer than ``margin`` times every earlier zero run (once per run, at the first such row).
A bursty series' silence reads nothing on any z (its zeros are its most usual value);
nab37 found three of NAB's lost windows (c0d644 W2, rogue_agent_key_hold W0 missed, W1
found at -0.07) to be such silences. Three judges, the detector itself untouched:

* ``gen SEEDS``: generated bursty series (exact zeros between bursts, an hour-of-day burst
  rate; per seed 6 with a silence of 4-24 h on day 7-12, 3 plain, 3 whose rate halves over
  the last 10 days, unlabelled; 1/5/10/15 minutes, 14-21 days): silences found (an alert
  inside or within an hour after), median delay (share of the silence), false alerts after
  the first 15 % of rows, for main's alert stream alone and with the rule's fires added;
* ``nab RUN.pkl NAB_ROOT``: a saved run (``nab_loss.py --detail --save``) with the fires
  added to the alert stream at score 4, each profile re-optimised;
* ``few DIR ...``: a ``few_series.py --write-only`` set's fires per cell and KPI, labelled
  or not::

    python benchmarks/silence_probe.py gen 2141,2142 [--runs 30] [--margins 1,1.25,1.5]
    python benchmarks/silence_probe.py nab RUN.pkl NAB_ROOT [--runs 30] [--margins 1,1.25]
    python benchmarks/silence_probe.py few OUT/lte_s2141 [--runs 30] [--margins 1,1.25]
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.alarms.chain import AlarmChain
from telecom_nb.defaults import ALERT_CLOSE_AFTER
from telecom_nb.detectors import make_detector
from telecom_nb.engine.replay import replay
from telecom_nb.evaluation.nab_corpus import optimize_threshold
from telecom_nb.evaluation.nab_runner import VALUE, read_nab_file

#: the alert score a fire is given when added to a stream (above any corpus threshold seen)
FIRE_SCORE = 4.0


def fires(values: np.ndarray, runs: int, margin: float) -> np.ndarray:
    """Rows where a zero run first outlasts ``margin`` x every earlier zero run, once at
    least ``runs`` zero runs came before it (causal: the row is the run's first beyond)."""
    zero = np.asarray(values, dtype=float) == 0
    starts = np.flatnonzero(zero & ~np.r_[False, zero[:-1]])
    ends = np.flatnonzero(zero & ~np.r_[zero[1:], False]) + 1
    lens = ends - starts
    best = np.r_[0, np.maximum.accumulate(lens)[:-1]] if len(lens) else lens
    need = np.ceil(best * margin).astype(int)
    ok = (np.arange(len(lens)) >= runs) & (best > 0) & (lens > need)
    return starts[ok] + need[ok]


def bursty(rng: np.random.Generator, kind: str) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """One generated series (timestamps, values, silence label); ``kind`` is ``silence``,
    ``plain`` or ``decline``."""
    step = int(rng.choice([1, 5, 10, 15]))
    days = int(rng.integers(14, 22))
    n = days * 1440 // step
    ts = pd.date_range("2025-01-06", periods=n, freq=f"{step}min", tz="UTC")
    hour = ts.hour.to_numpy() + ts.minute.to_numpy() / 60
    night = rng.uniform(0.05, 0.5)
    rate = rng.uniform(0.3, 3.0) * (
        night + (1 - night) * np.exp(-(((hour - rng.uniform(11, 17)) / rng.uniform(3, 6)) ** 2))
    )  # bursts an hour
    if kind == "decline":
        t = np.arange(n) / n * days
        rate = rate * np.where(t > days - 10, 1 - 0.05 * (t - (days - 10)), 1.0)
    label = np.zeros(n, bool)
    if kind == "silence":
        first = int(rng.uniform(7, min(12, days - 2)) * 1440 / step)
        label[first : first + int(rng.uniform(4, 24) * 60 / step)] = True
        rate = np.where(label, 0.0, rate)
    mean_len = rng.uniform(1, 4) * max(1.0, 5 / step)
    values = np.zeros(n)
    for i in np.flatnonzero(rng.random(n) < rate * step / 60):  # a few hundred bursts
        width = min(int(rng.geometric(1 / mean_len)), n - i)
        values[i : i + width] = np.exp(rng.normal(np.log(rng.uniform(1, 100)), 0.6, size=width))
    values[label] = 0.0
    return ts, values, label


def gen(seeds: list[int], runs: int, margins: list[float]) -> None:
    """Main's alert stream alone and with the fires, on generated bursty series."""
    totals: dict[tuple[str, str], list] = {}
    for seed in seeds:
        rng = np.random.default_rng(seed)
        for kind in ["silence"] * 6 + ["plain"] * 3 + ["decline"] * 3:
            ts, values, label = bursty(rng, kind)
            frame = pd.DataFrame(
                {
                    schema.TIMESTAMP: ts,
                    schema.SECTOR: schema.SINGLE_SERIES_ID,
                    schema.PROVINCE: schema.UNKNOWN_PROVINCE,
                    schema.LAT: np.nan,
                    schema.LON: np.nan,
                    VALUE: values,
                }
            )
            out = replay(
                frame,
                make_detector("iforest"),
                [VALUE],
                alarms=AlarmChain(close_after=ALERT_CLOSE_AFTER),
            ).frame
            alert = out[schema.ALERT_SCORE].to_numpy(float) >= 3.0
            judged = np.arange(len(values)) >= int(0.15 * len(values))
            credit = label.copy()  # the silence and the hour after it
            if label.any():
                last = np.flatnonzero(label)[-1]
                step = (ts[1] - ts[0]) / pd.Timedelta("1min")
                credit[last : last + int(60 / step) + 1] = True
            for name, margin in [("main", None)] + [(f"m{m:g}", m) for m in margins]:
                hit = alert.copy()
                if margin is not None:
                    hit[fires(values, runs, margin)] = True
                hit &= judged
                t = totals.setdefault((name, kind), [0, 0, 0, []])
                t[0] += 1
                t[2] += int((hit & ~credit).sum())
                inside = np.flatnonzero(hit & credit)
                if label.any() and len(inside):
                    t[1] += 1
                    t[3].append((inside[0] - np.flatnonzero(label)[0]) / label.sum())
    rows = [
        {
            "rule": name,
            "kind": kind,
            "series": n,
            "found": found,
            "false": false,
            "delay": float(np.median(delay)) if delay else np.nan,
        }
        for (name, kind), (n, found, false, delay) in totals.items()
    ]
    table = pd.DataFrame(rows).pivot_table(
        index="rule", columns="kind", values=["series", "found", "false", "delay"]
    )
    print(table.round(2).to_string())


def nab(run_path: Path, root: Path, runs: int, margins: list[float]) -> None:
    """A saved NAB run with the fires added to its alert stream, every profile re-optimised."""
    run = pickle.loads(run_path.read_bytes())
    values = {rel: read_nab_file(root / "data" / rel)[VALUE].to_numpy(float) for rel in run.files}
    for margin in margins:
        added = {}
        for rel in run.files:
            score = np.array(run.file_scores[rel], dtype=float)
            rows = fires(values[rel], runs, margin)
            score[rows] = np.maximum(score[rows], FIRE_SCORE)
            added[rel] = score
        line = []
        for name, profile in run.profiles.items():
            before = optimize_threshold(run.file_scores, run.windows, profile, rows=run.placed())
            after = optimize_threshold(added, run.windows, profile, rows=run.placed())
            line.append(f"{name} {before.normalized:.2f} -> {after.normalized:.2f}")
        print(f"margin {margin:g}: " + "; ".join(line))


def few(dirs: list[Path], runs: int, margins: list[float]) -> None:
    """Fires per cell and KPI of few-series sets, with the label at the fired row."""
    for folder in dirs:
        data = pd.read_csv(folder / "data.csv", parse_dates=[schema.TIMESTAMP])
        labels = pd.read_csv(folder / "labels.csv", parse_dates=[schema.TIMESTAMP])
        kpis = [
            c
            for c in data.columns
            if c not in (schema.TIMESTAMP, schema.SECTOR, schema.PROVINCE, schema.LAT, schema.LON)
        ]
        out = []
        for cell, group in data.groupby(schema.SECTOR):  # a set's few cells
            group = group.sort_values(schema.TIMESTAMP)
            mine = labels[labels[schema.SECTOR] == cell]
            fault = dict(zip(mine[schema.TIMESTAMP], mine.iloc[:, -1], strict=True))
            for kpi in kpis:
                v = group[kpi].to_numpy(float)
                for margin in margins:
                    for i in fires(v, runs, margin):
                        at = group[schema.TIMESTAMP].iloc[i]
                        out.append(
                            {
                                "cell": cell,
                                "kpi": kpi,
                                "margin": margin,
                                "at": at,
                                "label": fault.get(at, "-"),
                            }
                        )
        print(folder, "no fires" if not out else "\n" + pd.DataFrame(out).to_string())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["gen", "nab", "few"])
    ap.add_argument("args", nargs="+")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--margins", default="1,1.25,1.5")
    a = ap.parse_args()
    margins = [float(m) for m in a.margins.split(",")]
    if a.mode == "gen":
        gen([int(s) for s in a.args[0].split(",")], a.runs, margins)
    elif a.mode == "nab":
        nab(Path(a.args[0]), Path(a.args[1]), a.runs, margins)
    else:
        few([Path(d) for d in a.args], a.runs, margins)


if __name__ == "__main__":
    main()
