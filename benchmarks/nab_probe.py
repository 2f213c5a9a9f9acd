"""Offline probes of three NAB loss classes on a saved run (not a test; analysis only).

Reads a run saved by ``python benchmarks/nab_loss.py NAB_ROOT --detail --save RUN.pkl``
(alert and row scores per file; no new replay) and sizes what a general rule could win::

    python benchmarks/nab_probe.py RUN.pkl visibility   # row-score onsets outside windows
    python benchmarks/nab_probe.py RUN.pkl refractory   # mute re-alerts for R hours
    python benchmarks/nab_probe.py RUN.pkl volatility NAB_ROOT [--rows 12] [--stat std|mean]

* ``visibility``: how many separate rises of the *row* score (9 rows apart) lie outside
  every window at a few thresholds: what lowering the alert gate would add in false
  alarms for the missed windows whose rows peak below it.
* ``refractory``: an alert within ``R`` hours of the last one kept is muted unless it is
  ``m`` above it ("no re-alert unless much worse", on the alert stream): NAB per profile.
* ``volatility``: a record of the local spread (the rolling std of ``--rows`` values)
  against the last 3 weeks, scored like range novelty (``log10(N+1) + excess / (beta
  ln 10)``, ``beta`` from the day maxima): which windows it reaches and its false onsets;
  ``--stat mean`` reads the rolling mean instead (a level held beyond the weeks' levels:
  slow drifts and plateaus), both sides.
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np
import pandas as pd

from telecom_nb.evaluation.nab import as_ns, file_layout
from telecom_nb.evaluation.nab_corpus import optimize_threshold

DAY_NS = 86_400 * 10**9


def onsets(score: np.ndarray, t: float, apart: int = 9) -> np.ndarray:
    """Rows at or above ``t`` with none of the ``apart`` rows before them there."""
    above = score >= t
    before = pd.Series(above).rolling(apart, min_periods=1).max().shift(1)
    return above & ~(before.fillna(0).to_numpy() > 0)


def visibility(run) -> None:
    for t in (2.0, 2.4, 2.7, 2.9, run.thresholds["standard"]):
        n = sum(int((onsets(run.row_scores[f], t) & lay.scored & (lay.window < 0)).sum())
                for f in run.files
                for lay in [file_layout(run.timestamps[f], run.windows[f], "standard")])
        print(f"row score >= {t:.2f}: {n} onsets outside windows")


def mute(alerts: np.ndarray, ns: np.ndarray, hours: float, margin: float) -> np.ndarray:
    """The alert stream with re-alerts inside the refractory period removed."""
    out = alerts.copy()
    last_t, last_s = None, 0.0
    for i in np.flatnonzero(alerts > 0):  # a file's few alerts
        if last_t is not None and ns[i] - last_t < hours * 3.6e12 and alerts[i] < last_s + margin:
            out[i] = 0.0
            continue
        last_t, last_s = ns[i], alerts[i]
    return out


def refractory(run) -> None:
    for hours, margin in ((0, 0), (6, 0), (6, 1), (24, 0), (24, 1), (48, 1)):
        scores = {f: mute(run.file_scores[f], as_ns(run.timestamps[f]), hours, margin)
                  for f in run.files}
        got = [optimize_threshold(scores, run.windows, run.profiles[p],
                                  rows=run.placed()).normalized for p in run.profiles]
        print(f"R {hours:2d} h, margin {margin}: " + " / ".join(f"{g:.2f}" for g in got))


def _past_max(ns: np.ndarray, v: np.ndarray, rows: int) -> np.ndarray:
    """Per row the largest finite value of rows ``[t - 21 days, i - rows)`` (-inf if
    none): both ends only move forward, so a monotone deque does it in one pass."""
    out = np.full(len(v), -np.inf)
    lo = np.searchsorted(ns, ns - 21 * DAY_NS)
    queue: list[int] = []  # indices of decreasing values
    head = nxt = 0
    for i in range(len(v)):  # analysis only
        while nxt < i - rows:
            if np.isfinite(v[nxt]):
                while len(queue) > head and v[queue[-1]] <= v[nxt]:
                    queue.pop()
                queue.append(nxt)
            nxt += 1
        while len(queue) > head and queue[head] < lo[i]:
            head += 1
        if len(queue) > head:
            out[i] = v[queue[head]]
    return out


def record_score(ns: np.ndarray, v: np.ndarray, rows: int) -> np.ndarray:
    """Per row: the range-novelty score of ``v`` against the 21 days before (not the last
    ``rows`` rows, which share the current value's values), 0 when no record."""
    out = np.zeros(len(v))
    day = ns // DAY_NS
    top = _past_max(ns, v, rows)
    for i in np.flatnonzero(np.isfinite(v) & (v > top)):  # records only: analysis
        lo, hi = np.searchsorted(ns, ns[i] - 21 * DAY_NS), i - rows
        ok = np.isfinite(v[lo:hi]) if hi > lo else np.zeros(0, bool)
        past, days = v[lo:hi][ok], day[lo:hi][ok]
        if len(np.unique(days)) < 3 or v[i] <= past.max():
            continue
        top = np.array([past[days == d].max() for d in np.unique(days)])
        beta = max(top.std() * np.sqrt(6) / np.pi, 0.05 * (past.max() - past.min()), 1e-12)
        out[i] = np.log10(len(past) + 1) + (v[i] - past.max()) / (beta * np.log(10))
    return out


def volatility(run, root: Path, rows: int, stat: str = "std") -> None:
    thr = run.thresholds["standard"]
    false_onsets, reached = 0, []
    for f in run.files:
        x = pd.read_csv(root / "data" / f)["value"].to_numpy(float)
        ns = as_ns(run.timestamps[f])
        roll = pd.Series(x).rolling(rows, min_periods=rows)
        if stat == "std":
            s = record_score(ns, roll.std().to_numpy(), rows)
        else:
            level = roll.mean().to_numpy()
            s = np.maximum(record_score(ns, level, rows), record_score(ns, -level, rows))
        lay = file_layout(run.timestamps[f], run.windows[f], "standard")
        false_onsets += int((onsets(s, thr, 1) & lay.scored & (lay.window < 0)).sum())
        for w in lay.scorable_windows:
            inside = lay.window == w
            found = bool((run.file_scores[f][inside] >= thr).any())
            reached.append((f, int(w), found, float(s[inside].max())))
    d = pd.DataFrame(reached, columns=["file", "window", "found", "record_peak"])
    print(d[~d["found"]].round(2).to_string())
    print(f"missed windows it reaches: {int((~d['found'] & (d['record_peak'] >= thr)).sum())} "
          f"of {int((~d['found']).sum())}; its false onsets: {false_onsets}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("probe", choices=("visibility", "refractory", "volatility"))
    ap.add_argument("root", type=Path, nargs="?")
    ap.add_argument("--rows", type=int, default=12)
    ap.add_argument("--stat", choices=("std", "mean"), default="std")
    args = ap.parse_args()
    run = pickle.loads(args.run.read_bytes())
    if args.probe == "visibility":
        visibility(run)
    elif args.probe == "refractory":
        refractory(run)
    else:
        volatility(run, args.root, args.rows, args.stat)


if __name__ == "__main__":
    main()
