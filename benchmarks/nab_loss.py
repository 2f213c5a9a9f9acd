"""Where the NAB score is lost: per file and kind (false alarms, late, missed windows).

Not a test; analysis only. Streams the corpus as ``telecom-nb nab`` does and prints, at
each profile's corpus threshold, the loss split into its parts and the files that lose
most; ``--detail`` adds every missed window (how close its rows came: peak row score,
peak alert, the file's highest false alert) and where the false alarms sit (after a
window, before one, in a file's first days just past probation, after a gap)::

    python benchmarks/nab_loss.py NAB_ROOT [--top 15] [--profiles standard,reward_low_FP_rate]
        [--detail] [--save RUN.pkl | --load RUN.pkl]

``--save`` keeps the run (alert and row scores) so the tables can be re-read without
another replay (``--load``).
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import pandas as pd

from telecom_nb.evaluation.nab_loss import false_alarm_places, window_detail
from telecom_nb.evaluation.nab_runner import NabResult, run_nab


def detail(result: NabResult, profile: str) -> None:
    """Missed and late windows, and the false alarms' places, at the profile's threshold."""
    thr = result.thresholds[profile]
    kw = {"timestamps": result.timestamps, "rows": result.placed()}
    win = window_detail(result.file_scores, result.windows, result.profiles[profile], thr,
                        row_scores=result.row_scores or None, **kw)
    found = win[win["found"]]
    print(f"-- windows: {len(found)} of {len(win)} found; first detection's value mean "
          f"{found['value'].mean():.3f}, at {found['at'].median():+.2f} of the window (median)")
    print(win[~win["found"]].drop(columns=["found", "value", "at"]).round(2).to_string())
    fa = false_alarm_places(result.file_scores, result.windows, result.profiles[profile], thr,
                            **kw)
    print("-- false alarms by place (n, cost)")
    print(fa.groupby("place")["cost"].agg(["size", "sum"]).round(2).to_string())
    by_file = pd.crosstab(fa["file"], fa["place"])
    print(by_file[by_file.sum(axis=1) >= 3].to_string())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--detector", default="iforest")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--profiles", default="standard,reward_low_FP_rate")
    ap.add_argument("--detail", action="store_true")
    ap.add_argument("--save", type=Path)
    ap.add_argument("--load", type=Path)
    args = ap.parse_args()
    if args.load:
        result = pickle.loads(args.load.read_bytes())
    else:
        result = run_nab(args.root, args.detector, progress=False, keep_rows=args.detail)
    if args.save:
        args.save.write_bytes(pickle.dumps(result))
    for profile in args.profiles.split(","):
        loss = result.loss(profile)
        parts = loss[["fp", "late", "missed"]].sum()
        print(f"== {profile}: {result.scores[profile]:.2f} at threshold "
              f"{result.thresholds[profile]:.3f}; lost to false alarms {parts['fp']:.2f} "
              f"({loss['n_fp'].sum()} alerts), late {parts['late']:.2f}, missed "
              f"{parts['missed']:.2f} ({loss['n_missed'].sum()} of {loss['windows'].sum()} "
              "windows)")
        kind = loss.groupby(loss.index.str.split("/").str[0]).sum()
        print(kind.round(2).to_string())
        print(loss.head(args.top).round(2).to_string())
        if args.detail:
            detail(result, profile)


if __name__ == "__main__":
    main()
