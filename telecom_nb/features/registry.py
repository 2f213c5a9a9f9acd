"""Sector registry: stable integer rows for per-sector state held in numpy arrays.

Per-sector state lives in arrays indexed by registry row so that every update is
one vectorised gather/scatter. Looking ids up costs a hash per row, so the last
lookup is cached: live sources send the same sector list every tick.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class SectorRegistry:
    """Maps ids (sector ids, province names) to rows 0..n-1, growing as new ids appear."""

    def __init__(self) -> None:
        self._ids: list[object] = []
        self._index = pd.Index([], dtype=object)
        self._last_ids: np.ndarray | None = None
        self._last_rows: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> list[object]:
        return list(self._ids)

    def lookup(self, ids: np.ndarray) -> np.ndarray:
        """Rows of ``ids`` (-1 for ids never registered). Never changes the registry."""
        if self._last_ids is not None and _same(ids, self._last_ids):
            return self._last_rows  # type: ignore[return-value]
        rows = self._index.get_indexer(ids).astype(np.int64)
        if (rows >= 0).all():  # cache only complete lookups: they stay valid
            self._last_ids, self._last_rows = ids, rows
        return rows

    def register(self, ids: np.ndarray) -> np.ndarray:
        """Rows of ``ids``, adding unseen ids at the end."""
        rows = self.lookup(ids)
        missing = rows < 0
        if missing.any():
            new = pd.unique(np.asarray(ids, dtype=object)[missing])
            self._ids.extend(new.tolist())
            self._index = pd.Index(self._ids, dtype=object)
            self._last_ids = None
            rows = self.lookup(ids)
        return rows


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a is b:
        return True
    return a.shape == b.shape and bool((a == b).all())


def grow_rows(array: np.ndarray, n_rows: int, fill: float = 0.0) -> np.ndarray:
    """``array`` with at least ``n_rows`` leading rows (amortised doubling)."""
    if array.shape[0] >= n_rows:
        return array
    new_rows = max(n_rows, 2 * array.shape[0], 16)
    out = np.full((new_rows, *array.shape[1:]), fill, dtype=array.dtype)
    out[: array.shape[0]] = array
    return out
