"""``telecom-nb detect PATH --engine dask|local --partition-by COL --out DIR``.

A thin shell over :func:`telecom_nb.backtest.backtest`: flags become its arguments (the
source flags the same :class:`SourceSpec` as a plain ``detect``), its figures become a few
lines on stderr. Kept out of :mod:`~telecom_nb.cli.commands` so that module stays one
screen per command.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from telecom_nb.errors import KpiInputError, ParameterError


def run_partitioned(args: argparse.Namespace, texts: dict[str, str],
                    alarm_values: dict[str, Any]) -> int:
    """Score the dataset by partitions of whole groups, in this process or on Dask.

    ``texts`` are the detector's ``--set`` pairs, read here into typed values by its traits;
    ``alarm_values`` the alarm stage's, already typed (:func:`~.commands.split_params`).
    """
    from telecom_nb.alarms.alarm_params import PREFIX
    from telecom_nb.backtest import backtest
    from telecom_nb.cli.source_args import source_spec
    from telecom_nb.detectors import make_detector
    from telecom_nb.detectors.param_paths import parse_texts

    engine = args.engine
    if args.store:
        raise ParameterError(f"--store cannot be combined with --engine {engine} / "
                             "--partition-by (a store follows one stream)")
    if args.on_bad_rows == "error":
        raise ParameterError("--on-bad-rows error is not available with --partition-by; "
                             "each time piece keeps the 1 % loss rule")
    if engine == "local" and args.scheduler:
        raise ParameterError("--scheduler needs --engine dask")
    if args.workers < 1:
        raise ParameterError(f"--workers must be >= 1; got {args.workers}")
    if args.partitions is not None and args.partitions < 1:
        raise ParameterError(f"--partitions must be >= 1; got {args.partitions}")
    spec = source_spec(args)
    if isinstance(spec.path, tuple) or (not spec.path.exists() and "*" in str(spec.path)):
        raise KpiInputError(f"{spec.path_name}: a partitioned backtest reads one Parquet file "
                            "or folder (several files or a glob: stack them first)")
    if spec.sites is not None:
        raise KpiInputError(f"--sites: not supported with --partition-by; the column "
                            f"{args.partition_by or 'province'!r} must be in {spec.path_name}")
    values = parse_texts(make_detector(args.detector), texts)  # typed; checked later
    values.update({f"{PREFIX}{k}": v for k, v in alarm_values.items()})
    memory: str | float = args.memory_limit
    result = backtest(spec.path, args.out, engine=engine,
                      partition_by=args.partition_by or "province",
                      partitions=args.partitions, scheduler=args.scheduler,
                      workers=args.workers, memory_limit=memory, detector=args.detector,
                      params=values, spec=spec, progress=not args.quiet,
                      national=args.national)
    if not args.quiet:
        for line in summary(result):
            print(line, file=sys.stderr)
    return 0


def summary(result) -> list[str]:
    """What the run did, in a few lines: rows, flags, time, memory, drops."""
    reports = result.partitions
    read = sum(p.rows_read for p in reports)
    dropped: dict[str, int] = {}
    for p in reports:
        for reason, n in p.load_dropped.items():
            dropped[reason] = dropped.get(reason, 0) + n
    rss = ", ".join(f"{w}: {mb:,.0f} MB" for w, mb in sorted(result.peak_rss_mb().items()))
    lines = [f"note: {len(reports)} partition(s) of whole groups on {result.workers} "
             f"worker(s) ({result.engine}); plan {result.plan_seconds:.1f} s; national "
             f"peer median: {result.national}"
             + (f" ({result.national_seconds:.1f} s)" if result.national_seconds >= 0.05 else "")]
    if dropped:
        lines.append("note: rows not loaded: " + ", ".join(
            f"{n:,} {reason}" for reason, n in sorted(dropped.items())))
    lines.append(f"scored {result.rows:,} rows in {result.seconds:.1f} s "
                 f"({result.rows_per_s:,.0f} rows/s); {result.flagged:,} flagged; "
                 f"{read:,} rows read; peak memory per worker: {rss}; wrote {result.out}")
    for p in reports:  # what changed the flags, per partition's own fleet
        groups = ", ".join(str(g) for g in p.groups)
        lines.extend(f"{day} [partition {p.index}: {groups}]" for day in p.day_readings)
    return lines
