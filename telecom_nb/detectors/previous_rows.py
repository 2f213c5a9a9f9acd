"""Each window row's predecessor: the same sector's feature row one tick earlier.

Calibration declusters the window's tails with it (a fault's rows come in runs, a KPI's
own noise excursions mostly do not; see :mod:`telecom_nb.detectors.feature_tails`). The
last row of every sector is kept (``|x|`` as float32), and for each row the window keeps,
its predecessor is kept beside it in a window of the same size, row for row.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.detectors.window import SampleWindow
from telecom_nb.sector_index import grow_rows


class PreviousRows:
    """Per-sector last ``|x|`` and a window of the kept rows' predecessors (NaN = none)."""

    def __init__(self) -> None:
        self.last_ = np.zeros((0, 0), dtype=np.float32)
        self.window_: SampleWindow | None = None

    def update(self, rows: np.ndarray, x: np.ndarray) -> None:
        """Learn ``x`` as the last row of the sectors at registry ``rows``."""
        if self.last_.shape[1] != x.shape[1]:
            self.last_ = np.full((0, x.shape[1]), np.nan, dtype=np.float32)
        self.last_ = grow_rows(self.last_, int(rows.max()) + 1 if len(rows) else 0, np.nan)
        self.last_[rows] = np.abs(x)

    def remember(self, rows: np.ndarray, x: np.ndarray, kept: np.ndarray | slice,
                 capacity: int) -> None:
        """Append the predecessors of ``x[kept]`` to the window, then :meth:`update`."""
        if self.window_ is None or self.window_.capacity != capacity:
            old, self.window_ = self.window_, SampleWindow(capacity, x.shape[1])
            if old is not None:
                self.window_.append(old.snapshot())
        picked = rows[kept]
        prev = np.full((len(picked), x.shape[1]), np.nan)
        known = picked < len(self.last_)
        if self.last_.shape[1] == x.shape[1] and known.any():
            prev[known] = self.last_[picked[known]]
        self.window_.append(prev)
        self.update(rows, x)

    def snapshot(self) -> np.ndarray | None:
        return None if self.window_ is None else self.window_.snapshot()
