"""The engine: one tick (validate -> score -> alarm -> learn), run live or over a table.

* :class:`Tick` - the per-batch transform, the only place its order is written;
* :class:`Runner` - asyncio start / pause / resume / stop / step, pacing, retrains;
* :func:`replay` - a whole recorded table through the same tick;
* :class:`Monitor` - what a notebook uses: the above plus history, feed and traits;
* :class:`MonitorView` - everything a UI may read from a monitor.

Nothing here imports widget libraries or opens a network port.
"""

from telecom_nb.engine.feed import AnomalyFeed
from telecom_nb.engine.history import NetworkHistory, SectorHistory
from telecom_nb.engine.monitor import Monitor
from telecom_nb.engine.replay import ReplayResult, replay
from telecom_nb.engine.runner import Runner
from telecom_nb.engine.scored import Counters, ScoredBatch
from telecom_nb.engine.sinks import CoalescingSink
from telecom_nb.engine.state import RunState
from telecom_nb.engine.tick import Tick
from telecom_nb.engine.view import MonitorView
from telecom_nb.engine.watchdog import Watchdog

__all__ = [
    "AnomalyFeed",
    "CoalescingSink",
    "Counters",
    "Monitor",
    "MonitorView",
    "NetworkHistory",
    "ReplayResult",
    "RunState",
    "Runner",
    "ScoredBatch",
    "SectorHistory",
    "Tick",
    "Watchdog",
    "replay",
]
