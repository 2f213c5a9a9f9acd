"""Each window row's predecessor: the same sector's feature row one tick earlier.

Calibration declusters the window's tails with it (a fault's rows come in runs, a KPI's
own noise excursions mostly do not; see :mod:`telecom_nb.detectors.feature_tails`). Only
the last batch is kept (a reference to its rows, and where each sector sits in it), so a
tick costs two integer scatters whatever the fleet's size; for each row the window keeps,
its predecessor's ``|x|`` is kept beside it in a window of the same size, row for row.

A large fleet's last batch is a whole feature matrix (100k x 46 float64: 35 MiB), held
between ticks beside the pipeline's recycled one. Its kept rows are drawn at learn time,
but the draw reads only the detector's generator, the batch's length and the rows a batch
keeps, all known when the next batch is transformed: :meth:`PreviousRows.prefetch` then
takes the predecessors of the rows the learn will keep (drawn on the generator's state,
which is put back) and hands the last batch's matrix over to be stacked into, so one
matrix is held between ticks, not two. The learn takes the drawn rows when nothing
changed meanwhile; a learn of another batch (a score without a learn, which the engine
never does) finds no last batch: its rows have no predecessor, as a new sector's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from telecom_nb.detectors.window import SampleWindow
from telecom_nb.sector_index import grow_rows


@dataclass(frozen=True)
class Prefetched:
    """A learn's draw made when its batch was transformed, and the kept rows' predecessors."""

    view: Any  # the batch view it was drawn for (identity)
    n_rows: int
    per_batch: int
    state: dict  # the generator's state before the draw ...
    after: dict  # ... and after it
    kept: np.ndarray | slice
    prev: np.ndarray

    def fits(self, n_rows: int, per_batch: int, state: dict) -> bool:
        """Whether a learn of this batch would draw exactly these rows."""
        return n_rows == self.n_rows and per_batch == self.per_batch and state == self.state


def draw_kept(rng: np.random.Generator, n_rows: int, per_batch: int) -> np.ndarray | slice:
    """The rows of a batch of ``n_rows`` the window keeps (all when it has few)."""
    if n_rows > per_batch:
        return np.sort(rng.choice(n_rows, per_batch, replace=False))
    return slice(None)


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

    def predecessors(self, picked: np.ndarray, n_cols: int) -> np.ndarray:
        """``|x|`` of the last batch's rows of the sectors at registry rows ``picked``
        (NaN rows: not in it, or -1, a sector not registered yet)."""
        prev = np.full((len(picked), n_cols), np.nan)
        inside = (picked >= 0) & (picked < len(self.slot_))
        at = np.where(inside, self.slot_[np.where(inside, picked, 0)] if len(self.slot_) else -1,
                      -1)
        seen = at >= 0
        if seen.any() and self.last_x_.shape[1] == n_cols:
            prev[seen] = np.abs(self.last_x_[at[seen]])
        return prev

    def prefetch(self, view: Any, rows: np.ndarray, rng: np.random.Generator, per_batch: int,
                 recycle: Callable[[np.ndarray], None]) -> Prefetched | None:
        """The learn draw of batch ``view`` (sectors at registry ``rows``, -1: not
        registered) made now on ``rng``'s state, which is put back, and the drawn rows'
        predecessors; the last batch's matrix then goes to ``recycle`` (no longer read
        here). None when something else still holds that matrix: nothing is taken."""
        last = self.last_x_
        if not last.size or sys.getrefcount(last) > 3:  # this frame, the attribute, the call
            return None
        state = rng.bit_generator.state
        kept = draw_kept(rng, len(rows), per_batch)
        after, rng.bit_generator.state = rng.bit_generator.state, state
        prev = self.predecessors(np.asarray(rows)[kept], last.shape[1])
        self.last_x_ = np.zeros((0, 0))
        recycle(last)
        return Prefetched(view, len(rows), per_batch, state, after, kept, prev)

    @staticmethod
    def kept_rows(pre: Prefetched | None, rng: np.random.Generator, n_rows: int,
                  per_batch: int) -> tuple[np.ndarray | slice, np.ndarray | None]:
        """The rows a learn keeps, and their predecessors when ``pre`` drew them (the
        generator then moved on as the draw did); else drawn now (predecessors: None)."""
        if pre is not None and pre.fits(n_rows, per_batch, rng.bit_generator.state):
            rng.bit_generator.state = pre.after
            return pre.kept, pre.prev
        return draw_kept(rng, n_rows, per_batch), None

    def remember(self, rows: np.ndarray, x: np.ndarray, kept: np.ndarray | slice,
                 capacity: int, prev: np.ndarray | None = None) -> None:
        """Append the predecessors of ``x[kept]`` (``prev`` when prefetched) to the
        window, then :meth:`update`."""
        if self.window_ is None or self.window_.capacity != capacity:
            old, self.window_ = self.window_, SampleWindow(capacity, x.shape[1])
            if old is not None:
                self.window_.append(old.snapshot())
        if prev is None:
            prev = self.predecessors(np.asarray(rows)[kept], x.shape[1])
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
