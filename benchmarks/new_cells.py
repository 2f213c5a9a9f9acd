"""Cells switched on in the middle of an export: their scores and incidents against old cells'.

Reads a scored, labelled frame (``timestamp``, ``sector_id``, ``fault`` with "" or NaN for
normal, ``score``, ``is_anomaly``: the judged rows) and, for each sector's first row, the
whole scored export (``telecom-nb detect --out``; defaults to the judged frame). A cell is
new when its first row comes more than a day after the export's. Prints, per age of the new
cells (0-1 / 1-3 / 3-7 / 7+ days), their normal rows' score quantiles and false-alarm share
and their faulty rows' recall; per fault kind, old cells' events found and peak score against
each new cell's event (peak, age at its start); and the false alarms on new cells, with those
on cells whose fault was there from their first row (its end reads as the anomaly).

With ``--contrast site`` (or ``site,Band``: a column list) it also asks whether evidence
that needs no history of the cell's own would see the faults a new cell carries from its
first row: per size-free KPI, the cell minus the median of its group's cells at the tick,
robust z against the fleet's normal rows (spread: the larger of the MAD's and the 90th
percentile's); normal rows' quantiles against the faulty rows'.

    python benchmarks/new_cells.py JUDGED.parquet [--full DETECT.parquet] [--contrast site]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

AGES = ((0, 1), (1, 3), (3, 7), (7, None))
#: KPIs whose level does not scale with the cell's size (gen16's export's names)
SIZE_FREE = (
    "UL RSSI (dBm)",
    "Avg CQI",
    "RRC Setup SR (%)",
    "ERAB Setup SR (%)",
    "ERAB Drop Rate (%)",
    "TCH Drop Rate (%)",
    "DL User Thp (Mbps)",
    "DL Latency (ms)",
    "DL Pkt Loss (%)",
    "PRB Util DL (%)",
)
#: rows closer than this to the previous one of the same sector and kind are one event
EVENT_GAP = pd.Timedelta("3h")


def events(d: pd.DataFrame) -> pd.DataFrame:
    """One row per labelled event: sector, kind, age at start, new or not, peak, found."""
    e = d[d.bad].sort_values(["sector_id", "timestamp"])
    cut = (
        (e.sector_id != e.sector_id.shift())
        | (e.fault != e.fault.shift())
        | (e.timestamp.diff() > EVENT_GAP)
    )
    return e.groupby(cut.cumsum()).agg(
        kind=("fault", "first"),
        age=("age", "min"),
        new=("new", "first"),
        peak=("score", "max"),
        found=("is_anomaly", "any"),
    )


def report(d: pd.DataFrame, first: pd.Series) -> None:
    """Print the new cells' figures against the old cells'."""
    new = first.index[first > first.min() + pd.Timedelta("1D")]
    d = d.assign(
        age=(d.timestamp - d.sector_id.map(first)).dt.total_seconds() / 86400,
        new=d.sector_id.isin(new),
        bad=d.fault.fillna("") != "",
    )
    print(
        f"cells {len(first)}, new {len(new)} (first rows "
        f"{sorted(set(first[new].dt.strftime('%m-%d %H:%M')))})"
    )
    groups = [
        (f"new {lo}-{hi or ''}d", d.new & (d.age >= lo) & (d.age < (hi or float("inf"))))
        for lo, hi in AGES
    ]
    for name, m in [*groups, ("old", ~d.new)]:
        n, f = d[m & ~d.bad], d[m & d.bad]
        if len(n):
            print(
                f"  {name:10s} normal rows {len(n):7d} score q50 {n.score.median():.2f} "
                f"q90 {n.score.quantile(0.9):.2f} q99 {n.score.quantile(0.99):.2f} "
                f"flagged {n.is_anomaly.mean():.3f} | faulty rows {len(f)} recall "
                f"{f.is_anomaly.mean() if len(f) else float('nan'):.2f}"
            )
    for kind, g in events(d).groupby("kind"):
        old, nw = g[~g.new], g[g.new]
        shown = ", ".join(
            f"{p:.2f}@{a:.1f}d{'*' if f else ''}"
            for p, a, f in zip(nw.peak, nw.age, nw.found, strict=True)
        )
        print(
            f"  {kind:22s} old {old.found.sum()}/{len(old)} peak q50 {old.peak.median():.2f}"
            f" | new {nw.found.sum()}/{len(nw)} (peak@age, * found) {shown}"
        )
    fa = d[~d.bad & d.is_anomaly]
    fan = fa[fa.new]
    from_first = d[d.bad & (d.age < 0.01)].sector_id.unique()
    print(
        f"  false-alarm rows {len(fa)}, on new cells {len(fan)} (first day "
        f"{int((fan.age < 1).sum())}); on cells faulty from their first row "
        f"{int(fan.sector_id.isin(from_first).sum())} {list(from_first)}"
    )


def contrast(d: pd.DataFrame, first: pd.Series, group: list[str], key: str) -> None:
    """Print the same-tick contrast with the cell's group (``group``: columns) per row."""
    kpis = [k for k in SIZE_FREE if k in d.columns]
    age = (d.timestamp - d.sector_id.map(first)).dt.total_seconds() / 86400
    bad = d.fault.fillna("") != ""
    by = d.groupby(["timestamp", *group])
    diff = d[kpis] - by[kpis].transform("median")
    ok = by.sector_id.transform("size") >= 3
    ref = diff[~bad & ok]
    dev = (ref - ref.median()).abs()
    spread = np.maximum(dev.median() * 1.4826, dev.quantile(0.9) / 1.645)
    z = ((diff - ref.median()) / spread.clip(lower=1e-6)).abs().where(ok)
    zmax = z.max(axis=1)
    q = zmax[~bad].quantile([0.99, 0.999]).round(1).tolist()
    print(f"  contrast with {group}: normal rows' max |z| over KPIs q99 / q99.9 {q}")
    if key in z:
        kq = z.loc[~bad, key].quantile([0.99, 0.999]).round(1).tolist()
        print(
            f"    {key}: normal q99 / q99.9 {kq}, faulty rows' median by kind "
            f"{z.loc[bad, key].groupby(d.fault[bad]).median().round(1).to_dict()}"
        )
    for sid in d[bad & (age < 0.01)].sector_id.unique():
        m = bad & (d.sector_id == sid) & (age < 1)
        top = z[m].max().idxmax()
        own = f", {key} median {z.loc[m, key].median():.1f}" if key in z else ""
        print(
            f"    {sid} ({d.fault[m].iloc[0]}, from its first row) max |z| median "
            f"{zmax[m].median():.1f}, max {zmax[m].max():.1f} via {top}{own}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("judged", help="scored, labelled frame (parquet)")
    ap.add_argument("--full", help="the whole scored export, for each sector's first row")
    ap.add_argument("--contrast", help="columns grouping a cell's comparison cells (site,Band)")
    ap.add_argument("--kpi", default="UL RSSI (dBm)", help="KPI shown on its own in --contrast")
    args = ap.parse_args()
    cols = ["timestamp", "sector_id", "fault", "score", "is_anomaly"]
    group = args.contrast.split(",") if args.contrast else []
    d = pd.read_parquet(args.judged, columns=None if group else cols)
    whole = pd.read_parquet(args.full, columns=cols[:2]) if args.full else d
    first = whole.groupby("sector_id").timestamp.min()
    report(d, first)
    if group:
        contrast(d, first, group, args.kpi)


if __name__ == "__main__":
    main()
