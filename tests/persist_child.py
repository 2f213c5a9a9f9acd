"""A monitor on a store, stepped tick by tick in its own process (killed by the tests).

``run(STORE, TICKS, SECTORS, SEED, EVERY, DUMPDIR, conn)``, the target of a forked child
(``tests/test_restart.py``): resumes from STORE, steps until tick TICKS (retrains in line:
deterministic), and after every tick writes that tick's scores to DUMPDIR/tick_N.npy and
sends ``tick N`` on ``conn`` (after the store committed it).
"""

from __future__ import annotations

import asyncio
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

from telecom_nb.engine.monitor import Monitor


async def main(store: str, ticks: int, sectors: int, seed: int, every: int, dump: Path,
               conn: Connection) -> None:
    monitor = Monitor.simulated(n_sectors=sectors, seed=seed, interval=0, store=store,
                                checkpoint_every=every)
    conn.send(f"start tick={monitor.tick} ready={monitor.detector.is_ready} "
              f"message={monitor.last_message}")
    while monitor.tick < ticks:
        for scored in await monitor.step(1):
            np.save(dump / f"tick_{scored.tick}.npy", scored.frame["score"].to_numpy())
            conn.send(f"tick {scored.tick}")


def run(store: str, ticks: int, sectors: int, seed: int, every: int, dump: Path,
        conn: Connection) -> None:
    """The child's whole life: a new event loop (the fork has none running)."""
    try:
        asyncio.run(main(store, ticks, sectors, seed, every, dump, conn))
    finally:
        conn.close()
