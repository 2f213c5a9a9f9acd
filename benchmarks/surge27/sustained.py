"""Scratch: are the missed long fault episodes sustained sub-gate runs, and how often do
normal rows sit in such runs? On ``operator_quality.py --save`` results, per world: missed
episodes at least an hour long, how many hold an hour of consecutive reports all >= m, and
the hour-long runs >= m starting on normal unflagged rows (per 1,000 sector-days)::

    python benchmarks/surge27/sustained.py R1.parquet [R2 ...] [--min 2 2.5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from operator_quality import fault_episodes
from runs import run_length, sector_order

from telecom_nb import schema

#: a run's length in data time
HOUR = pd.Timedelta("1h")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", nargs="+")
    ap.add_argument("--min", type=float, nargs="+", default=[2.0, 2.5])
    args = ap.parse_args()
    for path in args.results:
        df = pd.read_parquet(path).reset_index(drop=True)
        order, follows, step = sector_order(df)
        rows = max(1, int(HOUR / step))
        ep = fault_episodes(df)
        size = ep.groupby("episode").size()
        found = ep.groupby("episode")[schema.IS_ANOMALY].any()
        long_missed = found.index[~found & (size * step >= HOUR)]
        quiet = ((df[schema.FAULT] == "") & ~df[schema.IS_ANOMALY]).to_numpy()
        days = df[schema.SECTOR].nunique() * (
            df[schema.TIMESTAMP].max() - df[schema.TIMESTAMP].min()) / pd.Timedelta("1D")
        parts = []
        for m in args.min:
            run = np.empty(len(df), int)
            run[order] = run_length((df[schema.SCORE].to_numpy() >= m)[order], follows)
            peak_run = pd.Series(run, index=df.index).reindex(ep.index).groupby(
                ep["episode"]).max()
            sustained = int((peak_run.reindex(long_missed) >= rows).sum())
            starts = quiet & (run == rows)
            parts.append(f">= {m}: {sustained} of {len(long_missed)} sustained an hour; "
                         f"normal hour-long runs {starts.sum()} "
                         f"({1000 * starts.sum() / days:.1f} per 1,000 sector-days)")
        print(f"{path} ({step}) missed >= 1 h: {len(long_missed)}; " + " | ".join(parts))


if __name__ == "__main__":
    main()
