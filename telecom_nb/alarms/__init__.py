"""Alarms: calibrated scores -> anomalous rows (threshold) -> alert episodes (hysteresis)."""

from telecom_nb.alarms.chain import AlarmChain
from telecom_nb.alarms.episodes import ANOMALOUS, NORMAL, RECOVERING, EpisodeTracker
from telecom_nb.alarms.threshold import decide, effective_threshold, threshold_for_rate

__all__ = [
    "ANOMALOUS",
    "NORMAL",
    "RECOVERING",
    "AlarmChain",
    "EpisodeTracker",
    "decide",
    "effective_threshold",
    "threshold_for_rate",
]
