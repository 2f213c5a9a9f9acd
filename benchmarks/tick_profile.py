"""cProfile of the live tick's engine pass, in CPU time of the thread that runs it.

``tick_stages.py`` splits a tick into its stages; this lists the functions inside them.
A large tick runs in a worker thread (``OFFLOAD_ROWS``), where a profiler started on the
main thread sees nothing: the engine's ``run`` is wrapped to profile itself wherever it
runs. The clock is the thread's CPU time (other jobs on the two cores do not count;
page faults of fresh temporaries do, as they are the tick's). Numba kernels show as one
line each; the forest's other walking threads are not in it.

    PYTHONPATH=. python benchmarks/tick_profile.py --sectors 100000 --ticks 6 --top 40
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time

from telecom_nb.detectors import make_detector
from telecom_nb.engine.monitor import Monitor
from telecom_nb.sources.simulator import KpiSimulator


async def profile(sectors: int, ticks: int, detector: str) -> cProfile.Profile:
    prof = cProfile.Profile(time.thread_time)
    monitor = Monitor(KpiSimulator(n_sectors=sectors, seed=0), make_detector(detector),
                      interval=0.0)
    while not monitor.detector.is_ready:
        await monitor.step(1)
    await monitor.step(3)  # past the first model's one-off costs
    engine = monitor.runner.engine
    run = engine.run

    def profiled(batch):
        prof.enable()
        try:
            return run(batch)
        finally:
            prof.disable()

    engine.run = profiled
    for _ in range(ticks):
        await monitor.step(1)
    await monitor.aclose()
    return prof


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sectors", type=int, default=100_000)
    parser.add_argument("--ticks", type=int, default=6)
    parser.add_argument("--detector", default="iforest")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime", help="pstats key (tottime, cumtime)")
    parser.add_argument("--out", help="also write the raw profile here (pstats file)")
    args = parser.parse_args()
    prof = asyncio.run(profile(args.sectors, args.ticks, args.detector))
    if args.out:
        prof.dump_stats(args.out)
    stats = pstats.Stats(prof)
    print(f"engine pass, thread CPU per tick: {stats.total_tt / args.ticks * 1e3:.1f} ms "
          f"(profiler overhead in); {stats.total_calls / args.ticks:.0f} calls per tick")
    stats.sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
