"""The live tick's cost in CPU time, for comparing two trees on a shared machine.

``telecom-nb bench`` reports wall-clock medians of 6 ticks; with other jobs on the two
cores those move 2-3x between runs of the same code. CPU time counts only the time the
tick actually ran, so back-to-back runs of two checkouts compare within ~10 %. A tick is
what the bench times (``Monitor.step`` in deterministic mode: source, validation,
features, score, alarms, sinks, learn, a due retrain in line).

    for tree in ../main .; do
        PYTHONPATH=$tree python benchmarks/tick_cpu.py --sectors 500 --ticks 80
    done

Up to ``OFFLOAD_ROWS`` sectors the tick runs on the calling thread and its thread CPU
time is read; above, the engine runs in a worker thread and the process CPU time is
read instead (it then includes compiled kernels' worker threads).

``--blocks N`` measures N blocks of ``--ticks`` ticks after one warm-up and prints each
block's median: two trees run side by side (``&``), N blocks each, meet the same load
block by block at one warm-up's cost (on a loaded host a warm-up is minutes of wall).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from telecom_nb.detectors import make_detector
from telecom_nb.engine.fetch import OFFLOAD_ROWS
from telecom_nb.engine.monitor import Monitor
from telecom_nb.sources.simulator import KpiSimulator


async def measure(sectors: int, ticks: int, detector: str, thread_rows: int,
                  blocks: int = 1) -> dict:
    monitor = Monitor(KpiSimulator(n_sectors=sectors, seed=0), make_detector(detector),
                      interval=0.0)
    while not monitor.detector.is_ready:
        await monitor.step(1)
    clock = time.thread_time if sectors < thread_rows else time.process_time

    def ms(values: list[float]) -> float:
        return round(statistics.median(values) * 1000, 2)

    out: dict = {}
    for block in range(blocks):
        wall, cpu = [], []
        for _ in range(ticks):
            w0, c0 = time.perf_counter(), clock()
            await monitor.step(1)
            wall.append(time.perf_counter() - w0)
            cpu.append(clock() - c0)
        out = {"sectors": sectors, "ticks": ticks, "cpu_ms": ms(cpu), "wall_ms": ms(wall),
               "wall_first6_ms": ms(wall[:6]), "wall_min_ms": round(min(wall) * 1000, 2),
               "clock": clock.__name__}
        if blocks > 1:
            print({"block": block + 1, **out}, flush=True)
    await monitor.aclose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sectors", type=int, default=500)
    parser.add_argument("--ticks", type=int, default=80)
    parser.add_argument("--detector", default="iforest")
    parser.add_argument("--thread-rows", type=int, default=OFFLOAD_ROWS + 1,
                        help="below this many sectors the tick runs on this thread")
    parser.add_argument("--blocks", type=int, default=1,
                        help="blocks of --ticks ticks after one warm-up (each block printed)")
    args = parser.parse_args()
    print(asyncio.run(measure(args.sectors, args.ticks, args.detector, args.thread_rows,
                            args.blocks)))


if __name__ == "__main__":
    main()
