"""How many flagged rows' top KPI moved in its *good* direction (issue 11 diagnosis).

A throughput above its usual or a latency below it is no fault to an RF engineer, yet the
detector reads a KPI's deviation on both sides (the KPI's ``bad`` direction, from
``source.toml`` or inferred from its name, is shown in the dashboard but not used in
scoring). This counts, on a per-row results file of ``operator_quality.py --save`` (the
judged period), the false-alarm and fault rows whose top KPI has a known bad direction and
sits on the other side of its sector's median at that local hour::

    python benchmarks/good_side_share.py RESULTS.parquet Africa/Lagos
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from telecom_nb.sources.kpiinfo import bad_direction


def good_side_counts(rows: pd.DataFrame, zone: str) -> dict[str, tuple[int, int, int]]:
    """``{"false alarm" | "fault": (flagged rows, top KPI directional, good side)}``."""
    hour = rows["timestamp"].dt.tz_convert(zone).dt.hour
    flagged = rows["is_anomaly"].astype(bool)
    normal = rows["fault"].fillna("") == ""
    good = pd.Series(False, index=rows.index)
    directional = pd.Series(False, index=rows.index)
    for kpi in rows.loc[flagged, "top_kpi"].dropna().unique():
        if kpi not in rows or not np.issubdtype(rows[kpi].dtype, np.number):
            continue
        bad = bad_direction(kpi)
        if bad == "both":
            continue
        usual = rows.groupby([rows["sector_id"], hour])[kpi].transform("median")
        top = flagged & (rows["top_kpi"] == kpi)
        above = rows[kpi] > usual
        directional |= top
        good |= top & (~above if bad == "up" else above)
    return {
        name: (int((flagged & m).sum()), int((directional & m).sum()), int((good & m).sum()))
        for name, m in (("false alarm", normal), ("fault", ~normal))
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", help="per-row results (operator_quality.py --save)")
    ap.add_argument("zone", help="the network's IANA time zone")
    args = ap.parse_args()
    rows = pd.read_parquet(args.results)
    for name, (n, directional, good) in good_side_counts(rows, args.zone).items():
        print(
            f"{name} rows {n:,}: top KPI with a bad direction {directional:,}, "
            f"on its good side {good:,}"
        )


if __name__ == "__main__":
    main()
