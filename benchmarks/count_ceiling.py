"""Scratch: the ceiling of a rate-of-counts fault's recall on a judged vendor world (issue 11).

Not a test; analysis only, and never a judge of a rule (an oracle reads the labels and the
generator's traffic constant). Reads a run saved by ``operator_quality.py W --save RUN``
and asks how many episodes of one fault kind (the VoLTE drop surges) *any* reading of the
counts could find at a given number of false rows: per value the drops and calls it shows
(its smallest fraction ``k / n`` at the export's decimals, the multiple likeliest under the
fleet's pooled rate given the calls the traffic implies, ``TRAFFIC x PER_UNIT_HOUR x
hours``; 0 % is 0 drops of those calls), and per row, where its own value shows a drop, the
Poisson tail of the drops in the best window of 1..``--windows`` rows ending there at the
pooled rate (a Bonferroni factor for the windows tried). The episodes it reaches at the
tail that leaves 5 / 10 / 20 / 40 judged normal rows, beside the run's own flags::

    cd benchmarks && python count_ceiling.py RUN.parquet

volte61: main's VoLTE surges found equal this ceiling's at 10-20 normal rows on fresh
30-minute and hourly worlds; what it misses shows 0-4 drops in an episode, as rare as
dozens of normal rows (see MEASURED.md).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from scipy.special import gammaln
from scipy.stats import poisson

from telecom_nb import schema
from telecom_nb.features.count_fractions import fewest_decimals, smallest_fraction

#: the multiples of a value's smallest fraction weighed
MULTIPLES = 40
#: calls per Erlang-hour of ``scripts/vendor_world.py`` (calls of ~90 s)
PER_UNIT_HOUR = 40.0


def counts(values: np.ndarray, implied: np.ndarray, rate: float
           ) -> tuple[np.ndarray, np.ndarray]:
    """(events, trials) per percentage value: its smallest fraction's multiple likeliest
    under ``rate`` given Poisson trials about ``implied`` (0 %: 0 of ``implied``; NaN: 0 of
    0). The fewest events the value allows unless the traffic says the trials are many."""
    v = np.asarray(values, dtype=float)
    finite = np.isfinite(v)
    decimals = int(fewest_decimals(np.where(finite, v, 0.0)[:, None])[0])
    k0, n0 = smallest_fraction(v, 0.5 * 10.0 ** -decimals + 1e-9)
    lam = np.maximum(np.nan_to_num(implied), 0.5)
    m = np.arange(1.0, MULTIPLES + 1.0)[None, :]
    k, n = k0[:, None] * m, np.maximum(n0[:, None], 1) * m
    # Poisson(n; lam) x binomial(k of n; rate): the n! of both cancel
    like = (n * np.log(lam[:, None]) - gammaln(k + 1.0) - gammaln(n - k + 1.0)
            + k * np.log(rate) + (n - k) * np.log1p(-rate))
    best = 1.0 + np.argmax(like, axis=1)
    events = np.where(finite & (v > 0), k0 * best, 0.0)
    trials = np.where(finite & (v > 0), n0 * best, np.where(finite, lam, 0.0))
    return events, trials


def window_tails(sector: np.ndarray, events: np.ndarray, trials: np.ndarray, rate: float,
                 windows: int) -> np.ndarray:
    """Per row (sorted by sector, then time): the least Poisson tail of the events in a
    window of 1..``windows`` rows of its sector ending there at ``rate``, times the
    windows tried; 1 where the row's own value shows no event."""
    start = np.r_[True, sector[1:] != sector[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(len(sector)), 0))
    ck, cn = np.r_[0.0, np.cumsum(events)], np.r_[0.0, np.cumsum(trials)]
    at = np.arange(len(sector))
    best = np.ones(len(sector))
    for w in range(1, windows + 1):
        lo = np.maximum(at + 1 - w, first)
        k, n = ck[at + 1] - ck[lo], cn[at + 1] - cn[lo]
        tail = np.where(k > 0, poisson.sf(k - 1, rate * n), 1.0)
        best = np.minimum(best, np.minimum(tail * w, 1.0))
    return np.where(events > 0, best, 1.0)


def episodes(run: pd.DataFrame, kind: str, step: pd.Timedelta) -> pd.Series:
    """An episode number per row of fault ``kind`` (sorted by sector, time; gaps > 1.5 steps
    split), NaN elsewhere."""
    sub = run[run[schema.FAULT].fillna("") == kind]
    new = (sub[schema.SECTOR] != sub[schema.SECTOR].shift()) | (
        sub[schema.TIMESTAMP].diff() > 1.5 * step)
    return pd.Series(new.cumsum(), index=sub.index).reindex(run.index)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", help="a parquet saved by operator_quality.py --save")
    ap.add_argument("--kpi", default="VoLTE Drop Rate (%)")
    ap.add_argument("--traffic", default="VoLTE Traffic (Erl)")
    ap.add_argument("--fault", default="volte_drop_surge")
    ap.add_argument("--per-unit-hour", type=float, default=PER_UNIT_HOUR)
    ap.add_argument("--windows", type=int, default=12)
    args = ap.parse_args(argv)
    run = pd.read_parquet(args.run).sort_values([schema.SECTOR, schema.TIMESTAMP])
    run = run.reset_index(drop=True)
    step = run[schema.TIMESTAMP].drop_duplicates().sort_values().diff().median()
    implied = run[args.traffic].to_numpy(float) * args.per_unit_hour * (step / pd.Timedelta("1h"))
    values = run[args.kpi].to_numpy(float)
    k, n = counts(values, implied, 0.004)
    rate = k.sum() / n.sum()
    k, n = counts(values, implied, rate)  # once more at the pooled rate itself
    rate = k.sum() / n.sum()
    sector = pd.factorize(run[schema.SECTOR])[0]
    run["tail"] = window_tails(sector, k, n, rate, args.windows)
    run["events"], run["trials"] = k, n
    run["episode"] = episodes(run, args.fault, step)
    fault = run[schema.FAULT].fillna("").astype(str)
    # a normal row whose windows may hold a fault's events (any fault of its sector before)
    after = (fault != "").astype(float).groupby(sector).transform(
        lambda f: f.rolling(args.windows, min_periods=1).max()).to_numpy() > 0
    normal = np.sort(run.loc[fault == "", "tail"].to_numpy())
    clean = np.sort(run.loc[(fault == "") & ~after, "tail"].to_numpy())
    eps = run.dropna(subset=["episode"]).groupby("episode").agg(
        sector=(schema.SECTOR, "first"), start=(schema.TIMESTAMP, "first"),
        rows=("tail", "size"), events=("events", "sum"), trials=("trials", "sum"),
        tail=("tail", "min"), found=("is_anomaly", "any"), peak=("score", "max"))
    print(f"{args.run}: pooled rate {rate:.4%}, {len(normal):,} judged normal rows; "
          f"{args.fault} episodes found by the run {int(eps.found.sum())}/{len(eps)}")
    for budget in (5, 10, 20, 40):
        level = normal[min(budget, len(normal) - 1)]
        reach = eps["tail"] < level
        away = int(np.searchsorted(clean, level))
        print(f"  ceiling at {budget} normal rows (tail < {level:.1e}; {away} of them not just "
              f"after a fault): {int(reach.sum())}/{len(eps)}; with the run's "
              f"{int((reach | eps.found).sum())}")
    with pd.option_context("display.width", 200):
        print(eps.sort_values("tail").to_string(float_format=lambda x: f"{x:.3g}"))


if __name__ == "__main__":
    main()
