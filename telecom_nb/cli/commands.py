"""The sub-commands: ``run_<command>(args)`` for each parser in :mod:`telecom_nb.cli.parser`.

Each returns an exit status, or raises an error of :mod:`telecom_nb.errors` that
:func:`telecom_nb.cli.main` prints as one line with status 2. What only one command needs is
imported inside it, so the others do not pay for it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from telecom_nb import schema
from telecom_nb.alarms.chain import AlarmChain
from telecom_nb.batching import progress
from telecom_nb.cli.io import emit_json, output_path, read_table, write_table
from telecom_nb.engine.compact_columns import expand
from telecom_nb.engine.detect_memory import after_replay, before_load, take_table
from telecom_nb.engine.replay import replay, with_local_time
from telecom_nb.errors import KpiInputError, ParameterError
from telecom_nb.features.day_type import day_summaries


def parse_params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"--set {pair!r}: expected NAME=VALUE")
        params[name.strip()] = value.strip()
    return params


def split_params(pairs: list[str]) -> tuple[dict[str, str], dict[str, Any]]:
    """``--set`` pairs as (the detector's texts, the alarm stage's typed values)."""
    from telecom_nb.alarms.alarm_params import parse_alarm_texts, split_alarm_params

    detector, alarms = split_alarm_params(parse_params(pairs))
    return detector, parse_alarm_texts(alarms)


def build_detector(name: str, raw_params: dict[str, str], kpis: list[str] | None = None):
    """A detector from the registry with its ``--set`` texts applied, all validated first.

    Names are those of :mod:`telecom_nb.detectors.param_paths` (``contamination``,
    ``features.peers``, ``features.seasonal.slot_alpha``; a bare name that ends one of
    them); each text is read by :func:`~telecom_nb.params.parse_param_text`.
    """
    from telecom_nb.detectors import make_detector
    from telecom_nb.detectors.param_paths import configure, parse_texts

    detector = make_detector(name)
    values = parse_texts(detector, raw_params)
    if kpis is not None and "kpis" in detector.param_names() and "kpis" not in values:
        values["kpis"] = list(kpis)
    if values:
        configure(detector, values)
    return detector


# ---------------------------------------------------------------- simulate
def run_simulate(args: argparse.Namespace) -> int:
    from telecom_nb.sources.simulator import KpiSimulator

    if args.sectors < 1:
        raise ParameterError(f"--sectors must be >= 1; got {args.sectors}")
    if args.ticks < 1:
        raise ParameterError(f"--ticks must be >= 1; got {args.ticks}")
    output_path(args.out)  # fail on a bad name before simulating
    kwargs = {"n_sectors": args.sectors, "seed": args.seed, "step": args.step}
    if args.fault_rate is not None:
        kwargs["fault_rate"] = args.fault_rate
    sim = KpiSimulator(**kwargs)
    ticks = progress(range(args.ticks), desc="simulate", enabled=not args.quiet)
    batches = [sim.next_batch() for _ in ticks]
    table = pd.concat(batches, ignore_index=True)
    out = write_table(table, args.out)
    if not args.quiet:
        faulty = (table[schema.FAULT] != "").mean()
        print(f"wrote {len(table):,} rows ({args.sectors} sectors x {args.ticks} ticks, "
              f"{faulty:.1%} faulty rows) to {out}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- detect
def run_detect(args: argparse.Namespace) -> int:
    """Load through the source spec (no silent loss), replay through the live tick, write.

    With ``--check``, stop after the load and print its report: what an analyst wants to
    read before a long replay (the same spec, loss rule and exit status as the run)."""
    from telecom_nb.cli.source_args import (
        check_report,
        drop_hint,
        load_notes,
        source_spec,
    )
    from telecom_nb.engine.monitor_setup import use_source_calendar
    from telecom_nb.sources.ingest import load_source

    partitioned = args.engine == "dask" or args.partition_by
    if args.check and partitioned:
        raise ParameterError("--check reads one export; it does not combine with --engine "
                             "dask / --partition-by")
    if not args.check and not args.out:
        raise ParameterError("--out FILE.parquet|FILE.csv is required (or --check to load "
                             "and report only)")
    if partitioned:
        from telecom_nb.cli.backtest_cmd import run_partitioned

        return run_partitioned(args, *split_params(args.params))
    if not args.check:
        output_path(args.out)
    spec = source_spec(args)
    params, alarm_values = split_params(args.params)
    detector = build_detector(args.detector, params)  # fail before loading
    before_load()  # freed large arrays to the OS; LLVM's pages its import touched let go
    try:
        loaded = load_source(spec)
    except KpiInputError as exc:
        raise drop_hint(exc) from None
    counters = loaded.counters
    if args.on_bad_rows == "error" and counters.rows_dropped:
        first = next((m for m in loaded.messages if m.startswith("dropped ")), "")
        raise KpiInputError(f"{spec.path_name}: {counters.rows_dropped:,} row(s) cannot be "
                            f"loaded (--on-bad-rows error): {first}")
    if args.check:
        if not args.quiet:
            print("\n".join(check_report(loaded)))
        return 0
    if not args.quiet:
        for message in load_notes(loaded):
            print(f"note: {message}", file=sys.stderr)
    if "kpis" in detector.param_names() and not detector.kpis:
        detector.set_params(kpis=list(loaded.kpis))
    use_source_calendar(detector, spec, given=params)  # the network's calendar
    if args.store:
        from telecom_nb.cli.persisted import detect_with_store

        return detect_with_store(args, loaded, detector, alarm_values)
    kpis, table = loaded.kpis, take_table(loaded)  # the repeated values as codes, alone
    loaded = None
    started = time.perf_counter()
    result = replay(table, detector, kpis, progress=not args.quiet,
                    alarms=AlarmChain(kpis=kpis, **alarm_values))
    table = None
    elapsed = time.perf_counter() - started
    scored = with_local_time(result.frame, spec.timezone)
    messages, summaries = result.messages, day_summaries(detector)  # read before ...
    detector = result = None  # ... the model, windows and features' state (~50 MB) go
    after_replay()  # (collected: the detector sits in reference cycles) before the write
    out = write_table(scored, args.out, decode=expand)  # the strings back, a part at a time
    if not args.quiet:
        for message in messages:
            print(f"note: {message}", file=sys.stderr)
        print(f"scored {len(scored):,} rows with {args.detector!r} in {elapsed:.1f} s; "
              f"{int(scored[schema.IS_ANOMALY].sum()):,} flagged; wrote {out} "
              f"({counters.rows_read:,} rows read = {len(scored):,} written + "
              f"{counters.rows_dropped:,} dropped)", file=sys.stderr)
        for line in summaries:
            print(line, file=sys.stderr)
    return 0


# ---------------------------------------------------------------- episodes
def run_episodes(args: argparse.Namespace) -> int:
    from telecom_nb.cli.persisted import export_episodes

    return export_episodes(args)


# ---------------------------------------------------------------- evaluate
def run_evaluate(args: argparse.Namespace) -> int:
    """Metrics against the table's ``fault`` column or ``--labels``, after ``--skip``."""
    from telecom_nb.evaluation.labels import apply_labels, parse_skip, read_labels, skip_warmup
    from telecom_nb.evaluation.metrics import evaluate
    from telecom_nb.evaluation.report import format_comparison
    from telecom_nb.sources.spec import SourceSpec

    skip = parse_skip(args.skip) if args.skip else None
    loaded = read_table(args.scored)
    frame = loaded.frame
    notes: list[str] = []
    spec = SourceSpec.from_toml(args.source) if args.source else None
    zone = args.timezone or (spec.timezone if spec else None)  # the network's clock
    if args.labels:
        labels = read_labels(args.labels, spec=spec, timezone=args.timezone)
        if schema.FAULT in frame.columns:
            notes.append(f"{args.scored}: its own 'fault' column is replaced by {args.labels}")
        frame, more = apply_labels(frame, labels, Path(args.labels).name)
        notes.extend(more)
    for col in (schema.FAULT, schema.IS_ANOMALY):
        if col not in frame.columns:
            raise KpiInputError(
                f"{args.scored}: column {col!r} not found; evaluate needs a scored table "
                f"(from `telecom-nb detect`) with ground truth (a `fault` column, or --labels)"
            )
    frame[schema.FAULT] = frame[schema.FAULT].fillna("").astype(str)
    tables = {"scored file": frame}
    if not args.no_baseline:  # on every row, so both warm up alike; skipped below alike
        kpis = ([k for k in schema.KPIS if k in frame.columns]
                or [k for k in loaded.kpis if k not in schema.SCORED_COLUMNS])
        seed = build_detector("seed", {}, kpis)
        base_input = frame.drop(columns=list(schema.SCORED_COLUMNS), errors="ignore")
        tables["seed baseline"] = replay(base_input, seed, kpis, progress=not args.quiet).frame
    if skip is not None:
        for key, table in tables.items():
            tables[key], note = skip_warmup(table, skip, zone)
        notes.append(note)
    results = {key: evaluate(table) for key, table in tables.items()}
    if not args.quiet:
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
    if args.json:
        payload = results["scored file"].as_dict()
        if "seed baseline" in results:
            payload["baseline"] = results["seed baseline"].as_dict()
        emit_json(payload)
    else:
        print(format_comparison(results))
    return 0


