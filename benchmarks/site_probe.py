"""Scratch: would joint evidence across a site's co-sited cells find the missed events?

Not a test. Reads the judged rows saved by ``operator_quality.py WORLD --missed --save R``
(score, site, fault, is_anomaly) and asks, offline:

1. how many missed fault episodes are *site-wide* (at their rows' times, at least half of
   the site's cells are faulty too);
2. what a site-level statistic of the cells' scores at one time would add: the site's 2nd or
   3rd highest cell score, its lowest (every cell moved), that lowest minus the highest lowest
   of its 3 nearest sites (``alone``: the site moved, its area did not), the score at half
   its cells, or Stouffer's sum of the cells' calibrated z (each score's p from
   the empirical distribution of all scores in the file, a null learned from the data and
   mostly normal rows). A (site, time) whose statistic passes its threshold (the q-quantile
   of the statistic over the (site, time) pairs where the detector flagged no cell: the
   null is what the detector itself calls normal; hindsight over the file, or with
   ``--causal`` from earlier days only) flags its cells scoring at least ``floor``.

    python benchmarks/site_probe.py R.parquet [R2.parquet ...] [--stats min k3 ...]
        [--q 0.999 0.9995] [--floor 1.5 2.0] [--causal] [--show]

Prints, per file and rule: events found by main, events added, false-alarm rows added, and
the resulting precision and event recall (both after the burn-in, as the results are).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from operator_quality import fault_episodes
from scipy.special import ndtri


def site_frame(d: pd.DataFrame) -> pd.DataFrame:
    """Rows with a site, plus their site-time group number and the cell's calibrated z."""
    d = d[d["site"].notna() & (d["site"] != "")].copy()
    d["st"] = d.groupby(["site", "timestamp"], sort=False).ngroup().to_numpy()
    rank = d["score"].rank(method="average").to_numpy()
    p = 1.0 - (rank - 0.5) / len(d)
    d["z"] = ndtri(1.0 - p)
    return d


def site_stats(d: pd.DataFrame) -> pd.DataFrame:
    """Per site-time: cells, 2nd and 3rd highest score, lowest (every cell moved), the
    score at half the site's cells, Stouffer z of the cells and of the top half."""
    g = d.groupby("st")
    srt = d.sort_values(["st", "score"], ascending=[True, False])
    pos = srt.groupby("st").cumcount().to_numpy()
    second = srt.loc[pos == 1].set_index("st")["score"]
    third = srt.loc[pos == 2].set_index("st")["score"]
    n = g.size()
    half = srt.loc[pos == np.ceil(srt["st"].map(n).to_numpy() / 2) - 1].set_index("st")["score"]
    out = pd.DataFrame({"n": n, "k2": second, "k3": third, "min": g["score"].min(),
                        "khalf": half,
                        "stouffer": g["z"].sum() / np.sqrt(n)})
    # Stouffer of the top half only: the site's move, not diluted by bands that did not move.
    srt["half"] = pos < np.ceil(srt["st"].map(n).to_numpy() / 2)
    top = srt[srt["half"]].groupby("st")["z"]
    out["stouffer_top"] = top.sum() / np.sqrt(top.size())
    out = out.fillna(-np.inf)
    out["alone"] = out["min"] - neighbour_min(d, out["min"])
    return out


def neighbour_min(d: pd.DataFrame, low: pd.Series, k: int = 3) -> np.ndarray:
    """Per site-time, the highest 'lowest cell score' of the k nearest other sites at that
    time: whether the site moved with its area (a crowd, a cluster) or alone."""
    key = d.groupby("st").agg(site=("site", "first"), ts=("timestamp", "first"))
    where = d.groupby("site")[["lat", "lon"]].mean()
    xy = np.radians(where.to_numpy())
    dist = np.hypot(xy[:, None, 0] - xy[None, :, 0],
                    (xy[:, None, 1] - xy[None, :, 1]) * np.cos(xy[:, None, 0]))
    np.fill_diagonal(dist, np.inf)
    near = np.argsort(dist, axis=1)[:, :k]
    grid = pd.Series(low.to_numpy(), index=pd.MultiIndex.from_frame(key.loc[low.index])).unstack(
        "site").reindex(columns=where.index).fillna(-np.inf)
    nmax = grid.to_numpy()[:, near].max(axis=2)
    ti = grid.index.get_indexer(key.loc[low.index, "ts"])
    si = where.index.get_indexer(key.loc[low.index, "site"])
    return nmax[ti, si]


