"""Scratch: long sub-gate runs read offline (issue 11 at 15 minutes). On
``operator_quality.py --save`` results, a row is also flagged when its sector's last
``k`` reports (one cadence step apart, no gap; ``k`` in data time) all scored at least
``m`` -- optionally with the score taken relative to the sector's area at each time (the
median score of its ``--near`` nearest sectors, so that a whole area moving for hours is no
fault). Events gained, false-alarm rows added, per fault kind; and how often normal rows sit
in such runs::

    python benchmarks/surge27/runs.py R1.parquet [R2 ...] [--k 1h 2h] [--min 2 2.5]
        [--near 0 12]

Causal: a row's run is its own and earlier rows only, as a streaming part would read it.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from rule_gain import with_rule

from telecom_nb import schema
from telecom_nb.evaluation.metrics import evaluate


def sector_order(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.Timedelta]:
    """Row order by sector then time, whether each sorted row directly follows its
    sector's previous report (one cadence step), and the cadence."""
    order = np.lexsort((df[schema.TIMESTAMP].to_numpy(), df[schema.SECTOR].to_numpy()))
    ns = pd.DatetimeIndex(df[schema.TIMESTAMP].to_numpy()[order]).as_unit("ns").asi8
    sector = df[schema.SECTOR].to_numpy()[order]
    same = np.r_[False, sector[1:] == sector[:-1]]
    gap = np.r_[0, np.diff(ns)]
    step = int(pd.Series(gap[same]).mode().iloc[0])
    return order, same & (gap == step), pd.Timedelta(step)


def run_length(cond: np.ndarray, follows: np.ndarray) -> np.ndarray:
    """Per sorted row, how many rows up to and including it in an unbroken run where
    ``cond`` holds (0 where it does not)."""
    idx = np.arange(len(cond))
    start = ~(follows & np.r_[False, cond[:-1]]) | ~cond
    last_start = np.maximum.accumulate(np.where(start, idx, 0))
    return np.where(cond, idx - last_start + 1, 0)


def window_mean(values: np.ndarray, follows: np.ndarray, rows: int) -> np.ndarray:
    """Per sorted row, the mean of ``values`` over its sector's last ``rows`` reports
    (itself included) when they are unbroken, else NaN."""
    idx = np.arange(len(values))
    pos = idx - np.maximum.accumulate(np.where(~follows, idx, 0))
    cs = np.r_[0.0, np.cumsum(values)]
    back = np.maximum(idx + 1 - rows, 0)
    return np.where(pos >= rows - 1, (cs[idx + 1] - cs[back]) / rows, np.nan)


def area_median(df: pd.DataFrame, near: int) -> np.ndarray:
    """Each row's median score over its ``near`` nearest sectors (by site coordinates,
    itself excluded) at the same timestamp; NaN without coordinates."""
    if not {schema.LAT, schema.LON} <= set(df.columns):
        return np.full(len(df), np.nan)
    pos = df.groupby(schema.SECTOR)[[schema.LAT, schema.LON]].first()
    xy = np.c_[pos[schema.LAT].to_numpy(), pos[schema.LON].to_numpy()
               * np.cos(np.radians(pos[schema.LAT].mean()))]
    d = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    nn = np.argsort(d, axis=1)[:, :near]
    wide = df.pivot_table(index=schema.TIMESTAMP, columns=schema.SECTOR,
                          values=schema.SCORE, aggfunc="first").reindex(columns=pos.index)
    vals = wide.to_numpy()
    with warnings.catch_warnings():  # a time no neighbour reported: NaN, read as 0
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(vals[:, nn], axis=2)  # time x sector
    t = wide.index.get_indexer(df[schema.TIMESTAMP])
    s = pos.index.get_indexer(df[schema.SECTOR])
    return med[t, s]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", nargs="+")
    ap.add_argument("--k", nargs="+", default=["1h", "2h", "3h"])
    ap.add_argument("--min", type=float, nargs="+", default=[2.0, 2.3, 2.5])
    ap.add_argument("--rule", choices=["run", "mean", "count"], default="run",
                    help="run: every row of the last k >= m; mean: their mean >= m; "
                         "count: at least half of them >= m")
    ap.add_argument("--near", type=int, nargs="+", default=[0],
                    help="0: the score itself; n: score minus the n nearest sectors' median")
    args = ap.parse_args()
    for path in args.results:
        df = pd.read_parquet(path).reset_index(drop=True)
        base = evaluate(df)
        flags = df[schema.IS_ANOMALY].to_numpy(bool)
        normal = (df[schema.FAULT] == "").to_numpy()
        order, follows, step = sector_order(df)
        print(f"{path} ({step}): P {base.precision:.3f} events {base.events_found}/"
              f"{base.n_events} ({base.event_recall:.3f}) false-alarm rows {base.fp}")
        score = df[schema.SCORE].to_numpy(float)
        for near in args.near:
            s = score if near == 0 else score - np.nan_to_num(area_median(df, near))
            for k in args.k:
                rows = max(1, int(pd.Timedelta(k) / step))
                for m in args.min:
                    hit = np.empty(len(df), bool)
                    if args.rule == "run":
                        hit[order] = run_length((s >= m)[order], follows) >= rows
                    elif args.rule == "mean":
                        # sub-gate windows only: a window holding a flagged row is the
                        # tail of a fault already alerted, not a new one
                        quiet = window_mean(flags[order].astype(float), follows, rows) == 0
                        hit[order] = quiet & (window_mean(s[order], follows, rows) >= m)
                    else:
                        frac = window_mean((s >= m)[order].astype(float), follows, rows)
                        hit[order] = frac >= 0.5
                    ev, kinds = with_rule(df, base, hit)
                    nsec = df.loc[hit & normal, schema.SECTOR].nunique()
                    print(f"  {args.rule} near {near} k {k} ({rows} rows) >= {m}: "
                          f"+{ev.events_found - base.events_found} events "
                          f"+{ev.fp - base.fp} false-alarm rows (normal rows in runs "
                          f"{(hit & normal).sum()}, {nsec} sectors) P {ev.precision:.3f} "
                          f"{kinds}")


if __name__ == "__main__":
    main()
