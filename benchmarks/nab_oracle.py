"""Scratch: how many NAB points a class of false alerts or a missed window is worth (issue 13).

Not a test; analysis only, and never a judge of a rule (an oracle reads the labels). Reads a
run saved by ``nab_loss.py --detail --save RUN.pkl``, replays each file once with the parts
traced (``nab_leads.traced``: the part leading every row) and prints the corpus score, every
profile's threshold re-optimised, when the false alerts at the standard threshold are
removed (windows untouched) by the part that led them, by file (files with 3 or more), and
when a part's every row is muted (windows too: what the part carries); then each missed
window found at its middle row alone::

    cd benchmarks && python nab_oracle.py RUN.pkl NAB_ROOT

A bound says where points are, not that a rule can take them: a rule that removes a kind
of false alert also removes the windows first found by that kind (``nab_leads.py``).
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np
from nab_leads import traced, utc

from telecom_nb import schema
from telecom_nb.evaluation.nab_corpus import optimize_threshold
from telecom_nb.evaluation.nab_loss import false_alarm_places, window_detail
from telecom_nb.evaluation.nab_runner import read_nab_file

PROFILES = ("standard", "reward_low_FP_rate")
FOUND = 5.0  # an oracle detection's alert score (above any corpus threshold seen)


def corpus(run, streams: dict[str, np.ndarray]) -> str:
    """Standard / low-FP scores of ``streams``, each profile's threshold re-optimised."""
    best = (optimize_threshold(streams, run.windows, run.profiles[p], rows=run.placed())
            for p in PROFILES)
    return " / ".join(f"{b.normalized:.2f}" for b in best)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("root", type=Path)
    args = ap.parse_args()
    run = pickle.loads(args.run.read_bytes())
    thr = run.thresholds["standard"]
    kw = {"timestamps": run.timestamps, "rows": run.placed()}
    fa = false_alarm_places(run.file_scores, run.windows, run.profiles["standard"], thr, **kw)
    lead, stamps = {}, {}
    for rel in run.files:
        frame = read_nab_file(args.root / "data" / rel)
        lead[rel] = traced(frame)[1]["lead_part"].to_numpy()
        stamps[rel] = frame[schema.TIMESTAMP].reset_index(drop=True)
    base = {rel: np.asarray(run.file_scores[rel], dtype=float) for rel in run.files}

    def muted(rows_of) -> dict[str, np.ndarray]:
        out = {}
        for rel, a in base.items():
            a = a.copy()
            a[rows_of(rel)] = 0.0
            out[rel] = a
        return out

    def false_rows(rel: str, part: str | None = None) -> np.ndarray:
        rows = fa[fa.file == rel]["row"].to_numpy(int)
        return rows if part is None else rows[lead[rel][rows] == part]

    print(f"{'main':60s} {corpus(run, base)}")
    parts = sorted({p for rel in run.files for p in lead[rel][false_rows(rel)]})
    for part in parts:
        print(f"{'false alerts led by ' + part + ' removed':60s} "
              f"{corpus(run, muted(lambda rel, p=part: false_rows(rel, p)))}")
    print(f"{'every false alert removed':60s} {corpus(run, muted(false_rows))}")
    for rel in run.files:
        if len(false_rows(rel)) >= 3:
            name = f"{Path(rel).stem[:36]}'s {len(false_rows(rel))} false alerts removed"
            one = muted(lambda r, f=rel: false_rows(r) if r == f else [])
            print(f"{name:60s} {corpus(run, one)}")
    for part in parts:
        print(f"{'every row led by ' + part + ' muted (windows too)':60s} "
              f"{corpus(run, muted(lambda rel, p=part: np.flatnonzero(lead[rel] == p)))}")
    win = window_detail(run.file_scores, run.windows, run.profiles["standard"], thr, **kw)
    for _, w in win[~win["found"]].iterrows():
        rel, k = w["file"], int(w["window"])
        start, end = (utc(t) for t in run.windows[rel][k])
        inside = np.flatnonzero(((stamps[rel] >= start) & (stamps[rel] <= end)).to_numpy())
        streams = dict(base)
        streams[rel] = base[rel].copy()
        streams[rel][inside[len(inside) // 2]] = FOUND
        print(f"{Path(rel).stem[:36] + f' W{k} found at its middle':60s} {corpus(run, streams)}")


if __name__ == "__main__":
    main()
