"""Getting the next batch from a source without ever losing one.

A stop may come while a batch is being fetched: the fetch is shielded, finishes, and its
batch is kept (with any batch fetched but not scored) for the next run, in order.
Heavy sources (large fleets) are called in a worker thread so the loop stays responsive.
"""

from __future__ import annotations

import asyncio
from collections import deque

import pandas as pd

from telecom_nb.sources.base import Source

#: Batches (rows) above this size are fetched / scored in a worker thread.
OFFLOAD_ROWS = 5000


class BatchFetcher:
    """The source's next batch, after any batch kept from an interrupted run."""

    def __init__(self, source: Source, offload_rows: int = OFFLOAD_ROWS) -> None:
        self.source = source
        self.offload_rows = int(offload_rows)
        self._kept: deque[pd.DataFrame] = deque()  # fetched, not scored
        self._fetching: asyncio.Future | None = None
        sectors = getattr(source, "sectors", None)
        self._heavy = sectors is not None and len(sectors) > self.offload_rows

    @property
    def n_kept(self) -> int:
        """Batches fetched from the source but not scored yet."""
        return len(self._kept)

    def keep(self, batch: pd.DataFrame) -> None:
        """Put a fetched batch back: it is the next one :meth:`next` returns."""
        self._kept.appendleft(batch)

    async def next(self) -> pd.DataFrame | None:
        """The kept batch, else a fresh one; None when the source is exhausted."""
        if self._kept:
            return self._kept.popleft()
        self._fetching = asyncio.ensure_future(self._fetch())
        batch = await asyncio.shield(self._fetching)  # a stop cannot cut a fetch in half
        self._fetching = None
        return batch

    async def _fetch(self) -> pd.DataFrame | None:
        if self._heavy:
            batch = await asyncio.to_thread(self.source.next_batch)
        else:
            batch = self.source.next_batch()
        if isinstance(batch, pd.DataFrame):
            self._heavy = len(batch) > self.offload_rows
        return batch

    async def settle(self) -> None:
        """After a stop: wait for a fetch in flight and keep its batch (after the others)."""
        fetching, self._fetching = self._fetching, None
        if fetching is None:
            return
        await asyncio.wait([fetching])
        done = not fetching.cancelled() and fetching.exception() is None
        if done and fetching.result() is not None:
            self._kept.append(fetching.result())
