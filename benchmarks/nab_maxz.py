"""Scratch: NAB's max_z-led false alerts and first detections, traced to their inputs (issue 13).

Not a test; analysis only. Reads a run saved by ``nab_loss.py --detail --save RUN.pkl``,
replays each file with the detector's score wrapped, and prints one line per false alert
and per window's first detection that the max over features (``max_z``) led, at the
standard profile's threshold: the feature leading the max and its units (one series: each
feature's body units, ``FeatureTails`` without tails), the runner-up, the max's own null
(``z_null``: anchor and scale of its shoulder), the part's raw ``-log10 p``, the final
null (anchor, scale, reference rows ``n``) and the window's two largest excursions it has
*seen* (``TailCalibrator.with_seen``: a raw reached by two of them reads no rarer than
they make it; ``gap2`` = raw - the second largest), and how often the same time of day
(+-30 minutes) on previous days reached 0.7 of the row's raw (``tod``) against the same
count 2, 4, ... 22 hours off (``chance``, their mean)::

    cd benchmarks && python nab_maxz.py RUN.pkl NAB_ROOT [--files SUBSTR ...]

nab49 (49th session): the 33 false alerts' leading features are season 18, novelty 9,
change 4, persist 2; the 28 first detections' season 13, novelty 8, change 4, persist 3.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from nab_leads import chosen_files, first_detections, saved_run

from telecom_nb import schema
from telecom_nb.alarms.chain import AlarmChain
from telecom_nb.defaults import ALERT_CLOSE_AFTER
from telecom_nb.detectors import make_detector
from telecom_nb.engine.replay import replay
from telecom_nb.evaluation.nab_runner import VALUE

TOD = 30  # minutes either side of the row's time of day
SHARE = 0.7  # a previous day counts when its raw reached this share of the row's


def traced(frame: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """The alert stream and, per table row, what the max_z part read (unscored: NaN)."""
    det = make_detector("iforest")
    batches: list[pd.DataFrame] = []
    scored = det._score_features

    def wrapped(x, index, fitted=None, routine=None, silence=None, **kwargs):
        out = scored(x, index, fitted, routine, silence, **kwargs)
        f = fitted or det._fitted
        row = pd.DataFrame(index=range(len(x)))
        if f is not None:
            m, null = f.model, f.calibrator
            parts = det.part_scores(m, x)
            names = list(parts)
            stack = np.vstack([np.asarray(parts[n], dtype=float) for n in names])
            best = np.nanargmax(np.nan_to_num(stack, nan=-np.inf), axis=0)
            lead = np.asarray(names, dtype=object)[best]
            value = null(stack[best, np.arange(len(x))])
            direct = {"novelty": det._record_score(m, x), "shift": det._shift_score(m, x),
                      "silence": None if silence is None else np.asarray(silence, float)}
            for name, score in direct.items():  # as lead_part.trace_parts: direct parts
                if score is not None:
                    lead = np.where(score > value, name, lead)
                    value = np.maximum(value, score)
            units = m.tails.units(m.base(x), capped=False)
            cols = np.asarray(det.features_.feature_names[: units.shape[1]], dtype=object)
            order = np.argsort(-units, axis=1)
            at = np.arange(len(x))
            seen = null.seen if null.seen is not None and len(null.seen) > 1 else [np.nan] * 2
            row = row.assign(
                lead=lead, raw=stack[best, at],
                col=cols[order[:, 0]], units=units[at, order[:, 0]],
                col2=cols[order[:, 1]], units2=units[at, order[:, 1]],
                z_anchor=m.z_null.anchor, z_scale=m.z_null.tail_scale,
                anchor=null.anchor, scale=null.tail_scale, n=len(null.reference),
                s1=seen[-1], s2=seen[-2])
        batches.append(row)
        return out

    det._score_features = wrapped
    out = replay(frame, det, [VALUE], alarms=AlarmChain(close_after=ALERT_CLOSE_AFTER)).frame
    traced_rows = pd.concat(batches, ignore_index=True)
    rows = np.flatnonzero(out[schema.STATE].to_numpy(dtype=object) != "")
    stamps = pd.DatetimeIndex(frame[schema.TIMESTAMP]).asi8[rows]
    order = rows[np.argsort(stamps, kind="stable")]
    table = pd.DataFrame(index=range(len(frame)), columns=traced_rows.columns)
    table.iloc[order] = traced_rows.to_numpy()
    return out[schema.ALERT_SCORE].to_numpy(float), table


def same_time(stamps: pd.Series, raw: np.ndarray, i: int) -> tuple[int, float]:
    """Previous days whose raw reached ``SHARE`` of row ``i``'s within ``TOD`` minutes of its
    time of day, and the mean of that count 2, 4, ... 22 hours off (chance)."""
    minute = (stamps.dt.hour * 60 + stamps.dt.minute).to_numpy()
    day = stamps.dt.floor("D").to_numpy()
    big = (np.arange(len(raw)) < i) & (day < day[i]) & (np.nan_to_num(raw) >= SHARE * raw[i])

    def days(shift: int) -> int:
        off = np.abs((minute - minute[i] - shift + 720) % 1440 - 720)
        return len(np.unique(day[big & (off <= TOD)]))

    return days(0), float(np.mean([days(s) for s in range(120, 1440, 120)]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args, run, thr, fa = saved_run(ap)
    lines = []
    for rel, frame in chosen_files(run, args):
        alerts, table = traced(frame)
        ts = pd.to_datetime(frame[schema.TIMESTAMP]).reset_index(drop=True)
        firsts = first_detections(ts, alerts, run.windows[rel], thr)
        rows = [("false", int(i)) for i in fa[fa.file == rel]["row"]]
        raw = table["raw"].to_numpy(float)
        for kind, i in rows + [("window", i) for i in firsts]:
            t = table.iloc[i]
            if t["lead"] != "max_z":
                continue
            tod, chance = same_time(ts, raw, i)
            lines.append({"kind": kind, "file": Path(rel).stem[:24], "row": i,
                          "alert": alerts[i], **t.to_dict(), "gap2": t["raw"] - t["s2"],
                          "tod": tod, "chance": chance})
    table = pd.DataFrame(lines).drop(columns=["lead"])
    for c in ("col", "col2"):
        table[c] = table[c].str.replace("value:", "", regex=False)
    with pd.option_context("display.width", 250, "display.max_rows", None):
        print(table.sort_values(["kind", "file", "row"]).round(2).to_string(index=False))
    print("-- leading feature by kind")
    print(pd.crosstab(table["col"], table["kind"]).to_string())


if __name__ == "__main__":
    main()
