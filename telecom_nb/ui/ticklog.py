"""Network-wide aggregates per tick, kept in the kernel for the charts and the notebook.

Recording is a handful of vectorised column means per batch, so it can run on every
tick even when the widgets refresh less often (latest state wins for the widgets, but
the chart history keeps every tick).
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd

from telecom_nb.pipeline.batch import ScoredBatch
from telecom_nb.schema import IS_ANOMALY, KPIS

STATE = "state"


class TickLog:
    """A bounded record of one row per tick: counts and mean KPIs."""

    def __init__(self, maxlen: int = 2000):
        if maxlen < 1:
            raise ValueError(f"maxlen must be >= 1; got {maxlen}")
        self._rows: deque[dict] = deque(maxlen=maxlen)

    def record(self, batch: ScoredBatch) -> None:
        frame = batch.frame
        flagged = frame[IS_ANOMALY].to_numpy(dtype=bool)
        row = {
            "tick": batch.tick,
            "timestamp": batch.timestamp,
            "n_rows": len(frame),
            "n_anomalies": int(flagged.sum()),
            "n_recovering": int((frame[STATE] == "recovering").sum()) if STATE in frame else 0,
            "model_version": batch.model_version,
        }
        row["flag_rate"] = row["n_anomalies"] / max(len(frame), 1)
        present = [k for k in KPIS if k in frame]
        means = frame[present].mean().to_dict() if len(frame) else {}
        row.update({k: float(means.get(k, np.nan)) for k in KPIS})
        self._rows.append(row)

    def __len__(self) -> int:
        return len(self._rows)

    def frame(self, last: int | None = None) -> pd.DataFrame:
        """The recorded ticks as a DataFrame (optionally only the ``last`` ones)."""
        rows = list(self._rows) if last is None else list(self._rows)[-last:]
        columns = ["tick", "timestamp", "n_rows", "n_anomalies", "n_recovering",
                   "model_version", "flag_rate", *KPIS]
        return pd.DataFrame(rows, columns=columns)
