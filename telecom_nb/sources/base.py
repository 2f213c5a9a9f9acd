"""The source protocol: one batch (a KPI-schema DataFrame) per network timestamp."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

import pandas as pd


class Source(ABC):
    """Produces batches in timestamp order.

    A batch is a ``pandas.DataFrame`` in the schema of :mod:`telecom_nb.schema`
    (``timestamp`` identical on every row, one row per sector). Sources are
    synchronous and cheap to call; the pipeline moves heavy ones off the event loop.
    """

    #: Nominal network time between batches, when known (None for irregular replays).
    step: pd.Timedelta | None = None

    @abstractmethod
    def next_batch(self) -> pd.DataFrame | None:
        """The next batch, or ``None`` once the source is exhausted."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (files); default does nothing."""

    def __iter__(self) -> Iterator[pd.DataFrame]:
        while (batch := self.next_batch()) is not None:
            yield batch
