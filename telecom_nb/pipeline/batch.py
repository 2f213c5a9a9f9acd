"""What every sink receives: one scored batch."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class ScoredBatch:
    """One network timestamp after scoring.

    ``frame`` holds the batch's rows in the KPI schema plus ``score``,
    ``is_anomaly``, ``top_kpi`` and ``state`` (``"normal"``, ``"anomalous"`` or
    ``"recovering"``: an alert episode still open on a normal tick).
    Sinks must treat it as read-only.
    """

    tick: int  # 1-based count of batches processed by the pipeline
    timestamp: pd.Timestamp  # network time of the batch
    frame: pd.DataFrame
    contributions: pd.DataFrame | None = None  # per-KPI contributions, index = frame index
    model_version: int = 0
    detector_ready: bool = False
    report: dict[str, int] = field(default_factory=dict)  # repairs/skips in this batch
