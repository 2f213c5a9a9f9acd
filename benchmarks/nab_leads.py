"""Scratch: NAB's false alerts and found windows by the part that led them (issue 13).

Not a test; analysis only. Reads a run saved by ``nab_loss.py --detail --save RUN.pkl``
(its alert stream and corpus threshold), replays each file again with the parts traced
(``lead_part.trace_parts``) and the routine flags the alarm stage was given, and prints,
at the standard profile's threshold, one line per false alert and per window's first
detection: the leading part and its value, the routine flag (before ``never_routine``),
and whether the value is a *record* (beyond everything of the file's previous 21 days;
causal). Then the totals: false alerts (n, cost) and first detections by lead part::

    python benchmarks/nab_leads.py RUN.pkl NAB_ROOT [--files SUBSTR ...] [--quiet]

The cure of a false alert depends on what raised it; a rule that removes a kind of false
alert also removes the windows whose first detection is of that kind (nab27: 33 of the 52
found windows' first detections are records, as are 36 of the 96 false alerts).
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
from lead_part import attach, trace_parts

from telecom_nb import schema
from telecom_nb.alarms.chain import AlarmChain
from telecom_nb.defaults import ALERT_CLOSE_AFTER
from telecom_nb.detectors import make_detector
from telecom_nb.engine.replay import replay
from telecom_nb.evaluation.nab_loss import false_alarm_places
from telecom_nb.evaluation.nab_runner import VALUE, read_nab_file

RANGE = pd.Timedelta("21D")


def traced(frame: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    """The alert stream, each row's lead part / value and routine flag (rows scored before
    the first model: no part; rows the validator dropped: ``unscored``)."""
    det = make_detector("iforest")
    record = trace_parts(det)
    flags: list[np.ndarray] = []
    scored = det._score_features

    def kept(x, index, fitted=None, routine=None, silence=None, **kwargs):
        flags.append(np.zeros(len(x), bool) if routine is None else np.asarray(routine, bool))
        return scored(x, index, fitted, routine, silence, **kwargs)  # e.g. explain_from

    det._score_features = kept
    out = replay(frame, det, [VALUE], alarms=AlarmChain(close_after=ALERT_CLOSE_AFTER)).frame
    routine = np.concatenate(flags) if flags else np.zeros(0, bool)
    # one traced row per scored row; rows the validator dropped stay unscored (attach)
    parts = attach(
        frame, out, [pd.concat(record, ignore_index=True).assign(routine=routine.astype(float))]
    )
    if "lead_part" not in parts:
        blank = pd.DataFrame({"lead_part": "?", "lead_value": np.nan}, index=out.index)
        return out[schema.ALERT_SCORE].to_numpy(float), blank, np.zeros(len(out), bool)
    return (
        out[schema.ALERT_SCORE].to_numpy(float),
        parts[["lead_part", "lead_value"]],
        parts["routine"].to_numpy() > 0,
    )


def utc(stamp: object) -> pd.Timestamp:
    """A window bound in UTC (NAB's labels carry no zone)."""
    stamp = pd.Timestamp(stamp)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


def is_record(values: np.ndarray, ns: np.ndarray, i: int) -> int:
    """+1 / -1 when row ``i`` is beyond the previous 21 days' maximum / minimum, else 0."""
    lo = np.searchsorted(ns, ns[i] - RANGE.value)
    past = values[lo:i]
    if len(past) < 2:
        return 0
    return 1 if values[i] > past.max() else (-1 if values[i] < past.min() else 0)


def saved_run(ap: argparse.ArgumentParser):
    """``ap`` given the saved run's arguments and parsed: (args, the run, its standard
    threshold, its false-alarm places); this script's and ``nab_maxz.py``'s."""
    ap.add_argument("run", type=Path)
    ap.add_argument("root", type=Path)
    ap.add_argument("--files", nargs="*", help="substrings of the files to replay (all)")
    args = ap.parse_args()
    run = pickle.loads(args.run.read_bytes())
    thr = run.thresholds["standard"]
    fa = false_alarm_places(
        run.file_scores, run.windows, run.profiles["standard"], thr, timestamps=run.timestamps
    )
    return args, run, thr, fa


def chosen_files(run, args):
    """(name, frame) of each of the run's files whose name holds one of ``args.files``."""
    for rel in run.files:
        if not args.files or any(s in rel for s in args.files):
            yield rel, read_nab_file(args.root / "data" / rel)


def first_detections(ts: pd.Series, alerts: np.ndarray, windows, thr: float) -> list[int]:
    """Each window's first row alerting at ``thr`` (windows without one left out)."""
    found = []
    for start, end in windows:
        inside = np.flatnonzero(((ts >= utc(start)) & (ts <= utc(end))).to_numpy())
        hit = inside[alerts[inside] >= thr]
        found += [int(hit[0])] if len(hit) else []
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quiet", action="store_true", help="the totals only")
    args, run, thr, fa = saved_run(ap)
    rows = []
    for rel, frame in chosen_files(run, args):
        alerts, lead, routine = traced(frame)
        if not np.allclose(alerts, run.file_scores[rel]):
            print(f"  {rel}: the alert stream differs from the saved run's")
        ts = frame[schema.TIMESTAMP].reset_index(drop=True)
        ns = ts.astype("int64").to_numpy()
        values = frame[VALUE].to_numpy()
        found = first_detections(ts, alerts, run.windows[rel], thr)
        costs = fa[fa.file == rel].set_index("row")["cost"]
        for kind, at in [("false", i) for i in costs.index] + [("window", i) for i in found]:
            rows.append(
                {
                    "kind": kind,
                    "file": rel.split("/")[1][:30],
                    "row": at,
                    "time": str(ts[at])[:16],
                    "alert": round(alerts[at], 2),
                    "lead": lead["lead_part"].iloc[at],
                    "lead_value": round(float(lead["lead_value"].iloc[at]), 2),
                    "routine": bool(routine[at]),
                    "record": is_record(values, ns, at),
                    "cost": float(costs.get(at, 0.0)),
                }
            )
    table = pd.DataFrame(rows)
    if not args.quiet:
        print(table.to_string())
    print(f"-- at the standard threshold {thr:.3f}: false alerts (n, cost) by lead part")
    false = table[table.kind == "false"]
    print(false.groupby("lead")["cost"].agg(["size", "sum"]).round(2).to_string())
    print("-- windows' first detections by lead part")
    print(table[table.kind == "window"].groupby("lead").size().to_string())
    print("-- records (beyond the previous 21 days) among them")
    print(pd.crosstab(table.kind, table.record != 0).to_string())


if __name__ == "__main__":
    main()
