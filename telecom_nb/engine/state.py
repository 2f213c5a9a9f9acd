"""Where a live stream is: one state enum, and which thread may touch the loop."""

from __future__ import annotations

import asyncio
import enum
import threading


class RunState(str, enum.Enum):
    """Where a stream is; ``status`` adds ``warming_up`` (running, detector not ready)."""

    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    FINISHED = "finished"
    FAILED = "failed"


WARMING_UP = "warming_up"
LIVE = (RunState.RUNNING, RunState.PAUSED)  # the task is alive


def on_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return threading.current_thread() is threading.main_thread() and not loop.is_running()
