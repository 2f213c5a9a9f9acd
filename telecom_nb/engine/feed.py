"""The latest anomalous rows, newest first, bounded: the "what just went wrong" list."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.engine.scored import ScoredBatch
from telecom_nb.params import check_range


class AnomalyFeed:
    """Keeps at most ``maxlen`` anomalous rows; within a tick the highest scores first.

    Stores one small frame per tick (only its anomalous rows, at most ``maxlen``) and
    drops whole old ticks once the total is over ``maxlen``, so memory stays bounded.
    """

    def __init__(self, maxlen: int = 200, kpis: Sequence[str] = schema.KPIS) -> None:
        check_range("maxlen", maxlen, 1)
        self.maxlen = int(maxlen)
        self.columns = (
            schema.TIMESTAMP,
            schema.SECTOR,
            schema.PROVINCE,
            *kpis,
            schema.SCORE,
            schema.TOP_KPI,
        )
        #: (rows, the tick's columns as arrays, or a frame read back from a store)
        self._ticks: deque[tuple[int, dict[str, Any] | pd.DataFrame]] = deque()
        self._rows = 0

    def __len__(self) -> int:
        return min(self._rows, self.maxlen)

    def __call__(self, scored: ScoredBatch) -> None:
        rows = np.flatnonzero(scored.values(schema.IS_ANOMALY, bool))
        if rows.size == 0:
            return
        scores = scored.values(schema.SCORE)[rows]
        picked = rows[np.argsort(-scores, kind="stable")[: self.maxlen]]
        # the tick's columns as arrays; a frame is built only when one is asked for. A float
        # column comes from the batch's numpy arrays the other sinks already read.
        names = set(scored.columns)
        self._ticks.append((len(picked), {c: scored.take(c, picked) for c in self.columns
                                          if c in names}))
        self._rows += len(picked)
        while self._ticks and self._rows - self._ticks[0][0] >= self.maxlen:
            self._rows -= self._ticks.popleft()[0]

    def load(self, frame: pd.DataFrame) -> None:
        """Older anomalous rows read back from a store, newest first (after a restart)."""
        if len(frame):
            chunk = frame.head(self.maxlen).reindex(columns=list(self.columns))
            self._ticks.appendleft((len(chunk), chunk.reset_index(drop=True)))
            self._rows += len(chunk)

    def frame(self) -> pd.DataFrame:
        """Newest tick first; at most ``maxlen`` rows."""
        if not self._ticks:
            return pd.DataFrame(columns=list(self.columns))
        out = pd.concat([pd.DataFrame(part) if isinstance(part, dict) else part
                         for _, part in reversed(self._ticks)], ignore_index=True)
        return out.head(self.maxlen).reindex(columns=list(self.columns))
