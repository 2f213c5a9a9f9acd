"""Slot-major storage of the sector x slot x series tables (same shape, same values).

A live tick reads and writes one slot of every sector. Stored sector-major, each sector's
few cells of that slot sit a whole row of slots apart (4.7 KB in the 168-slot weekday
table): one cache line and one page per sector, ~75 ms per pass over 100k sectors.
Stored slot-major (the array is a transposed view of a ``(slots, sectors, series)``
buffer) the same cells are one contiguous block: ~8 ms. Indexing (``a[rows, slot]``,
``a[r, s, j]`` in compiled code) is unchanged; only the strides differ. A table set
from elsewhere (a checkpoint restores C-ordered arrays) is laid out again at the next
:func:`grow_slot_major`, which the tables call on every learned batch.
"""

from __future__ import annotations

import numpy as np


def is_slot_major(array: np.ndarray) -> bool:
    """A 3-d table whose sectors are the fastest-but-one axis (the layout made here)."""
    return array.ndim == 3 and array.transpose(1, 0, 2).flags.c_contiguous


def _empty(shape: tuple[int, int, int], dtype: np.dtype, fill: float) -> np.ndarray:
    rows, slots, series = shape
    if fill == 0:  # zeroed pages from the OS: a slot's block is resident once written
        return np.zeros((slots, rows, series), dtype=dtype).transpose(1, 0, 2)
    return np.full((slots, rows, series), fill, dtype=dtype).transpose(1, 0, 2)


def slot_major(array: np.ndarray) -> np.ndarray:
    """``array`` (sectors x slots x series) laid out slot-major; other arrays as they are."""
    if array.ndim != 3 or array.size == 0 or is_slot_major(array):
        return array
    out = _empty(array.shape, array.dtype, 0.0)
    out[...] = array
    return out


def grow_slot_major(array: np.ndarray, n: int, fill: float = 0.0) -> np.ndarray:
    """:func:`~telecom_nb.sector_index.grow_rows` for a slot-major table (capacity
    doubles; new sectors' cells ``fill``)."""
    size = array.shape[0]
    if size >= n:
        return slot_major(array)
    out = _empty((max(n, 2 * size, 16), *array.shape[1:]), array.dtype, fill)
    out[:size] = array
    return out
