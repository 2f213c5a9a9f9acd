"""Soak: run a long accelerated stream and print how resident memory (RSS) evolves.

    python benchmarks/soak_rss.py --ticks 10000 --sectors 10000

Uses the real simulator and detector (``--detector``); RSS is sampled at 10 checkpoints
by a sink (psutil). Memory should rise during warm-up (ring buffers fill, models train)
and then stay flat: history, feed and episode lists are bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time

import psutil

from telecom_nb.engine import Monitor
from telecom_nb.engine.scored import ScoredBatch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=2000)
    parser.add_argument("--sectors", type=int, default=1000)
    parser.add_argument("--detector", default="iforest")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    process = psutil.Process()
    every = max(args.ticks // 10, 1)
    samples: list[tuple[int, float, float]] = []
    started = time.perf_counter()

    def sample(scored: ScoredBatch) -> None:
        if scored.tick % every == 0 or scored.tick == 1:
            gc.collect()
            rss = process.memory_info().rss / 2**20
            samples.append((scored.tick, time.perf_counter() - started, rss))
            print(f"tick {scored.tick:>7}  {samples[-1][1]:8.1f} s  RSS {rss:8.1f} MiB", flush=True)

    monitor = Monitor.simulated(
        n_sectors=args.sectors,
        seed=args.seed,
        interval=0,
        detector=args.detector,
        max_ticks=args.ticks,
    )
    monitor.add_sink(sample)
    print(f"RSS before start: {process.memory_info().rss / 2**20:.1f} MiB")

    async def run() -> None:
        monitor.start()
        await monitor.wait()

    asyncio.run(run())
    elapsed = time.perf_counter() - started
    print(
        f"status={monitor.status} ticks={monitor.tick} in {elapsed:.1f} s "
        f"({monitor.tick / elapsed:.1f} ticks/s, {monitor.rows_per_s:,.0f} rows/s scoring)"
    )
    print(
        f"history rows={len(monitor.history_frame())} feed rows={len(monitor.anomalies_frame())} "
        f"closed episodes kept={len(monitor.episodes.closed_)} "
        f"(closed total={monitor.episodes.n_closed_}) open={monitor.open_episodes} "
        f"sector buffer={monitor.sector_buffer.nbytes / 2**20:.1f} MiB"
    )
    print(f"counters: {monitor.counters}")
    if len(samples) >= 3:
        base_tick, _, base = samples[2]  # after warm-up: buffers full, first models trained
        print(
            f"RSS growth from tick {base_tick} to {samples[-1][0]}: "
            f"{samples[-1][2] - base:+.1f} MiB (peak {max(s[2] for s in samples):.1f} MiB)"
        )
    return 0 if monitor.status == "finished" else 1


if __name__ == "__main__":
    raise SystemExit(main())
