"""A live stream's scored output hashed tick by tick, to show a speed change moves nothing.

Every column of every scored tick (the batch's, the scores, flags, episode columns) and
the KPI contributions are hashed as the engine returns them (``Monitor.step``, the
bench's deterministic mode: retrains in line), one hash per tick. Run two trees and
compare the files: the first differing line is the first tick that moved.

    for tree in ../main .; do
        PYTHONPATH=$tree python benchmarks/tick_hash.py --sectors 30000 --ticks 150 \\
            --out /tmp/hash_$(basename $(realpath $tree)).txt
    done

``--step 1h`` exercises the parts fitted on hourly data only (persistence, drift).
Above ``row_split.PARALLEL_ROWS`` (20,000) sectors the row-split path runs; from 4,000 the
sampled first-visit cross sections do.
"""

from __future__ import annotations

import os

# OpenBLAS picks its kernels by CPU (AVX2 or AVX-512), and they round matrix products
# differently in the last bit: pin one kernel set so a hash means the same on any x86 machine
# (a Sapphire Rapids host gave another hash than a Haswell-class one for the same code).
os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")

import argparse
import asyncio
import hashlib

import numpy as np

from telecom_nb.detectors import make_detector
from telecom_nb.engine.monitor import Monitor
from telecom_nb.sources.simulator import KpiSimulator


def _digest(scored) -> bytes:
    """One tick's hash: each column's bytes (text as str), then the contributions."""
    h = hashlib.sha256()
    for name in sorted(scored.columns):
        a = np.asarray(scored.column(name))
        h.update(name.encode())
        h.update(a.astype(str).tobytes() if a.dtype == object else np.ascontiguousarray(a))
    if scored.contributions is not None:
        h.update(np.ascontiguousarray(np.asarray(scored.contributions, dtype=np.float64)))
    return h.digest()


async def run(sectors: int, ticks: int, seed: int, detector: str, step: str = "15min") -> list[str]:
    monitor = Monitor(
        KpiSimulator(n_sectors=sectors, seed=seed, step=step),
        make_detector(detector),
        interval=0.0,
    )
    engine = monitor.runner.engine
    tick = engine.run
    hashes: list[str] = []

    def hashed(batch):
        scored, job = tick(batch)
        hashes.append(_digest(scored).hex()[:16])
        return scored, job

    engine.run = hashed
    await monitor.step(ticks)
    await monitor.aclose()
    return hashes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sectors", type=int, default=300)
    parser.add_argument("--ticks", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1140)
    parser.add_argument("--detector", default="iforest")
    parser.add_argument("--step", default="15min", help="the simulator's step (1h: drift part)")
    parser.add_argument("--out", help="write one hash a line here")
    args = parser.parse_args()
    hashes = asyncio.run(run(args.sectors, args.ticks, args.seed, args.detector, args.step))
    if args.out:
        with open(args.out, "w") as out:
            out.write("\n".join(hashes) + "\n")
    total = hashlib.sha256("".join(hashes).encode()).hexdigest()[:20]
    print(f"{args.sectors} sectors x {args.ticks} ticks: {total}")


if __name__ == "__main__":
    main()
