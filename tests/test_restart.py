"""Nothing lost on restart: a monitor killed with SIGKILL resumes from its store exactly.

The child process steps a simulated stream tick by tick (retrains in line, as ``step``
does: the only mode whose uninterrupted run is itself reproducible) and checkpoints every
5 ticks; it is killed at an arbitrary tick between checkpoints. The restarted child
restores the last checkpoint and replays the ticks after it from the simulator (seeked by
position) without writing them again, so every later score equals the uninterrupted run's.

The children are forked from the test process (``persist_child.run``), not fresh
interpreters: each fresh one spent ~4-5 s of CPU importing the package and loading its
compiled kernels before its first tick. The test process has never opened these stores, so
a fork starts with nothing of theirs in memory, and SIGKILL ends it as abruptly.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from persist_child import run

from telecom_nb.engine.monitor import Monitor

#: models at ticks 4, 7, 13, 25 (49, 97...): killed after the one at 13, resumed from the
#: checkpoint at 10, so the restart replays a retrain and then makes one of its own
SECTORS, SEED, TICKS, EVERY = 120, 7, 30, 5


def _child(store: Path, dump: Path, ticks: int) -> tuple[multiprocessing.Process, Connection]:
    """A forked child stepping the store's monitor; its lines come back on the pipe."""
    read, write = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(
        target=run, args=(str(store), ticks, SECTORS, SEED, EVERY, dump, write), daemon=True)
    child.start()
    write.close()  # the child's copy is the only writer left: EOF when it ends
    return child, read


def _lines(read: Connection, timeout: float):
    """The child's lines until it ends (EOF on the pipe)."""
    while read.poll(timeout):
        try:
            yield read.recv()
        except EOFError:
            return
    raise AssertionError(f"no line from the child in {timeout} s")


def _reference(store: Path) -> tuple[dict[int, np.ndarray], Monitor]:
    monitor = Monitor.simulated(n_sectors=SECTORS, seed=SEED, interval=0, store=store,
                                checkpoint_every=EVERY)
    scored = asyncio.run(monitor.step(TICKS))
    return {s.tick: s.frame["score"].to_numpy() for s in scored}, monitor


@pytest.mark.timeout(300)
def test_sigkill_mid_stream_then_restart_loses_nothing_and_scores_as_uninterrupted(tmp_path):
    store, dump = tmp_path / "live.db", tmp_path / "dump"
    dump.mkdir()
    first, read = _child(store, dump, TICKS)
    kill_at = 2 * EVERY + 3  # between two checkpoints, after the first model
    for line in _lines(read, 60):
        if line.startswith("tick ") and int(line.split()[1]) >= kill_at:
            os.kill(first.pid, signal.SIGKILL)
            break
    first.join(timeout=60)
    assert first.exitcode == -signal.SIGKILL

    second, read = _child(store, dump, TICKS)
    out = list(_lines(read, 240))
    second.join(timeout=60)
    assert second.exitcode == 0, out
    start = out[0]
    assert "ready=True" in start, start  # the detector is ready before the first new tick
    assert "resumed from" in start and "replayed ticks" in start, start
    resumed_at = int(start.split("tick=")[1].split()[0])
    assert resumed_at >= kill_at
    assert out[-1] == f"tick {TICKS}", out[-1]

    reference, ref_monitor = _reference(tmp_path / "reference.db")
    assert ref_monitor.detector.model_version_ == 4  # the 4th model came after the restart
    for tick in range(resumed_at + 1, TICKS + 1):
        np.testing.assert_array_equal(np.load(dump / f"tick_{tick}.npy"), reference[tick])

    killed = Monitor.simulated(n_sectors=SECTORS, seed=SEED, interval=0, store=store).store
    ticks = killed.ticks()
    assert ticks["tick"].tolist() == list(range(1, TICKS + 1))  # none lost, none twice
    pd.testing.assert_frame_equal(ticks, ref_monitor.store.ticks())
    pd.testing.assert_frame_equal(killed.anomalies(), ref_monitor.store.anomalies())
    pd.testing.assert_frame_equal(killed.episodes(), ref_monitor.store.episodes())
