"""The live pipeline: source -> validate -> score -> episodes -> sinks, and its Monitor.

Import :class:`Monitor` from here; it is what a notebook uses. Nothing in this package
imports widget libraries or opens a network port.
"""

from telecom_nb.pipeline.batch import ScoredBatch
from telecom_nb.pipeline.episodes import EpisodeTracker
from telecom_nb.pipeline.feed import AnomalyFeed
from telecom_nb.pipeline.heartbeat import Watchdog
from telecom_nb.pipeline.history import NetworkHistory, SectorHistory
from telecom_nb.pipeline.monitor import Monitor
from telecom_nb.pipeline.pipeline import Pipeline
from telecom_nb.pipeline.sinks import CoalescingSink

__all__ = [
    "AnomalyFeed",
    "CoalescingSink",
    "EpisodeTracker",
    "Monitor",
    "NetworkHistory",
    "Pipeline",
    "ScoredBatch",
    "SectorHistory",
    "Watchdog",
]
