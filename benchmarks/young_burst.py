"""Scratch: alarms of a young model on a big simulated fleet (prints a table).

Not a test. At contamination 0.001 a fleet of N sectors should see about N/1000 flagged
sectors a tick; a young model (fitted on a few ticks of history) may flag far more.

    python benchmarks/young_burst.py [--sectors 20000] [--ticks 60] [--seed 0] [--every 2]

Prints per tick: flagged rows, of which labelled faults, open episodes, model version.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from telecom_nb import schema
from telecom_nb.engine import Monitor


async def run(args: argparse.Namespace) -> None:
    monitor = Monitor.simulated(n_sectors=args.sectors, seed=args.seed, interval=0.0)
    t0 = time.perf_counter()
    total_flagged = total_fp = 0
    print("tick  flagged  faulty  false  open  model")
    for tick in range(1, args.ticks + 1):
        (batch,) = await monitor.step(1)
        frame = batch.frame
        flagged = frame[schema.IS_ANOMALY].to_numpy()
        faulty = (frame[schema.FAULT] != "").to_numpy()
        n_open = monitor.episodes.n_open
        total_flagged += int(flagged.sum())
        total_fp += int((flagged & ~faulty).sum())
        if tick % args.every == 0 or tick == 1:
            print(f"{tick:4d}  {flagged.sum():7d}  {(flagged & faulty).sum():6d}  "
                  f"{(flagged & ~faulty).sum():5d}  {n_open:4d}  {batch.model_version:5d}")
    print(f"{args.ticks} ticks, {args.sectors} sectors: flagged {total_flagged}, false "
          f"{total_fp}; {time.perf_counter() - t0:.0f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sectors", type=int, default=20_000)
    ap.add_argument("--ticks", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--every", type=int, default=2, help="print every n-th tick")
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()
