"""cProfile of the live tick's engine pass, in CPU time of the thread that runs it.

``tick_stages.py`` splits a tick into its stages; this lists the functions inside them.
A large tick runs in a worker thread (``OFFLOAD_ROWS``), where a profiler started on the
main thread sees nothing: the engine's ``run`` is wrapped to profile itself wherever it
runs. The clock is the thread's CPU time (other jobs on the two cores do not count;
page faults of fresh temporaries do, as they are the tick's). Numba kernels show as one
line each; the forest's other walking threads are not in it.

    PYTHONPATH=. python benchmarks/tick_profile.py --sectors 100000 --ticks 6 --top 40

``--serial`` profiles only what runs on one thread: the row-split passes (both threads,
:mod:`telecom_nb.features.row_split`) are left out of the profile and their wall, thread and
process CPU are summed apart. At 100k sectors the one-thread part is what a second core
cannot shorten.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time

from telecom_nb.detectors import make_detector
from telecom_nb.engine.monitor import Monitor
from telecom_nb.features import row_split
from telecom_nb.sources.simulator import KpiSimulator


def _leave_out_row_splits(prof: cProfile.Profile, split: dict[str, float]) -> None:
    """Profile off inside ``row_split.over_rows`` (its passes' clocks summed in ``split``)."""
    over_rows = row_split.over_rows

    def timed(n, call):
        if not split["on"]:
            return over_rows(n, call)
        prof.disable()
        clocks = time.perf_counter(), time.thread_time(), time.process_time()
        try:
            return over_rows(n, call)
        finally:
            for key, clock, t0 in zip(("wall", "thread", "process"), (
                    time.perf_counter, time.thread_time, time.process_time), clocks, strict=True):
                split[key] += clock() - t0
            split["calls"] += 1
            prof.enable()

    row_split.over_rows = timed


async def profile(sectors: int, ticks: int, detector: str,
                  split: dict[str, float] | None = None) -> cProfile.Profile:
    prof = cProfile.Profile(time.thread_time)
    if split is not None:
        _leave_out_row_splits(prof, split)
    monitor = Monitor(KpiSimulator(n_sectors=sectors, seed=0), make_detector(detector),
                      interval=0.0)
    while not monitor.detector.is_ready:
        await monitor.step(1)
    await monitor.step(3)  # past the first model's one-off costs
    engine = monitor.runner.engine
    run = engine.run

    def profiled(batch):
        if split is not None:
            split["on"] = True
        prof.enable()
        try:
            return run(batch)
        finally:
            prof.disable()
            if split is not None:
                split["on"] = False

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
    parser.add_argument("--serial", action="store_true",
                        help="profile the one-thread part only (row-split passes timed apart)")
    args = parser.parse_args()
    keys = ("on", "wall", "thread", "process", "calls")
    split = dict.fromkeys(keys, 0.0) if args.serial else None
    prof = asyncio.run(profile(args.sectors, args.ticks, args.detector, split))
    if split is not None:
        print(f"row-split passes per tick: {split['calls'] / args.ticks:.0f} calls, wall "
              f"{split['wall'] / args.ticks * 1e3:.1f} ms, this thread "
              f"{split['thread'] / args.ticks * 1e3:.1f}, process "
              f"{split['process'] / args.ticks * 1e3:.1f} ms CPU (not in the profile below)")
    if args.out:
        prof.dump_stats(args.out)
    stats = pstats.Stats(prof)
    print(f"engine pass, thread CPU per tick: {stats.total_tt / args.ticks * 1e3:.1f} ms "
          f"(profiler overhead in); {stats.total_calls / args.ticks:.0f} calls per tick")
    stats.sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
