"""Where the NAB score is lost: per file and kind (false alarms, late, missed windows).

Not a test; analysis only. Streams the corpus as ``telecom-nb nab`` does and prints, at
each profile's corpus threshold, the loss split into its parts and the files that lose
most::

    python benchmarks/nab_loss.py NAB_ROOT [--top 15] [--profiles standard,reward_low_FP_rate]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from telecom_nb.evaluation.nab_runner import run_nab


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--detector", default="iforest")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--profiles", default="standard,reward_low_FP_rate")
    args = ap.parse_args()
    result = run_nab(args.root, args.detector, progress=False)
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


if __name__ == "__main__":
    main()
