"""NAB's false alerts by class beside the found windows' first detections, and causal
alert-stream policies probed on NAB and on the few-series sets (issue 13, nabfp38).

Not a test; analysis only. A rule that mutes a class of false alerts also mutes the first
detections of that class, and at the standard profile one lost window (~1.85 raw: its TP
and its FN) outweighs ~17 false alerts (0.11 each), so every class is shown for both::

    python benchmarks/nab_alert_classes.py nab RUN.pkl NAB_ROOT [--no-leads]
    python benchmarks/nab_alert_classes.py few-save OUT --sets lte5,lte,cdn24,cdn48 --seeds S,..
    python benchmarks/nab_alert_classes.py few OUT [--tune 2182,2183]

``RUN.pkl`` is ``nab_loss.py --detail --save``'s. Classes (the first that applies): A a
re-alert within 24 h of the file's previous alert; B the file's first 7 days; C a hair
record (range novelty leads, score < 3.6); D the level-shift part leads; E the z part
leads; F other. Leads come from ``nab_leads.traced`` (a replay of every file, ~15 s CPU).
Policies only mute alerts, per series, reading earlier alerts: ``refr H m`` (an alert
within H hours of the last kept one needs its score + m), ``young D b`` (the first D days
need 3 + b), ``budget K b`` (3 + b log10(1 + kept alerts of the last 7 days / K)); NAB's
profiles are re-optimised on the muted stream; the few-series sets count pages (false)
and events with a page inside. ``few-save`` writes each set's judged frame
(``few_series.judge``) for ``few``.
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.evaluation.nab import as_ns
from telecom_nb.evaluation.nab_corpus import _prepare, optimize_threshold
from telecom_nb.evaluation.nab_runner import VALUE, read_nab_file

PAGE = 3.0  # an alert of NAB's stream (its thresholds sit at 3.03-3.07)
DAY = 86_400e9
HOUR = 3_600e9
POLICIES = (
    ("none", 0, 0),
    ("refr", 6, 0),
    ("refr", 24, 0),
    ("refr", 24, 1),
    ("young", 7, 0.5),
    ("young", 7, 1.0),
    ("budget", 3, 1.0),
    ("budget", 5, 2.0),
)


def alert_table(run) -> pd.DataFrame:
    """Every scored alert at the standard threshold: false, a window's first, or later."""
    thr = run.thresholds["standard"]
    prepared = _prepare(run.file_scores, run.windows, run.profiles["standard"], run.timestamps)
    rows = []
    for path, (lay, sc) in prepared.items():
        ns = as_ns(run.timestamps[path])
        alerts = np.flatnonzero(sc >= thr)
        seen: set[int] = set()
        for j, i in enumerate(alerts):
            w = int(lay.window[i])
            kind = "false" if w < 0 else ("first" if w not in seen else "later")
            seen.add(w)
            prev = alerts[j - 1] if j else None
            rows.append(
                {
                    "file": path,
                    "row": int(i),
                    "kind": kind,
                    "scored": bool(lay.scored[i]),
                    "score": float(sc[i]),
                    "worth": float(abs(lay.sweep[i])),
                    "age_d": (ns[i] - ns[0]) / DAY,
                    "gap_h": np.inf if prev is None else (ns[i] - ns[prev]) / HOUR,
                }
            )
    table = pd.DataFrame(rows)
    return table[table.scored].drop(columns="scored").reset_index(drop=True)


def series_type(values: np.ndarray) -> str:
    """bursty (> 30 % at its minimum), spiky (99.9 % quantile > 8 IQRs off the median),
    else smooth: the file as a whole (a description, not a causal reading)."""
    if (values == values.min()).mean() > 0.3:
        return "bursty"
    iqr = np.subtract(*np.percentile(values, [75, 25])) or 1e-9
    return "spiky" if (np.percentile(values, 99.9) - np.median(values)) / iqr > 8 else "smooth"


def with_leads(table: pd.DataFrame, root: Path, leads: bool) -> pd.DataFrame:
    """``table`` plus each alert's lead part (``nab_leads.traced``) and its series type."""
    out = []
    for path, part in table.groupby("file", sort=False):
        frame = read_nab_file(root / "data" / path)
        part = part.assign(type=series_type(frame[VALUE].to_numpy(float)))
        if leads:
            from nab_leads import traced

            _, lead, _ = traced(frame)
            part = part.assign(lead=lead["lead_part"].to_numpy()[part["row"]])
        out.append(part)
    return pd.concat(out, ignore_index=True)


def classify(table: pd.DataFrame) -> pd.Series:
    """Each alert's class, the first that applies (module docstring)."""
    lead = table["lead"] if "lead" in table else pd.Series("", index=table.index)
    conditions = [
        table["gap_h"] <= 24,
        table["age_d"] <= 7,
        (lead == "novelty") & (table["score"] < 3.6),
        lead == "shift",
        lead == "max_z",
    ]
    names = ["A re-alert <=24h", "B young <=7d", "C hair record", "D shift-led", "E z-led"]
    return pd.Series(np.select(conditions, names, "F other"), index=table.index)


