"""A monitor on a store, stepped tick by tick in its own process (killed by the tests).

``python persist_child.py STORE TICKS SECTORS SEED EVERY DUMPDIR``: resumes from STORE,
steps until tick TICKS (retrains in line: deterministic), and after every tick writes that
tick's scores to DUMPDIR/tick_N.npy and prints ``tick N`` (after the store committed it).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import numpy as np

from telecom_nb.engine.monitor import Monitor


async def main(store: str, ticks: int, sectors: int, seed: int, every: int, dump: Path) -> None:
    monitor = Monitor.simulated(n_sectors=sectors, seed=seed, interval=0, store=store,
                                checkpoint_every=every)
    print(f"start tick={monitor.tick} ready={monitor.detector.is_ready} "
          f"message={monitor.last_message}", flush=True)
    while monitor.tick < ticks:
        for scored in await monitor.step(1):
            np.save(dump / f"tick_{scored.tick}.npy", scored.frame["score"].to_numpy())
            print(f"tick {scored.tick}", flush=True)


if __name__ == "__main__":
    path, n, s, seed, every, out = sys.argv[1:7]
    asyncio.run(main(path, int(n), int(s), int(seed), int(every), Path(out)))
