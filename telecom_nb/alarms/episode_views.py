"""The tracker's episodes as tables (open first, then the closed): what the UI lists.

Kept apart from :mod:`telecom_nb.alarms.episodes` (the per-tick state machine): these
build frames only when a view asks, never on a tick.
"""

from __future__ import annotations

from itertools import islice

import numpy as np
import pandas as pd

from telecom_nb.params import check_range


class EpisodeViews:
    """Mixin of :class:`~telecom_nb.alarms.episodes.EpisodeTracker`: its frames."""

    def open_frame(self) -> pd.DataFrame:
        """Episodes still open (``end`` is NaT), most recent start first."""
        positions = np.flatnonzero(self._open)
        return (
            self._records(positions, open_=True)
            .sort_values("start", ascending=False, kind="stable")
            .reset_index(drop=True)
        )

    def recent_frame(self, limit: int = 200) -> pd.DataFrame:
        """At most ``limit`` episodes for an alert list: open ones first, the most recently
        anomalous first (ties: higher peak first), then the most recently closed.

        Only the rows returned are built, so it stays cheap with a long closed list.
        """
        check_range("limit", limit, 0)
        positions = np.flatnonzero(self._open)
        order = np.lexsort((-self._peak_score[positions], -self._last_anom_tick[positions]))
        opened = self._records(positions[order[:limit]], open_=True)
        room = int(limit) - len(opened)
        if room <= 0 or not self.closed_:
            return opened.reset_index(drop=True)
        closed = pd.DataFrame(list(islice(reversed(self.closed_), room)),
                              columns=list(opened.columns))
        if opened.empty:
            return closed
        return pd.concat([opened, closed], ignore_index=True)

    def closed_frame(self) -> pd.DataFrame:
        """Closed episodes kept (at most ``max_closed``), most recently closed first."""
        columns = list(self._records(np.zeros(0, dtype=np.intp), open_=False).columns)
        return pd.DataFrame(list(reversed(self.closed_)), columns=columns)

    def frame(self, open_only: bool = False) -> pd.DataFrame:
        """Open episodes first, then (unless ``open_only``) the closed ones."""
        opened = self.open_frame()
        if open_only:
            return opened
        closed = self.closed_frame()
        if closed.empty:
            return opened
        if opened.empty:
            return closed
        return pd.concat([opened, closed], ignore_index=True)
