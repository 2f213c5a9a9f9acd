"""Cutting a timestamp-sorted table into batches, and progress bars for long loops.

One batch per network timestamp is the unit everywhere (replay, offline scoring, a
detector's fast path), so the cut is computed in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

import numpy as np
import pandas as pd

T = TypeVar("T")


def run_bounds(keys: np.ndarray | pd.Series | pd.Index) -> np.ndarray:
    """``[0, ..., n]``: where each run of equal consecutive keys starts, plus the end.

    Batch ``i`` of a table sorted by ``keys`` is rows ``bounds[i]:bounds[i + 1]``.
    """
    values = np.asarray(keys)
    starts = np.flatnonzero(values[1:] != values[:-1]) + 1
    return np.concatenate(([0], starts, [len(values)])).astype(np.int64)


def timestamp_bounds(frame: pd.DataFrame, column: str = "timestamp") -> np.ndarray:
    """:func:`run_bounds` of a sorted table's timestamp column (empty table: ``[0]``)."""
    if len(frame) == 0:
        return np.zeros(1, dtype=np.int64)
    return run_bounds(frame[column].to_numpy(dtype="int64"))


def progress(
    iterable: Iterable[T], *, desc: str, total: int | None = None, enabled: bool = True,
    unit: str = "it",
) -> Iterable[T] | Iterator[T]:
    """A tqdm bar on stderr for anything that takes more than a few seconds."""
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, unit=unit, leave=False, mininterval=0.5)
