"""Scratch: NAB's novelty-led alerts against the range they beat (issue 13, novelty47).

Not a test; analysis only. Reads a run saved by ``nab_loss.py --detail --save RUN.pkl``,
replays each file with the parts traced (``nab_leads.traced``) and prints, at the standard
profile's threshold, every false alert and window's first detection that the range-novelty
part led: the value, the causal range it beat (day blocks of the previous 21 days plus the
block's earlier rows, on the part's log scale, recomputed here: the stream's own ring can
differ by a batch's rows), the excess in the range's Gumbel scale ``beta`` (the part's
formula) and as a share of the range, rows since the previous record of the same side,
then the counts by excess::

    python benchmarks/nab_novelty.py RUN.pkl NAB_ROOT [--files SUBSTR ...]

A record by a hair after 3 weeks of 5-minute rows reads ``-log10 p`` = log10(6049) = 3.78
before the two sides' Bonferroni: above the corpus threshold with no excess at all.
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
from nab_leads import traced, utc

from telecom_nb import schema
from telecom_nb.evaluation.nab_loss import false_alarm_places
from telecom_nb.evaluation.nab_runner import VALUE, read_nab_file
from telecom_nb.features.range_novelty import GUMBEL_SHIFT
from telecom_nb.features.scaling import LOG_SPREAD_FLOOR

DAYS, TOLERANCE = 21, 0.05  # RangeNovelty's defaults


def ranges(ts: pd.Series, values: np.ndarray) -> pd.DataFrame:
    """Per row the causal range (hi, lo), its Gumbel scales and the complete day blocks."""
    y = np.sign(values) * np.log1p(np.abs(values))
    day = ((ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta("1D")).to_numpy().astype(np.int64)
    frame = pd.DataFrame({"d": day, "y": y})
    by = frame.groupby("d").y
    bmax, bmin = by.max(), by.min()
    first = (frame.d != frame.d.shift()).to_numpy()
    run_max = by.cummax().shift().mask(first).to_numpy()
    run_min = by.cummin().shift().mask(first).to_numpy()
    out = pd.DataFrame(np.nan, index=range(len(y)), columns=["hi", "lo", "b_hi", "b_lo", "k"])
    for d in bmax.index:
        past = (bmax.index < d) & (bmax.index >= d - DAYS)
        rows = np.flatnonzero(day == d)
        k = int(past.sum())
        if k == 0:
            continue
        hi = np.fmax(bmax[past].max(), run_max[rows])
        lo = np.fmin(bmin[past].min(), run_min[rows])
        floor = np.maximum(TOLERANCE * (hi - lo), LOG_SPREAD_FLOOR)
        spacing = np.log(k) + GUMBEL_SHIFT
        out.loc[rows, "hi"], out.loc[rows, "lo"] = hi, lo
        out.loc[rows, "b_hi"] = np.fmax((hi - bmax[past].median()) / spacing, floor)
        out.loc[rows, "b_lo"] = np.fmax((bmin[past].median() - lo) / spacing, floor)
        out.loc[rows, "k"] = k
    out["y"] = y
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("root", type=Path)
    ap.add_argument("--files", nargs="*", help="substrings of the files to replay (all)")
    args = ap.parse_args()
    run = pickle.loads(args.run.read_bytes())
    thr = run.thresholds["standard"]
    fa = false_alarm_places(run.file_scores, run.windows, run.profiles["standard"], thr,
                            timestamps=run.timestamps)
    rows = []
    for rel in run.files:
        if args.files and not any(s in rel for s in args.files):
            continue
        frame = read_nab_file(args.root / "data" / rel)
        alerts, lead, _ = traced(frame)
        ts = frame[schema.TIMESTAMP].reset_index(drop=True)
        values = frame[VALUE].to_numpy(float)
        r = ranges(ts, values)
        up, down = (r.y > r.hi).to_numpy(), (r.y < r.lo).to_numpy()
        side = np.where(up, 1, np.where(down, -1, 0))
        excess = np.where(up, (r.y - r.hi) / r.b_hi, (r.lo - r.y) / r.b_lo)
        share = np.where(up, r.y - r.hi, r.lo - r.y) / (r.hi - r.lo)
        firsts = []
        for start, end in run.windows[rel]:
            inside = np.flatnonzero(((ts >= utc(start)) & (ts <= utc(end))).to_numpy())
            hit = inside[alerts[inside] >= thr]
            firsts += [int(hit[0])] if len(hit) else []
        picked = [("false", int(i)) for i in fa[fa.file == rel].row] + [
            ("window", i) for i in firsts]
        for kind, i in picked:
            if lead["lead_part"].iloc[i] != "novelty":
                continue
            same = np.flatnonzero(side[:i] == side[i]) if side[i] else np.array([], int)
            rows.append({"kind": kind, "file": Path(rel).stem[:30], "time": ts[i],
                         "alert": round(alerts[i], 2), "value": values[i],
                         "beat": np.expm1(r.hi[i] if side[i] > 0 else r.lo[i]),
                         "side": side[i], "excess_beta": round(excess[i], 3) if side[i] else np.nan,
                         "share": round(share[i], 4) if side[i] else np.nan,
                         "rows_since": i - same[-1] if len(same) else np.nan})
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_rows", 500)
    print(table.to_string())
    if len(table):
        bins = pd.cut(table.excess_beta, [0, 0.02, 0.05, 0.1, 0.3, 1, 3, np.inf])
        print(pd.crosstab(bins, table.kind, dropna=False))


if __name__ == "__main__":
    main()