def judge(d: pd.DataFrame, flagged: np.ndarray) -> tuple[float, float, int, int]:
    """Row precision, event recall, events found, false-alarm rows."""
    fault = d["fault"].to_numpy() != ""
    tp, fp = int((flagged & fault).sum()), int((flagged & ~fault).sum())
    ep = fault_episodes(d.assign(is_anomaly=flagged)).groupby("episode")["is_anomaly"].any()
    return tp / max(tp + fp, 1), float(ep.mean()), int(ep.sum()), fp


def site_wide_missed(d: pd.DataFrame) -> pd.DataFrame:
    """Missed episodes with the share of their site's cells faulty at the same times."""
    faulty = d.groupby("st")["fault"].apply(lambda f: (f != "").mean())
    ep = fault_episodes(d)
    ep = ep.assign(share=ep["st"].map(faulty).to_numpy())
    agg = ep.groupby("episode").agg(kind=("fault", "first"), found=("is_anomaly", "any"),
                                    share=("share", "max"))
    return agg[~agg["found"]]


def causal_threshold(stat: pd.Series, quiet: pd.Series, day: pd.Series,
                     q: float) -> pd.Series:
    """Per site-time, the q-quantile of the quiet site-times of the days before its own
    (as a stream would know it; the first day of the file uses itself)."""
    stat = stat.replace(-np.inf, np.nan)
    days = np.sort(day.unique())
    out = pd.Series(np.nan, index=stat.index)
    for i, dd in enumerate(days):
        past = quiet.to_numpy() & (day.to_numpy() < dd) if i else (day.to_numpy() == dd)
        out[day.to_numpy() == dd] = np.nanquantile(stat[past], q)
    return out


def show_wide(d: pd.DataFrame, wide: pd.DataFrame, st: pd.DataFrame) -> None:
    """Each site-wide missed episode: its site-times' statistics and cells' scores."""
    ep = fault_episodes(d)
    for e in wide.index:
        rows = ep[ep["episode"] == e]
        for t in rows["st"].unique()[:4]:
            cells = d[d["st"] == t].sort_values("score", ascending=False)
            print(f"    {rows['fault'].iat[0]:20s} {cells['site'].iat[0]} "
                  f"{cells['timestamp'].iat[0]:%m-%d %H:%M} "
                  + " ".join(f"{s:.1f}{'*' if f else ''}" for s, f in
                             zip(cells["score"], cells["fault"] != "", strict=True))
                  + f" | k2 {st.at[t, 'k2']:.2f} stouffer {st.at[t, 'stouffer']:.2f}"
                  f" top {st.at[t, 'stouffer_top']:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--q", nargs="+", type=float, default=[0.995, 0.998, 0.999])
    ap.add_argument("--floor", nargs="+", type=float, default=[1.0, 1.5, 2.0])
    ap.add_argument("--stats", nargs="+",
                    default=["k2", "k3", "min", "khalf", "stouffer", "stouffer_top"])
    ap.add_argument("--causal", action="store_true",
                    help="threshold from the quiet site-times of earlier days only")
    ap.add_argument("--show", action="store_true", help="print the site-wide missed events")
    a = ap.parse_args()
    for f in a.files:
        d = site_frame(pd.read_parquet(f))
        d["fault"] = d["fault"].fillna("")
        base = d["is_anomaly"].to_numpy()
        p0, r0, e0, fp0 = judge(d, base)
        missed = site_wide_missed(d)
        wide = missed[missed["share"] >= 0.5]
        print(f"{f.name}: P {p0:.3f} event recall {r0:.3f} ({e0}) fp {fp0}; missed "
              f"{len(missed)}, site-wide (>=half the site faulty) {len(wide)}: "
              f"{wide['kind'].value_counts().to_dict()}")
        st = site_stats(d)
        quiet = ~d.groupby("st")["is_anomaly"].any()
        null = st[quiet.reindex(st.index).to_numpy()]
        day = d.groupby("st")["timestamp"].first().dt.floor("D").reindex(st.index)
        if a.show:
            show_wide(d, wide, st)
        for stat in a.stats:
            for q in a.q:
                thr = float(np.quantile(null[stat].replace(-np.inf, np.nan).dropna(), q))
                if a.causal:
                    hot = (st[stat] >= causal_threshold(st[stat], quiet, day, q)).reindex(
                        d["st"]).to_numpy()
                else:
                    hot = (st[stat] >= thr).reindex(d["st"]).to_numpy()
                for floor in a.floor:
                    flag = base | (hot & (d["score"].to_numpy() >= floor))
                    p, r, e, fp = judge(d, flag)
                    print(f"  {stat:12s} q {q:.4f} thr {thr:6.2f} floor {floor:.1f}: "
                          f"events +{e - e0:2d} fp +{fp - fp0:3d}  P {p:.3f} R_ev {r:.3f}")


if __name__ == "__main__":
    main()
