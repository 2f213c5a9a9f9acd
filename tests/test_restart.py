"""Nothing lost on restart: a monitor killed with SIGKILL resumes from its store exactly.

The child process steps a simulated stream tick by tick (retrains in line, as ``step``
does: the only mode whose uninterrupted run is itself reproducible) and checkpoints every
5 ticks; it is killed at an arbitrary tick between checkpoints. The restarted child
restores the last checkpoint and replays the ticks after it from the simulator (seeked by
position) without writing them again, so every later score equals the uninterrupted run's.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from telecom_nb.engine.monitor import Monitor

CHILD = Path(__file__).with_name("persist_child.py")
#: models at ticks 4, 7, 13, 25 (49, 97...): killed after the one at 13, resumed from the
#: checkpoint at 10, so the restart replays a retrain and then makes one of its own
SECTORS, SEED, TICKS, EVERY = 120, 7, 30, 5


def _child(store: Path, dump: Path, ticks: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(store), str(ticks), str(SECTORS), str(SEED),
         str(EVERY), str(dump)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env)


def _reference(store: Path) -> tuple[dict[int, np.ndarray], Monitor]:
    monitor = Monitor.simulated(n_sectors=SECTORS, seed=SEED, interval=0, store=store,
                                checkpoint_every=EVERY)
    scored = asyncio.run(monitor.step(TICKS))
    return {s.tick: s.frame["score"].to_numpy() for s in scored}, monitor


@pytest.mark.timeout(300)
def test_sigkill_mid_stream_then_restart_loses_nothing_and_scores_as_uninterrupted(tmp_path):
    store, dump = tmp_path / "live.db", tmp_path / "dump"
    dump.mkdir()
    first = _child(store, dump, TICKS)
    kill_at = 2 * EVERY + 3  # between two checkpoints, after the first model
    for line in first.stdout:
        if line.startswith("tick ") and int(line.split()[1]) >= kill_at:
            first.send_signal(signal.SIGKILL)
            break
    first.wait(timeout=60)
    assert first.returncode == -signal.SIGKILL

    second = _child(store, dump, TICKS)
    out, err = second.communicate(timeout=240)
    assert second.returncode == 0, err
    start = out.splitlines()[0]
    assert "ready=True" in start, start  # the detector is ready before the first new tick
    assert "resumed from" in start and "replayed ticks" in start, start
    resumed_at = int(start.split("tick=")[1].split()[0])
    assert resumed_at >= kill_at

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
