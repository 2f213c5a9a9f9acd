"""Row-wise transforms of the window kept from one retrain to the next, by row identity.

A one-series window is 20,000 rows, retrained every ~2,000 new ones, and a retrain
transformed every window row again, element by element: the forest's bounded float32
input (``forest_input``), the joint and smoothed-z parts' ``bounded`` columns, the
predecessors with NaN read as 0 (``continues``), ~4-5 ms of a ~45 ms full-window
retrain. A transform of each value alone gives a row the same numbers whichever rows it
is computed with, so the rows still in the window since the last retrain are copied
from its result and only the new ones are computed.

A window row is named by its window's token and the count of rows appended before it
(:meth:`~telecom_nb.detectors.window.SampleWindow.row_key`); the token changes whenever
rows already in the window change (a refill, a restore), so one name is one content.
Transient (``engine/snapshot.py``): a restored detector starts empty and computes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np

#: (the window's token, rows appended before the snapshot's first row)
RowKey = tuple[int, int]


class RowCache:
    """The last result of each named transform and which window rows it holds."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[Hashable, RowKey, np.ndarray]] = {}

    def rows(
        self,
        name: str,
        what: Hashable,
        key: RowKey | None,
        source: np.ndarray,
        transform: Callable[[np.ndarray], np.ndarray],
    ) -> np.ndarray:
        """``transform(source)`` (a transform of each row alone; ``source``: window rows
        named from ``key``, None: unnamed, computed and not kept), its rows kept under
        ``name`` since the last call computed only once; ``what``: anything else the
        transform reads (its columns): another one computes every row."""
        if key is None:
            return transform(source)
        out = None
        kept = self._kept.get(name)
        if kept is not None and kept[0] == what and kept[1][0] == key[0]:
            old = kept[2]
            shift = key[1] - kept[1][1]  # the new snapshot's first row in the old one
            reuse = min(len(old) - shift, len(source))
            if shift >= 0 and reuse > 0:
                head = old[shift : shift + reuse]
                rest = transform(source[reuse:]) if reuse < len(source) else head[:0]
                if head.shape[1:] == rest.shape[1:] and head.dtype == rest.dtype:
                    out = np.concatenate([head, rest])
        if out is None:
            out = transform(source)
        self._kept[name] = (what, key, out)
        return out


def kept_rows(cache: RowCache | None, name: str, what: Hashable, key: RowKey | None,
              source: np.ndarray, transform: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``transform(source)``, through ``cache`` when there is one (a fleet's fit has none)."""
    if cache is None:
        return transform(source)
    return cache.rows(name, what, key, source, transform)