def mute(
    ns: np.ndarray, alert: np.ndarray, kind: str, a: float, b: float, page: float = PAGE
) -> np.ndarray:
    """``alert`` with the alerts the policy mutes set to 0 (one series, causal)."""
    out = alert.copy()
    kept_t: list[int] = []
    kept_s: list[float] = []
    for i in np.flatnonzero(alert >= page if page > 0 else alert > 0):  # a series' few alerts
        s = alert[i]
        if kind == "refr":
            ok = not kept_t or ns[i] - kept_t[-1] > a * HOUR or s >= kept_s[-1] + b
        elif kind == "young":
            ok = ns[i] - ns[0] > a * DAY or s >= PAGE + b
        elif kind == "budget":
            recent = sum(t > ns[i] - 7 * DAY for t in kept_t)
            ok = s >= PAGE + b * np.log10(1 + recent / a)
        else:
            ok = True
        if ok:
            kept_t.append(ns[i])
            kept_s.append(s)
        else:
            out[i] = 0.0
    return out


def nab(run_path: Path, root: Path, leads: bool) -> None:
    run = pickle.loads(run_path.read_bytes())
    table = with_leads(alert_table(run), root, leads)
    table["cls"] = classify(table)
    pd.set_option("display.width", 200)
    false, first = table[table.kind == "false"], table[table.kind == "first"]
    print(
        f"-- standard at {run.thresholds['standard']:.3f}: {len(false)} false alerts "
        f"({false.worth.sum():.2f} raw), {len(first)} windows found"
    )
    summary = pd.DataFrame(
        {
            "false": false.groupby("cls").size(),
            "false_raw": false.groupby("cls")["worth"].sum().round(2),
            "first": first.groupby("cls").size(),
        }
    ).fillna(0)
    print(summary.to_string())
    print("-- by series type (false / first)")
    print(
        pd.DataFrame({"false": false.groupby("type").size(), "first": first.groupby("type").size()})
        .fillna(0)
        .to_string()
    )
    if leads:
        print("-- lead part x series type (false / first)")
        print(pd.crosstab(false["lead"], false["type"]).to_string())
        print(pd.crosstab(first["lead"], first["type"]).to_string())
    ns = {p: as_ns(run.timestamps[p]) for p in run.files}
    for kind, a, b in POLICIES:
        muted = {
            p: mute(ns[p], np.asarray(run.file_scores[p], float), kind, a, b) for p in run.files
        }
        scores = [
            optimize_threshold(muted, run.windows, prof, rows=run.placed()).normalized
            for prof in run.profiles.values()
        ]
        print(f"NAB {kind} {a} {b}: " + " / ".join(f"{s:.2f}" for s in scores))


def few_save(out: Path, sets: str, seeds: str) -> None:
    import few_series

    out.mkdir(parents=True, exist_ok=True)
    for name in sets.split(","):
        for seed in (int(s) for s in seeds.split(",")):
            data, labels = few_series.make(name, seed)
            ev, _, judged = few_series.judge(data, labels, "iforest", {})
            print(
                f"{name} {seed}: ER={ev.event_recall:.3f} ({ev.events_found}/{ev.n_events}) "
                f"P={ev.precision:.3f} {few_series._pages(judged)}",
                flush=True,
            )
            judged.to_pickle(out / f"{name}_{seed}.pkl")


def few(folder: Path, tune: set[str]) -> None:
    rows = []
    for path in sorted(folder.glob("*.pkl")):
        judged = pd.read_pickle(path).sort_values([schema.SECTOR, schema.TIMESTAMP])
        fault = judged[schema.FAULT].to_numpy()
        sector = judged[schema.SECTOR].to_numpy()
        inside = fault != ""
        event = np.cumsum(np.r_[True, (fault[1:] != fault[:-1]) | (sector[1:] != sector[:-1])])
        ns = pd.DatetimeIndex(judged[schema.TIMESTAMP]).as_unit("ns").asi8
        for kind, a, b in POLICIES:
            alert = judged[schema.ALERT_SCORE].to_numpy(float).copy()
            for s in np.unique(sector):  # a set's few cells
                m = sector == s
                alert[m] = mute(ns[m], alert[m], kind, a, b, page=0)
            paged = alert > 0
            rows.append(
                {
                    "set": path.stem,
                    "policy": f"{kind} {a} {b}",
                    "half": "tune" if path.stem.split("_")[-1] in tune else "held",
                    "pages": int(paged.sum()),
                    "false": int((paged & ~inside).sum()),
                    "events_paged": len(np.unique(event[paged & inside])),
                    "events": len(np.unique(event[inside])),
                }
            )
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(
        table.groupby(["half", "policy"], sort=False)[["pages", "false", "events_paged", "events"]]
        .sum()
        .to_string()
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=("nab", "few-save", "few"))
    ap.add_argument("paths", type=Path, nargs="+")
    ap.add_argument("--no-leads", action="store_true", help="skip the replay for lead parts")
    ap.add_argument("--sets", default="lte5,lte,cdn24,cdn48")
    ap.add_argument("--seeds", default="2182,2183")
    ap.add_argument("--tune", default="2182,2183", help="seeds reported as the tuning half")
    args = ap.parse_args()
    if args.mode == "nab":
        nab(args.paths[0], args.paths[1], not args.no_leads)
    elif args.mode == "few-save":
        few_save(args.paths[0], args.sets, args.seeds)
    else:
        few(args.paths[0], set(args.tune.split(",")))


if __name__ == "__main__":
    main()
