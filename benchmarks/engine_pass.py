"""The engine pass of a trained live tick (``Tick.run``: validate, score, alarms, learn):
its wall, the process's CPU and the engine thread's own CPU, medians over ticks.

For comparing two trees on a shared machine (run them alternately, note the load):
process CPU counts every thread of the tick (row-split helpers, the parts thread of
:mod:`telecom_nb.features.part_threads`); the engine thread's CPU is the one-thread part
plus the row-split slices it ran itself; wall under load is not a quiet host's.

    PYTHONPATH=. python benchmarks/engine_pass.py --sectors 100000 --ticks 8
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time

from telecom_nb.detectors import make_detector
from telecom_nb.engine.monitor import Monitor
from telecom_nb.sources.simulator import KpiSimulator


async def measure(sectors: int, ticks: int, detector: str) -> dict:
    monitor = Monitor(
        KpiSimulator(n_sectors=sectors, seed=0), make_detector(detector), interval=0.0
    )
    while not monitor.detector.is_ready:
        await monitor.step(1)
    await monitor.step(2)
    engine = monitor.runner.engine
    run, samples = engine.run, []

    def timed(batch):
        wall, cpu, own = time.perf_counter(), time.process_time(), time.thread_time()
        try:
            return run(batch)
        finally:
            samples.append(
                (time.perf_counter() - wall, time.process_time() - cpu, time.thread_time() - own)
            )

    engine.run = timed
    load = os.getloadavg()[0]
    await monitor.step(ticks)
    await monitor.aclose()

    def ms(i: int) -> float:
        return round(statistics.median(s[i] for s in samples) * 1000, 1)

    return {
        "sectors": sectors,
        "ticks": len(samples),
        "wall_ms": ms(0),
        "process_cpu_ms": ms(1),
        "engine_thread_cpu_ms": ms(2),
        "load_before": round(load, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sectors", type=int, default=100_000)
    parser.add_argument("--ticks", type=int, default=8)
    parser.add_argument("--detector", default="iforest")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.sectors, args.ticks, args.detector))))


if __name__ == "__main__":
    main()
