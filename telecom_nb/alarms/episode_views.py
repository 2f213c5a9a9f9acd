"""The tracker's episodes as tables (open first, then the closed): what the UI lists.

Kept apart from :mod:`telecom_nb.alarms.episodes` (the per-tick state machine): these
build frames only when a view asks, never on a tick. A dashboard asks on every tick, so the
closed episodes' frame is kept and extended by the episodes closed since (``closed_frame``).
"""

from __future__ import annotations

from itertools import islice

import numpy as np
import pandas as pd

from telecom_nb.params import check_range


class EpisodeViews:
    """Mixin of :class:`~telecom_nb.alarms.episodes.EpisodeTracker`: its frames."""

    #: (the closed list, ``n_closed_``, its frame) as last built; never state
    _closed_view: tuple[object, int, pd.DataFrame] | None = None

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
        """Closed episodes kept (at most ``max_closed``), most recently closed first.

        The frame of the last call is extended by the episodes closed since, not rebuilt
        from up to ``max_closed`` records (~8 ms at 1,000, on every tick of a dashboard);
        a replaced list (a restore, a new ``max_closed``) or a new column type rebuilds it.
        """
        closed, n_closed = self.closed_, self.n_closed_
        view = self._closed_view
        fresh = n_closed - view[1] if view is not None and view[0] is closed else -1
        if fresh == 0 and len(view[2]) == len(closed):
            return view[2].copy()
        frame = None
        if 0 < fresh < len(closed) and len(view[2]):
            new = pd.DataFrame(list(islice(reversed(closed), fresh)), columns=view[2].columns)
            if new.dtypes.equals(view[2].dtypes):  # else concat would change a column's type
                frame = pd.concat([new, view[2].iloc[: len(closed) - fresh]],
                                  ignore_index=True)
        if frame is None:
            frame = pd.DataFrame(list(reversed(closed)), columns=self.episode_columns())
        self._closed_view = (closed, n_closed, frame)
        return frame.copy()

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
