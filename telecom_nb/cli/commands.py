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

import pandas as pd

from telecom_nb import schema
from telecom_nb.batching import progress
from telecom_nb.cli.io import emit_json, output_path, read_table, write_table
from telecom_nb.engine.replay import replay
from telecom_nb.errors import KpiInputError, ParameterError
from telecom_nb.params import parse_param_text


def parse_params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"--set {pair!r}: expected NAME=VALUE")
        params[name.strip()] = value.strip()
    return params


def build_detector(name: str, raw_params: dict[str, str], kpis: list[str] | None = None):
    """A detector from the registry, its ``--set`` texts read by :func:`parse_param_text`."""
    from telecom_nb.detectors import make_detector

    detector = make_detector(name)
    values = {}
    for key, text in raw_params.items():
        if key not in detector.param_names():
            raise ParameterError(
                f"unknown parameter {key!r} for detector {name!r}; "
                f"valid: {', '.join(detector.param_names())}"
            )
        values[key] = parse_param_text(detector, key, text)
    if kpis is not None and "kpis" in detector.param_names() and "kpis" not in values:
        values["kpis"] = list(kpis)
    if values:
        detector.set_params(**values)
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
    from telecom_nb.sources.tables import ColumnMapping

    output_path(args.out)
    kpis = [k.strip() for k in args.kpis.split(",") if k.strip()] if args.kpis else None
    mapping = ColumnMapping(timestamp=args.timestamp_col, sector=args.sector_col, kpis=kpis)
    loaded = read_table(args.input, mapping, on_bad_rows=args.on_bad_rows)
    detector = build_detector(args.detector, parse_params(args.params), loaded.kpis)
    started = time.perf_counter()
    result = replay(loaded.frame, detector, loaded.kpis, progress=not args.quiet)
    scored = result.frame
    elapsed = time.perf_counter() - started
    out = write_table(scored, args.out)
    if not args.quiet:
        for message in [*loaded.messages, *result.messages]:
            print(f"note: {message}", file=sys.stderr)
        print(f"scored {len(scored):,} rows with {args.detector!r} in {elapsed:.1f} s; "
              f"{int(scored[schema.IS_ANOMALY].sum()):,} flagged; wrote {out}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- evaluate
def run_evaluate(args: argparse.Namespace) -> int:
    from telecom_nb.evaluation.metrics import evaluate
    from telecom_nb.evaluation.report import format_comparison

    loaded = read_table(args.scored)
    frame = loaded.frame
    for col in (schema.FAULT, schema.IS_ANOMALY):
        if col not in frame.columns:
            raise KpiInputError(
                f"{args.scored}: column {col!r} not found; evaluate needs a scored table "
                f"(from `telecom-nb detect`) of data with ground truth (`fault`)"
            )
    frame[schema.FAULT] = frame[schema.FAULT].fillna("").astype(str)
    results = {"scored file": evaluate(frame)}
    if not args.no_baseline:
        kpis = [k for k in schema.KPIS if k in frame.columns] or loaded.kpis
        seed = build_detector("seed", {}, kpis)
        base_input = frame.drop(columns=list(schema.SCORED_COLUMNS), errors="ignore")
        baseline = replay(base_input, seed, kpis, progress=not args.quiet).frame
        results["seed baseline"] = evaluate(baseline)
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

    params = parse_params(args.params)
    root = Path(args.root)
    if not root.is_dir():
        raise FileNotFoundError(f"NAB folder {root} not found")

    def factory():
        return build_detector(args.detector, params)

    factory()  # validate name and parameters before the long run
    result = run_nab(root, factory, progress=not args.quiet, alerts=not args.rows,
                     close_after=args.close_after)
    if args.json:
        emit_json(result.as_dict())
    else:
        print(format_nab(result))
    return 0


# ---------------------------------------------------------------- bench
def run_bench(args: argparse.Namespace) -> int:
    from telecom_nb.bench import bench_engine, bench_replay

    try:
        sizes = [int(s) for s in str(args.sectors).split(",") if s.strip()]
    except ValueError:
        raise ParameterError(
            f"--sectors {args.sectors!r}: expected comma-separated integers"
        ) from None
    if not sizes or min(sizes) < 1:
        raise ParameterError(f"--sectors {args.sectors!r}: sizes must be >= 1")
    if args.ticks < 1:
        raise ParameterError(f"--ticks must be >= 1; got {args.ticks}")
    if args.replay < 0 or args.series_rows < 1:
        raise ParameterError("--replay must be >= 0 and --series-rows >= 1")
    rows = []
    for n in sizes:
        rows.append(bench_engine(n, args.ticks, detector=args.detector, quiet=args.quiet))
        if not args.json:  # --quiet silences progress bars, not the figures
            r = rows[-1]
            print(f"{n:>7} sectors: simulate {r['simulate_ms']:7.1f} ms  "
                  f"score {r['score_ms']:7.1f} ms  tick {r['tick_ms']:7.1f} ms  "
                  f"seed tick {r['seed_tick_ms']:7.1f} ms ({r['speedup_vs_seed']:.2f}x)",
                  flush=True)
    replays = []
    if args.replay:
        for rows_, one in ((args.replay, False), (args.series_rows, True)):
            replays.append(bench_replay(rows_, one_series=one, detector=args.detector))
            if not args.json:
                r = replays[-1]
                print(f"replay {r['kind']}: {r['rows']:,} rows in {r['total_s']:.2f} s "
                      f"({r['rows_per_s']:,} rows/s; read {r['read_s']:.2f} s, replay "
                      f"{r['replay_s']:.2f} s, write {r['write_s']:.2f} s); peak RSS "
                      f"{r['peak_rss_mb']:,.0f} MB for a {r['table_mb']:,.0f} MB table",
                      flush=True)
    if args.json:
        emit_json({"ticks": rows, "replays": replays} if args.replay else rows)
    return 0


# ---------------------------------------------------------------- detectors
def run_detectors(args: argparse.Namespace) -> int:
    from telecom_nb.detectors import available_detectors, make_detector

    for name in available_detectors():
        det = make_detector(name)
        params = ", ".join(f"{k}={v!r}" for k, v in det.get_params().items())
        print(f"{name}: {type(det).__name__}({params})")
    return 0

