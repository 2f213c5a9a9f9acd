"""Scratch: detection quality on an operator-style export (prints figures).

Not a test. Generate data with ``scripts/make_operator_sample.py --out DIR`` (or
``scripts/make_vendor_export.py``), then:

    python benchmarks/operator_quality.py DIR [--detector iforest] [--timezone auto]
        [--burn-in 7D] [--set name=value ...] [--missed] [--save judged.parquet]

The export is replayed as a live stream (``telecom_nb.engine.replay``); labels.csv gives the
``fault`` column; row precision/recall and event recall are computed on rows after the
first ``--burn-in`` of history (the detector still learns from them). False alarms are
broken down by local weekday and hour, where a calendar blind spot shows. Where the folder
has an ``oddities.csv`` (``make_vendor_export.py``: the unlabelled normal life's rows, event
crowds and maintenance windows), the false rows on them are counted apart, with the precision
they leave.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from lead_part import attach, trace_parts

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.param_paths import configure, parse_texts
from telecom_nb.engine import replay
from telecom_nb.engine.monitor_setup import use_source_calendar
from telecom_nb.evaluation.labels import apply_labels, read_labels
from telecom_nb.evaluation.metrics import evaluate
from telecom_nb.sources import load_source


def labelled(loaded, folder: Path) -> pd.DataFrame:
    """The loaded frame plus a ``fault`` column from ``labels.csv``, read like the export
    (the source's time columns, format, zone and cell column), as ``evaluate --labels`` does."""
    labels = read_labels(folder / "labels.csv", spec=loaded.spec)
    out, messages = apply_labels(loaded.frame, labels)
    for line in messages:
        print("  " + line)
    return out


def oddity_rows(judged: pd.DataFrame, loaded, folder: Path) -> pd.Series | None:
    """Per judged row its kind in ``oddities.csv`` ('' elsewhere); None without the file."""
    path = folder / "oddities.csv"
    if not path.exists():
        return None
    marked, _ = apply_labels(judged, read_labels(path, spec=loaded.spec), "oddities")
    return marked[schema.FAULT]


def print_oddities(judged: pd.DataFrame, kind: pd.Series) -> None:
    """False rows on each unlabelled oddity (of its judged rows) and the precision without
    them: a crowd congests its cells as a fault would, which no detector can call normal."""
    clean = (judged[schema.FAULT] == "").to_numpy()
    flagged = judged[schema.IS_ANOMALY].to_numpy(dtype=bool)
    kind = kind.to_numpy(dtype=object)
    odd = clean & (kind != "")
    parts = [f"{k} {int((flagged & odd & (kind == k)).sum())} of {int((odd & (kind == k)).sum())}"
             for k in sorted(set(kind[odd]))]
    fp, tp = int((flagged & clean).sum()), int((flagged & ~clean).sum())
    left = fp - int((flagged & odd).sum())
    print(f"  false rows on unlabelled oddities: {', '.join(parts) or 'none'}; "
          f"P without them {tp / max(tp + left, 1):.3f} ({left} false rows)")


def fault_episodes(judged: pd.DataFrame) -> pd.DataFrame:
    """The fault rows, sorted by sector and time, with an ``episode`` number: a run of one
    sector's consecutive rows of one fault kind (how ``evaluate`` counts events)."""
    rows = judged.sort_values([schema.SECTOR, schema.TIMESTAMP])
    kind, sector = rows[schema.FAULT].to_numpy(), rows[schema.SECTOR].to_numpy()
    new = (kind != "") & ~(np.r_[False, sector[1:] == sector[:-1]]
                           & np.r_[False, kind[1:] == kind[:-1]])
    return rows.assign(episode=np.cumsum(new))[kind != ""]


def begun_before(scored: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Series:
    """Per row, whether it belongs to a fault episode that began before ``cutoff``: such an
    episode straddles the burn-in, the detector learned its start as the cell's history, and
    only its tail is judged (reported apart so both readings of "after week 1" are printed)."""
    ep = fault_episodes(scored)
    start = ep.groupby("episode")[schema.TIMESTAMP].transform("min")
    return pd.Series(scored.index.isin(ep.index[(start < cutoff).to_numpy()]),
                     index=scored.index)


def print_missed(judged: pd.DataFrame, timezone: str) -> None:
    """Each fault episode with no flagged row: kind, sector, local start, rows, peak score
    (how far below the threshold it stayed says whether it was near or never seen)."""
    ep = fault_episodes(judged).groupby("episode").agg(
        kind=(schema.FAULT, "first"), sector=(schema.SECTOR, "first"),
        start=(schema.TIMESTAMP, "min"), rows=(schema.FAULT, "size"),
        found=(schema.IS_ANOMALY, "any"), peak=(schema.SCORE, "max"))
    missed = ep[~ep["found"]].sort_values(["kind", "start"])
    print(f"  missed episodes: {len(missed)}")
    for r in missed.itertuples():
        print(f"    {r.kind:20s} {r.sector:16s} {r.start.tz_convert(timezone):%a %m-%d %H:%M} "
              f"rows {r.rows:2d} peak score {r.peak:.2f}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--detector", default="iforest")
    ap.add_argument("--timezone", default="auto",
                    help="detector time zone: 'auto' = the source's, 'none' = not passed")
    ap.add_argument("--burn-in", default="7D", help="history not judged (default 7D)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--missed", action="store_true",
                    help="list each missed fault episode (local start, rows, peak score)")
    ap.add_argument("--save", type=Path, metavar="PARQUET",
                    help="write the judged rows (fault, score, is_anomaly, top_kpi...) for study")
    ap.add_argument("--parts", action="store_true",
                    help="record which part led each row's score (lead_part, lead_value "
                         "in --save; costs about a second scoring)")
    args = ap.parse_args(argv)
    loaded = load_source(args.folder / "source.toml")
    table = labelled(loaded, args.folder)
    params = {}
    for item in args.set:
        name, _, text = item.partition("=")
        params[name] = text
    det = make_detector(args.detector)
    if args.timezone != "none" and "timezone" in det.param_names():
        params.setdefault("timezone", loaded.spec.timezone if args.timezone == "auto"
                          else args.timezone)
    configure(det, parse_texts(det, {k: str(v) for k, v in params.items()}))
    if args.timezone != "none":  # the source's declared holidays, as telecom-nb detect
        use_source_calendar(det, loaded.spec, given=params)
    record = trace_parts(det) if args.parts else []
    t0 = time.perf_counter()
    scored = attach(table, replay(table, det, loaded.kpis).frame, record)
    took = time.perf_counter() - t0
    ts = scored[schema.TIMESTAMP]
    judged = scored[ts >= ts.min() + pd.Timedelta(args.burn_in)]
    ev = evaluate(judged)
    early = begun_before(scored, ts.min() + pd.Timedelta(args.burn_in)).loc[judged.index]
    print(f"{args.folder} {args.detector} {params} cadence={loaded.cadence} "
          f"rows={len(judged)} fault rows={(judged[schema.FAULT] != '').mean():.2%}")
    print(f"  P={ev.precision:.3f} R={ev.recall:.3f} F1={ev.f1:.3f} "
          f"events={ev.events_found}/{ev.n_events} ({ev.event_recall:.3f}) "
          f"delay={ev.median_delay_ticks} flagged={ev.flagged} fp={ev.fp} ({took:.1f}s)")
    for kind, ks in ev.per_kind.items():
        print(f"    {kind:20s} events {ks.events_found}/{ks.n_events} "
              f"row recall {ks.row_recall:.2f} delay {ks.median_delay_ticks}")
    if early.any():
        late, tail = evaluate(judged[~early]), evaluate(judged[early])
        print(f"  events begun after the burn-in {late.events_found}/{late.n_events} "
              f"({late.event_recall:.3f}); begun in it, judged on their tail "
              f"{tail.events_found}/{tail.n_events}")
    if args.missed:
        print_missed(judged, loaded.spec.timezone)
    kind = oddity_rows(judged, loaded, args.folder)
    if kind is not None:
        print_oddities(judged, kind)
        judged = judged.assign(oddity=kind.to_numpy())
    if args.save:
        judged.to_parquet(args.save)
    fp = judged[judged[schema.IS_ANOMALY] & (judged[schema.FAULT] == "")]
    if len(fp):
        local = fp[schema.TIMESTAMP].dt.tz_convert(loaded.spec.timezone)
        by_day = local.dt.day_name().str[:3].value_counts()
        print("  false alarms by local weekday:", by_day.to_dict())
        dates = local.dt.strftime("%a %m-%d").value_counts().head(4)
        print("  top local dates:", dates.to_dict())
        hours = local.dt.hour.value_counts().head(6)
        print("  top local hours:", hours.to_dict())
        print("  by top_kpi:", fp[schema.TOP_KPI].value_counts().head(4).to_dict())
        if "lead_part" in fp:
            print("  by lead part:", fp["lead_part"].value_counts().head(6).to_dict())


if __name__ == "__main__":
    main()
