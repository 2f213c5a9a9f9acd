"""A growable map from sector id to a dense row position, shared by the state arrays.

History and episode state are numpy arrays indexed by sector position; new sectors
may appear at any tick, so the map only ever grows and positions never change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class SectorIndex:
    """Sector id -> position (0, 1, 2, ... in order of first appearance)."""

    def __init__(self) -> None:
        self._index = pd.Index([], dtype=object)

    def __len__(self) -> int:
        return len(self._index)

    @property
    def ids(self) -> pd.Index:
        """All sector ids seen so far, in position order."""
        return self._index

    def positions(self, sector_ids: np.ndarray | pd.Series | pd.Index) -> np.ndarray:
        """Positions of ``sector_ids``; unseen ids are appended (vectorised)."""
        ids = pd.Index(np.asarray(sector_ids, dtype=object))
        pos = self._index.get_indexer(ids)
        missing = pos < 0
        if missing.any():
            new = ids[missing].unique()
            self._index = self._index.append(pd.Index(new, dtype=object))
            pos = self._index.get_indexer(ids)
        return pos.astype(np.intp, copy=False)

    def lookup(self, sector_id: object) -> int:
        """Position of one known sector, or -1 if never seen."""
        return int(self._index.get_indexer(pd.Index([sector_id], dtype=object))[0])


def grow_rows(array: np.ndarray, n: int, fill: object, axis: int = 0) -> np.ndarray:
    """``array`` grown along ``axis`` to hold ``n`` (capacity doubles); new cells ``fill``."""
    size = array.shape[axis]
    if size >= n:
        return array
    capacity = max(n, 2 * size, 16)
    shape = list(array.shape)
    shape[axis] = capacity
    out = np.full(shape, fill, dtype=array.dtype)
    out[(slice(None),) * axis + (slice(0, size),)] = array
    return out
