"""Is a throughput better read against its sector's load curve than against its hour?

A measurement for the next detector change, not part of the product. Input: the per-row
results ``benchmarks/operator_quality.py DIR --save OUT.parquet`` keeps (KPIs, ``fault``,
``is_anomaly``, ``top_kpi``). Each sector's log throughput is read two ways, both fitted on
the normal rows of the first half of the scored period and evaluated on the second half:

* ``zh``: against the sector's median at that local hour (what a seasonal baseline does);
* ``zc``: against the sector's median in its own users decile (the load curve: a cell near
  capacity loses throughput when it carries more users than usual, whatever the hour).

Both scaled by their own MAD. Printed: the quantiles of each for the false-alarm rows whose
top KPI is the throughput, for each labelled fault kind, and the normal rows beyond -4 / -6.

    python benchmarks/load_curve_probe.py OUT.parquet Asia/Kabul \
        ["DL User Thp (Mbps)" "Avg RRC Users"]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

BINS = 10
MAD_FLOOR = 0.02  # log units: a throughput steadier than 2 % is read as 2 %


def _median_mad(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = frame.groupby(keys)["log_kpi"]
    med = grouped.median().rename("med")
    dev = (frame["log_kpi"] - frame.join(med, on=keys)["med"]).abs()
    mad = dev.groupby([frame[k] for k in keys]).median().rename("mad")
    return pd.concat([med, mad], axis=1)


def _z(rows: pd.DataFrame, fit: pd.DataFrame, keys: list[str]) -> pd.Series:
    ref = rows.join(_median_mad(fit, keys), on=keys)
    return (ref["log_kpi"] - ref["med"]) / (1.4826 * ref["mad"].clip(lower=MAD_FLOOR))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("timezone")
    ap.add_argument("kpi", nargs="?", default="DL User Thp (Mbps)")
    ap.add_argument("load", nargs="?", default="Avg RRC Users")
    args = ap.parse_args()
    d = pd.read_parquet(args.results)
    d = d[(d[args.kpi] > 0) & (d[args.load] > 0)].copy()
    d["hour"] = d["timestamp"].dt.tz_convert(args.timezone).dt.hour
    d["log_kpi"], d["log_load"] = np.log(d[args.kpi]), np.log(d[args.load])
    mid = d["timestamp"].min() + (d["timestamp"].max() - d["timestamp"].min()) / 2
    early = d["timestamp"] < mid
    normal = d["fault"] == ""
    edges = d[early & normal].groupby("sector_id")["log_load"].quantile(
        np.linspace(0, 1, BINS + 1)).unstack()
    inner = edges.reindex(d["sector_id"]).to_numpy()[:, 1:-1]
    d["load_bin"] = (d["log_load"].to_numpy()[:, None] > inner).sum(axis=1)
    fit, rows = d[early & normal], d[~early].copy()
    rows["zh"] = _z(rows, fit, ["sector_id", "hour"])
    rows["zc"] = _z(rows, fit, ["sector_id", "load_bin"])
    q = [0.1, 0.5, 0.9]

    def line(name: str, mask: pd.Series) -> None:
        part = rows[mask]
        print(f"{name:24s} rows {len(part):6d}  zh {part['zh'].quantile(q).round(1).tolist()}"
              f"  zc {part['zc'].quantile(q).round(1).tolist()}")

    line("false alarms (top KPI)", rows["is_anomaly"] & (rows["fault"] == "")
         & (rows["top_kpi"] == args.kpi))
    for kind in sorted(set(rows["fault"]) - {""}):
        line(kind, rows["fault"] == kind)
    ok = rows["fault"] == ""
    for bar in (-4, -6):
        print(f"normal rows below {bar}: zh {int((ok & (rows['zh'] < bar)).sum())}, "
              f"zc {int((ok & (rows['zc'] < bar)).sum())} of {int(ok.sum())}")


if __name__ == "__main__":
    main()