# ---------------------------------------------------------------- nab
def run_nab(args: argparse.Namespace) -> int:
    from telecom_nb.evaluation.nab_runner import format_nab, run_nab

    params, alarm_values = split_params(args.params)
    alarm_values.setdefault("close_after", args.close_after)
    root = Path(args.root)
    if not root.is_dir():
        raise FileNotFoundError(f"NAB folder {root} not found")

    def factory():
        return build_detector(args.detector, params)

    factory()  # validate name and parameters before the long run
    result = run_nab(root, factory, progress=not args.quiet, alerts=not args.rows,
                     alarm_params=alarm_values)
    if args.json:
        emit_json(result.as_dict())
    else:
        print(format_nab(result))
    return 0


# ---------------------------------------------------------------- bench
def _positive_sizes(option: str, text: object) -> list[int]:
    """``"500,10000"`` -> [500, 10000]: one line naming the option when it is not that."""
    try:
        sizes = [int(s) for s in str(text).split(",") if s.strip()]
    except ValueError:
        raise ParameterError(f"{option} {text!r}: expected comma-separated integers") from None
    if not sizes or min(sizes) < 1:
        raise ParameterError(f"{option} {text!r}: sizes must be >= 1")
    return sizes


def run_bench(args: argparse.Namespace) -> int:
    from telecom_nb.bench import bench_engine, bench_replay
    from telecom_nb.bench_report import bench_targets, format_bench_row, format_replay_row

    sizes = _positive_sizes("--sectors", args.sectors)
    series_rows = _positive_sizes("--series-rows", args.series_rows)
    if args.ticks < 1:
        raise ParameterError(f"--ticks must be >= 1; got {args.ticks}")
    if args.replay < 0:
        raise ParameterError(f"--replay must be >= 0; got {args.replay}")
    rows = []
    for n in sizes:
        rows.append(bench_engine(n, args.ticks, detector=args.detector, quiet=args.quiet))
        if not args.json:  # --quiet silences progress bars, not the figures
            print(format_bench_row(rows[-1]), flush=True)
    if not args.json:
        for line in bench_targets(rows):
            print(line)
    replays = []
    if args.replay:
        for rows_, one in ((args.replay, False), *((n, True) for n in series_rows)):
            replays.append(bench_replay(rows_, one_series=one, detector=args.detector))
            if not args.json:
                print(format_replay_row(replays[-1]), flush=True)
    if args.json:
        emit_json({"ticks": rows, "replays": replays} if args.replay else rows)
    return 0


# ---------------------------------------------------------------- detectors
def run_detectors(args: argparse.Namespace) -> int:
    """Every detector and every name ``--set`` accepts for it, with value and meaning."""
    from telecom_nb.alarms.alarm_params import describe_alarms
    from telecom_nb.detectors import available_detectors, make_detector
    from telecom_nb.detectors.param_paths import describe

    for i, name in enumerate(available_detectors()):
        det = make_detector(name)
        print(("\n" if i else "") + f"{name}: {type(det).__name__}")
        for line in describe(det):
            print(f"  {line}")
    print("\nalarm stage (every detector; contamination/threshold are the detector's):")
    for line in describe_alarms():
        print(f"  {line}")
    return 0

