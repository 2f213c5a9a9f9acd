"""Scratch probe: do a fault's aftermath hours raise false alarms on the few-series sets?

A share of the flagged fault-free rows lying within 24 h after a fault of the same cell
means little by itself: with six faults per cell in 16 judged days, about a third of every
cell's normal rows lie there. This probe replays ``few_series.py`` sets (as ``judge``
does, with the leading part of each row traced, ``lead_part.py``) and prints, per lag
after the end of the cell's last fault, the false rows per 1,000 normal rows there, the
same for the rows one day and one week after a fault row (the seasonal slot that learned
it, +- 30 min), and which part leads the false rows of the first hour. Not a test.

    python benchmarks/aftermath_probe.py --seeds 2034,2035 --sets lte5,lte,cdn24
"""

from __future__ import annotations

import argparse

import few_series
import pandas as pd
from lead_part import attach, trace_parts

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.engine import replay

#: lag bins (hours after the last labelled row of the cell's previous fault; a row before
#: the cell's first fault reads NEVER hours, in the last bin)
NEVER = 1e9
EDGES = (0.0, 0.25, 1.0, 3.0, 6.0, 12.0, 24.0, 2 * NEVER)
LABELS = ("<15m", "15m-1h", "1-3h", "3-6h", "6-12h", "12-24h", ">24h or none")
HOUR_NS = 3_600_000_000_000
#: the same slot a day / a week later, this close (ns)
SLOT_NS = HOUR_NS // 2


def scored_with_parts(data: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """The judged rows (after the burn-in) with ``lead_part``, as ``few_series.judge``."""
    det = make_detector("iforest")
    kpis = [c for c in data.columns if c not in (schema.TIMESTAMP, schema.SECTOR)]
    table = data.merge(labels, on=[schema.TIMESTAMP, schema.SECTOR], how="left")
    table[schema.FAULT] = table[schema.FAULT].fillna("")
    table[schema.TIMESTAMP] = table[schema.TIMESTAMP].dt.tz_localize("UTC")
    record = trace_parts(det)
    scored = attach(table, replay(table, det, kpis).frame, record)
    ts = scored[schema.TIMESTAMP]
    return scored[ts >= ts.min() + few_series.BURN_IN]


def lags(judged: pd.DataFrame) -> pd.DataFrame:
    """``judged`` with ``lag_h`` (hours since the cell's last fault row, NEVER before any)
    and ``slot_day`` / ``slot_week`` (a fault row of the cell 24 h / 168 h earlier)."""
    frame = judged.assign(ns=pd.DatetimeIndex(judged[schema.TIMESTAMP]).as_unit("ns").asi8)
    frame = frame.sort_values("ns", kind="stable")
    faulty = frame.loc[frame[schema.FAULT] != "", [schema.SECTOR, "ns"]]
    last = pd.merge_asof(
        frame[[schema.SECTOR, "ns"]],
        faulty.rename(columns={"ns": "end"}),
        left_on="ns",
        right_on="end",
        by=schema.SECTOR,
        allow_exact_matches=False,
    )
    frame["lag_h"] = (frame["ns"].to_numpy() - last["end"].to_numpy()) / HOUR_NS
    frame["lag_h"] = frame["lag_h"].fillna(NEVER)
    for column, hours in (("slot_day", 24), ("slot_week", 168)):
        back = frame[[schema.SECTOR]].assign(at=frame["ns"] - hours * HOUR_NS)
        near = pd.merge_asof(
            back.sort_values("at"),
            faulty.rename(columns={"ns": "f"}),
            left_on="at",
            right_on="f",
            by=schema.SECTOR,
            direction="nearest",
            tolerance=SLOT_NS,
        )
        frame[column] = near["f"].notna().to_numpy()
    return frame


def report(name: str, seed: int, frame: pd.DataFrame) -> None:
    normal = frame[frame[schema.FAULT] == ""]
    false = normal[schema.IS_ANOMALY].to_numpy(dtype=bool)
    bins = pd.cut(normal["lag_h"], list(EDGES), labels=list(LABELS), right=False)
    rows = bins.value_counts(sort=False)
    flagged = bins[false].value_counts(sort=False)
    rate = (1000 * flagged / rows.clip(lower=1)).round(1)
    near = normal["lag_h"].to_numpy() < 24
    print(
        f"{name} {seed}: false rows {int(false.sum())}, <= 24 h after a fault "
        f"{int((false & near).sum())} ({(false & near).sum() / max(false.sum(), 1):.2f}; "
        f"normal rows there {near.mean():.2f})"
    )
    print(
        "  per 1000 normal rows by lag: "
        + ", ".join(f"{k} {rate[k]} ({flagged[k]}/{rows[k]})" for k in LABELS)
    )
    for column in ("slot_day", "slot_week"):
        on = normal[column].to_numpy()
        print(
            f"  {column}: {1000 * (false & on).sum() / max(on.sum(), 1):.1f} per 1000 "
            f"({int((false & on).sum())}/{int(on.sum())}); elsewhere "
            f"{1000 * (false & ~on).sum() / max((~on).sum(), 1):.1f}"
        )
    if "lead_part" in normal:
        first = normal[false & (normal["lag_h"].to_numpy() < 1)]
        print(
            "  first hour's false rows by lead part:", first["lead_part"].value_counts().to_dict()
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", default="2034,2035")
    ap.add_argument("--sets", default="lte5,lte,cdn24")
    args = ap.parse_args(argv)
    for name in args.sets.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            data, labels = few_series.make(name, seed)
            report(name, seed, lags(scored_with_parts(data, labels)))


if __name__ == "__main__":
    main()
