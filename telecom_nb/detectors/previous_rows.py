"""Each window row's predecessor: the same sector's feature row one tick earlier.

Calibration declusters the window's tails with it (a fault's rows come in runs, a KPI's
own noise excursions mostly do not; see :mod:`telecom_nb.detectors.feature_tails`). Only
the last batch is kept (a reference to its rows, and where each sector sits in it), so a
tick costs two integer scatters whatever the fleet's size; for each row the window keeps,
its predecessor's ``|x|`` is kept beside it in a window of the same size, row for row.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.detectors.window import SampleWindow
from telecom_nb.sector_index import grow_rows


class PreviousRows:
    """The last batch's rows and a window of the kept rows' predecessors (NaN = none)."""

    def __init__(self) -> None:
        self.last_x_ = np.zeros((0, 0))  # the last batch's feature rows
        self.last_rows_ = np.zeros(0, dtype=np.int64)  # their sectors' registry rows
        self.slot_ = np.zeros(0, dtype=np.int64)  # per sector: its row in the last batch, -1
        self.window_: SampleWindow | None = None

    def update(self, rows: np.ndarray, x: np.ndarray) -> None:
        """``x`` (sectors at registry ``rows``) becomes the last batch."""
        self.slot_[self.last_rows_] = -1
        self.slot_ = grow_rows(self.slot_, int(rows.max()) + 1 if len(rows) else 0, -1)
        self.slot_[rows] = np.arange(len(rows))
        self.last_rows_ = np.asarray(rows, dtype=np.int64)
        self.last_x_ = x

    def remember(self, rows: np.ndarray, x: np.ndarray, kept: np.ndarray | slice,
                 capacity: int) -> None:
        """Append the predecessors of ``x[kept]`` to the window, then :meth:`update`."""
        if self.window_ is None or self.window_.capacity != capacity:
            old, self.window_ = self.window_, SampleWindow(capacity, x.shape[1])
            if old is not None:
                self.window_.append(old.snapshot())
        picked = np.asarray(rows)[kept]
        prev = np.full((len(picked), x.shape[1]), np.nan)
        at = np.where(picked < len(self.slot_), self.slot_[np.minimum(picked, len(self.slot_) - 1)]
                      if len(self.slot_) else -1, -1)
        seen = at >= 0
        if seen.any() and self.last_x_.shape[1] == x.shape[1]:
            prev[seen] = np.abs(self.last_x_[at[seen]])
        self.window_.append(prev)
        self.update(rows, x)

    def remember_series(self, row: int, x: np.ndarray, skip: int, capacity: int) -> None:
        """:meth:`remember` for consecutive ticks of one sector (registry ``row``), the
        first ``skip`` only becoming "last" (warm-up): each row's predecessor is the row
        before it, the first one's the last batch's (the replay's one-series pass)."""
        if not len(x):
            return
        first = np.full((1, x.shape[1]), np.nan)
        at = self.slot_[row] if row < len(self.slot_) else -1
        if at >= 0 and self.last_x_.shape[1] == x.shape[1]:
            first[0] = np.abs(self.last_x_[at])
        prev = np.vstack([first, np.abs(x[:-1])])
        if skip < len(x):
            if self.window_ is None or self.window_.capacity != capacity:
                old, self.window_ = self.window_, SampleWindow(capacity, x.shape[1])
                if old is not None:
                    self.window_.append(old.snapshot())
            self.window_.append(prev[skip:])
        self.update(np.array([row], dtype=np.int64), x[-1:])

    def snapshot(self) -> np.ndarray | None:
        return None if self.window_ is None else self.window_.snapshot()
