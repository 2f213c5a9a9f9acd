"""Argument parsing for ``telecom-nb``, and nothing else.

This module imports only the standard library and :mod:`telecom_nb.defaults` (which
imports nothing), so ``telecom-nb --help`` and a mistyped flag answer at once instead of
after loading pandas, scikit-learn and the engine.
"""

from __future__ import annotations

import argparse

from telecom_nb.defaults import ALERT_CLOSE_AFTER


def _add_quiet(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bars or summaries")


def _add_detector(p: argparse.ArgumentParser) -> None:
    p.add_argument("--detector", default="iforest",
                   help="detector name (list them with `telecom-nb detectors`)")
    p.add_argument("--set", dest="params", action="append", default=[], metavar="NAME=VALUE",
                   help="a detector or feature parameter, e.g. contamination=0.002 or "
                   "features.peers=false (repeatable; every name: `telecom-nb detectors`)")


def _add_source_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("reading the file (each overrides --source)")
    g.add_argument("--timestamp-col", default=None, metavar="COL[,COL]",
                   help="time column, or several joined with a space: Date,Time "
                   "(default: timestamp)")
    g.add_argument("--time-format", default=None, help="strftime form of the (joined) time "
                   "text, e.g. '%%d/%%m/%%Y %%H:%%M' (default: inferred)")
    g.add_argument("--time-unit", choices=("s", "ms"), default=None,
                   help="epoch numbers in seconds or milliseconds")
    hours = g.add_mutually_exclusive_group()
    hours.add_argument("--hour-ending", dest="hour_ending", action="store_const", const=True,
                       default=None, help="an hour number beside a date (Date,Hour) runs "
                       "1-24, hour 1 = 00:00-01:00 (default: by its range, 1-24 only when "
                       "a 24 is in the file)")
    hours.add_argument("--hour-starting", dest="hour_ending", action="store_const",
                       const=False, help="... runs 0-23, hour 1 = 01:00-02:00")
    g.add_argument("--timezone", default=None, metavar="ZONE",
                   help="IANA zone of times written without an offset, e.g. Asia/Tehran "
                   "(default UTC); the output's timestamp is UTC, its local_time this zone")
    g.add_argument("--holidays", default=None, metavar="DATES|FILE",
                   help="public holidays: local dates 2026-10-14,2026-11-05 or a file of "
                   "them (one a line); expected like --holiday-like's weekday")
    g.add_argument("--holiday-like", default=None, metavar="DAY",
                   help="the weekday a holiday resembles: Fri in Iran, Sun in most of Europe")
    g.add_argument("--sector-col", default=None,
                   help="cell/sector id column (default: sector_id if present, else the "
                   "file is one series)")
    g.add_argument("--kpis", default=None, metavar="A,B", help="the KPI columns (default: "
                   "every numeric column that is not an id, position, calendar or label)")
    g.add_argument("--exclude", default=None, metavar="A,B", help="columns that are not KPIs")
    g.add_argument("--sites", default=None, metavar="FILE",
                   help="site/cell inventory (lat, lon, azimuth, province) joined by cell")
    g.add_argument("--encoding", default=None, metavar="CODEC",
                   help="the text files' encoding, e.g. cp1252 or utf-16 (default: from a "
                   "BOM, else UTF-8, else cp1252, said in the report)")
    g.add_argument("--sheet", default=None, help="an .xlsx workbook's sheet (default: first)")
    g.add_argument("--allow-drops", action="store_true",
                   help="load even when more than 1 %% of the rows cannot be (they are counted)")


def _add_partitioning(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "partitioned backtest (INPUT a Parquet file or folder, e.g. hive-partitioned by "
        "date=; --out a folder that receives a partitioned Parquet dataset)")
    g.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local: this process; dask: a Dask cluster, one task per partition "
                   "(implies --partition-by province)")
    g.add_argument("--partition-by", default=None, metavar="COL",
                   help="score whole groups of this column together, e.g. province (same "
                   "answer on either engine)")
    g.add_argument("--partitions", type=int, default=None, metavar="N",
                   help="partitions the groups are packed into (default: one per 2,000 "
                   "sectors, at most one per group)")
    g.add_argument("--national", choices=("exact", "partition"), default="exact",
                   help="the national median that province_z compares with: exact (a first "
                   "pass per partition + a reduction) or the partition's (default exact)")
    g.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="an existing Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a "
                   "LocalCluster on this machine)")
    g.add_argument("--workers", type=int, default=2, metavar="N",
                   help="LocalCluster worker processes (default 2)")
    g.add_argument("--memory-limit", default="auto", metavar="SIZE",
                   help="LocalCluster memory per worker, e.g. 4GB (default: RAM / workers)")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; ``args.command`` names the ``run_*`` handler in commands."""
    parser = argparse.ArgumentParser(
        prog="telecom-nb",
        description="Live KPI anomaly detection for cell sectors: simulate, detect, evaluate.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("simulate", help="write a simulated KPI table with labelled faults")
    p.add_argument("--sectors", type=int, default=500)
    p.add_argument("--ticks", type=int, default=96 * 3, help="reporting intervals (default 3 days)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--step", default="15min", help="network time per tick (pandas offset)")
    p.add_argument("--fault-rate", type=float, default=None,
                   help="new fault episodes per sector per simulated day (default: simulator's)")
    p.add_argument("--out", required=True, help="FILE.parquet or FILE.csv")
    _add_quiet(p)

    p = sub.add_parser(
        "detect", help="score every row of a KPI table (streaming, no look-ahead)",
        description="Score every row of a KPI export as the live stream would (no "
        "look-ahead). The file is read by the same source definition as the notebook "
        "(source.toml; the flags below override it). Output: every loaded row with score, "
        "is_anomaly, top_kpi, alert_score, state; 'timestamp' is UTC and 'local_time' is the "
        "same instant in the source's time zone (--timezone). Rows that cannot be loaded are "
        "counted by reason; more than 1 % of them is an error (exit 2) naming the likely "
        "cause, unless --allow-drops. --check loads and reports, and stops there.")
    p.add_argument("input", nargs="*", help="KPI export(s): CSV/text (any common encoding), "
                   "Parquet or .xlsx; several files, a folder or a quoted glob "
                   "('exports/*.csv') are read as one export (optional with --source)")
    p.add_argument("--source", metavar="source.toml",
                   help="source definition (file, columns, time zone, sites, KPIs)")
    p.add_argument("--out", default=None,
                   help="FILE.parquet or FILE.csv (required unless --check)")
    p.add_argument("--check", action="store_true",
                   help="load the file and report on stdout what was loaded and dropped (and "
                   "why), the KPIs, cadence, time span, time zone and sites; then stop, "
                   "before detection (exit 2 under the same loss rule; --out is not written)")
    _add_source_flags(p)
    _add_detector(p)
    p.add_argument("--on-bad-rows", choices=("skip", "error"), default="skip",
                   help="error: any row that cannot be loaded is an error (default: skip "
                   "and count, up to 1 %%)")
    p.add_argument("--store", default=None, metavar="FILE.db",
                   help="commit every tick to this store and checkpoint the detector; a run "
                        "on an existing store resumes after its last committed tick "
                        "(--out then holds the rows scored by this run)")
    p.add_argument("--checkpoint-every", type=int, default=50, metavar="TICKS",
                   help="with --store: ticks between checkpoints (default 50)")
    _add_partitioning(p)
    _add_quiet(p)

    p = sub.add_parser("episodes", help="alert episodes (with acknowledgements) of a store")
    p.add_argument("store", help="a store file written by `detect --store` or the notebook")
    p.add_argument("--out", required=True, help="FILE.parquet or FILE.csv")
    p.add_argument("--open-only", action="store_true")
    _add_quiet(p)

    p = sub.add_parser(
        "evaluate", help="metrics of a scored table with ground truth",
        description="Row precision/recall and event recall/delay of a scored table, per "
        "fault kind, against its 'fault' column or your own labelled incidents (--labels).")
    p.add_argument("scored", help="output of `detect` (with a `fault` column, or --labels)")
    p.add_argument("--labels", metavar="labels.csv",
                   help="labelled incidents: time column(s), sector/cell, label or fault kind "
                   "(times read in the source's time zone)")
    p.add_argument("--source", metavar="source.toml",
                   help="source definition: its time zone and column names read --labels")
    p.add_argument("--timezone", default=None,
                   help="IANA zone of the label times (default: the source's, else UTC)")
    p.add_argument("--skip", default=None, metavar="DURATION",
                   help="leave out the first DURATION of data (warm-up), e.g. 7D or 36h")
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-baseline", action="store_true",
                   help="skip re-running the seed baseline on the same rows")
    _add_quiet(p)

    p = sub.add_parser("nab", help="score a detector on a NAB-layout folder")
    p.add_argument("root", help="NAB root (with data/ and labels/)")
    _add_detector(p)
    p.add_argument("--rows", action="store_true",
                   help="score every anomalous row instead of the alert stream")
    p.add_argument("--close-after", type=int, default=ALERT_CLOSE_AFTER, metavar="N",
                   help="normal rows in a row that end an alert episode (default %(default)s)")
    p.add_argument("--json", action="store_true")
    _add_quiet(p)

    p = sub.add_parser("bench", help="median ms per tick for simulate, score and a whole tick")
    p.add_argument("--sectors", default="500,10000,100000")
    p.add_argument("--ticks", type=int, default=20)
    p.add_argument("--detector", default="iforest")
    p.add_argument("--replay", type=int, default=0, metavar="ROWS",
                   help="also replay a simulated Parquet file of ROWS rows (a fleet of 1,000 "
                        "sectors) and one series (--series-rows) as `detect` does")
    p.add_argument("--series-rows", default="10000,100000", metavar="N[,N...]",
                   help="rows of each one-series replay (default %(default)s: the first "
                        "never fills a detector's window, the second retrains at a full one)")
    p.add_argument("--json", action="store_true")
    _add_quiet(p)

    sub.add_parser("detectors", help="list detector names and their parameters")
    return parser
