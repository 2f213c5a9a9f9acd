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
                   help="detector parameter, repeatable")


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

    p = sub.add_parser("detect", help="score every row of a KPI table (streaming, no look-ahead)")
    p.add_argument("input", help="CSV or Parquet KPI table")
    p.add_argument("--out", required=True, help="FILE.parquet or FILE.csv")
    p.add_argument("--timestamp-col", default="timestamp")
    p.add_argument("--sector-col", default="sector_id")
    p.add_argument("--kpis", default=None, help="comma-separated KPI columns")
    _add_detector(p)
    p.add_argument("--on-bad-rows", choices=("skip", "error"), default="skip")
    _add_quiet(p)

    p = sub.add_parser("evaluate", help="metrics of a scored table with ground truth")
    p.add_argument("scored", help="output of `detect` on a table with a `fault` column")
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
    p.add_argument("--series-rows", type=int, default=10_000, metavar="N",
                   help="rows of the one-series replay (default %(default)s)")
    p.add_argument("--json", action="store_true")
    _add_quiet(p)

    sub.add_parser("detectors", help="list detector names and their parameters")
    return parser
