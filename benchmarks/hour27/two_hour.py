"""Scratch: the two-hour read tried offline on ``trace.py`` (or ``operator_quality.py
--save``) output: a row is also flagged when it and the same sector's row one cadence step
before (an hour on hourly data; no gap) both score at least ``--min`` (the score's
threshold stays 3). Events gained, false-alarm rows added, per fault kind::

    python benchmarks/hour27/two_hour.py R1.parquet [R2.parquet ...] [--min 2.5 2.3]

Only hourly or slower data are read (at 30 minutes two rows are one hour: tuning t1778
gained no event for 19 rows at 2.5).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from rule_gain import with_rule

from telecom_nb import schema
from telecom_nb.evaluation.metrics import evaluate

#: the finest cadence the rule reads
STEP = pd.Timedelta("1h")


def previous_score(df: pd.DataFrame) -> tuple[np.ndarray, pd.Timedelta]:
    """Each row's sector's score one cadence step earlier (NaN: no such row), and the
    cadence (the most common gap between a sector's rows)."""
    s = df.sort_values([schema.SECTOR, schema.TIMESTAMP])
    ns = pd.DatetimeIndex(s[schema.TIMESTAMP]).as_unit("ns").asi8
    sector = s[schema.SECTOR].to_numpy()
    same = np.r_[False, sector[1:] == sector[:-1]]
    gap = np.r_[0, np.diff(ns)]
    step = int(pd.Series(gap[same]).mode().iloc[0])
    v = s[schema.SCORE].to_numpy(dtype=float)
    prev = np.where(same & (gap == step), np.r_[np.nan, v[:-1]], np.nan)
    return pd.Series(prev, index=s.index).reindex(df.index).to_numpy(), pd.Timedelta(step)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", nargs="+")
    ap.add_argument("--min", type=float, nargs="+", default=[2.5, 2.3])
    args = ap.parse_args()
    for path in args.results:
        df = pd.read_parquet(path)
        base = evaluate(df)
        prev, step = previous_score(df)
        print(f"{path} ({step}): P {base.precision:.3f} events {base.events_found}/"
              f"{base.n_events} ({base.event_recall:.3f}) false-alarm rows {base.fp}")
        if step < STEP:
            print("  finer than hourly: not read")
            continue
        s = df[schema.SCORE].to_numpy(float)
        for m in args.min:
            ev, kinds = with_rule(df, base, (s >= m) & (prev >= m))
            print(f"  both >= {m}: +{ev.events_found - base.events_found} events "
                  f"+{ev.fp - base.fp} false-alarm rows: P {ev.precision:.3f} event recall "
                  f"{ev.event_recall:.3f} {kinds}")


if __name__ == "__main__":
    main()
