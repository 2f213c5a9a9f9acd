"""Scratch: cost of a partitioned backtest on one process and on Dask (prints figures).

Not a test. Writes a simulated dataset hive-partitioned by date, then scores it with
``engine="local"`` (one process), and on a LocalCluster of 1 and 2 workers, each run in a
fresh process so peak memory is its own. ``--quality`` instead compares detection quality
of the unpartitioned replay with the partitioned runs. ``--national partition`` runs
without the exact national peer statistic (no first pass), to compare.

    PYTHONPATH=. python benchmarks/backtest_scale.py --sectors 2000 --days 7 --partitions 4
    PYTHONPATH=. python benchmarks/backtest_scale.py --quality --sectors 500 --days 4
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd


def write_dataset(root: Path, sectors: int, days: int, seed: int) -> int:
    """A day per ``date=`` folder, simulated a day at a time (bounded memory)."""
    from telecom_nb.sources.simulator import KpiSimulator

    sim = KpiSimulator(n_sectors=sectors, seed=seed)
    rows = 0
    for _ in range(days):
        day = sim.run(96)
        name = day["timestamp"].iloc[0].strftime("%Y-%m-%d")
        folder = root / f"date={name}"
        folder.mkdir(parents=True, exist_ok=True)
        day.to_parquet(folder / "part-0.parquet", index=False)
        rows += len(day)
    return rows


def one(path: str, out: str, engine: str, workers: int, partitions: int,
        national: str) -> dict:
    from telecom_nb.backtest import backtest

    result = backtest(path, out, engine=engine, workers=workers, partitions=partitions,
                      memory_limit="3GB", progress=False, national=national)
    d = result.as_dict()
    d["partition_seconds"] = [round(p["seconds"], 1) for p in d.pop("partitions")]
    return d


def quality(path: str, work: Path, partitions: list[int], national: str) -> None:
    from telecom_nb import schema
    from telecom_nb.backtest import backtest
    from telecom_nb.detectors import make_detector
    from telecom_nb.engine import replay
    from telecom_nb.evaluation.metrics import evaluate
    from telecom_nb.sources.ingest import load_source

    def line(name: str, frame: pd.DataFrame, took: float) -> None:
        ev = evaluate(frame)
        print(f"{name:28s} P={ev.precision:.4f} R={ev.recall:.4f} F1={ev.f1:.4f} "
              f"event recall={ev.event_recall:.4f} flagged={ev.flagged} ({took:.0f} s)",
              flush=True)

    t0 = time.perf_counter()
    table = load_source(path, data=pd.read_parquet(path).drop(columns=["date"])).frame
    line("unpartitioned", replay(table, make_detector("iforest"), schema.KPIS).frame,
         time.perf_counter() - t0)
    for n in partitions:
        t0 = time.perf_counter()
        out = work / f"q{n}"
        backtest(path, out, engine="local", partitions=n, progress=False, national=national)
        line(f"province x{n} ({national})", pd.read_parquet(out), time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sectors", type=int, default=2000)
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--partitions", type=int, default=4)
    p.add_argument("--work", default="/tmp/backtest_scale")
    p.add_argument("--quality", action="store_true")
    p.add_argument("--national", choices=("exact", "partition"), default="exact")
    p.add_argument("--runs", default="local:1,dask:1,dask:2")
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)  # engine:workers (child)
    args = p.parse_args()
    work = Path(args.work)
    data = work / f"kpis_{args.sectors}x{args.days}d_s{args.seed}"
    if args.one:
        engine, workers = args.one.split(":")
        print(json.dumps(one(str(data), str(work / f"out_{engine}{workers}"), engine,
                             int(workers), args.partitions, args.national)))
        return
    if not data.exists():
        t0 = time.perf_counter()
        rows = write_dataset(data, args.sectors, args.days, args.seed)
        print(f"wrote {rows:,} rows to {data} in {time.perf_counter() - t0:.0f} s", flush=True)
    if args.quality:
        quality(str(data), work, [2, 4, 8], args.national)
        return
    for run in args.runs.split(","):
        cmd = [sys.executable, __file__, "--one", run, "--sectors", str(args.sectors),
               "--days", str(args.days), "--seed", str(args.seed), "--work", args.work,
               "--partitions", str(args.partitions), "--national", args.national]
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        d = json.loads(out.strip().splitlines()[-1])
        rss = ", ".join(f"{v:,.0f}" for v in d["peak_rss_mb"].values())
        print(f"{run:8s} rows={d['rows']:,} wall={d['seconds']:.0f} s "
              f"(process {time.perf_counter() - t0:.0f} s; plan {d['plan_seconds']:.0f} s; "
              f"national {d['national']} {d['national_seconds']:.1f} s) "
              f"rows/s={d['rows_per_s']:,} peak RSS per worker MB=[{rss}] "
              f"partition s={d['partition_seconds']}", flush=True)


if __name__ == "__main__":
    main()
