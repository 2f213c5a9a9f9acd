"""Replay a recorded KPI table as a stream: one batch per distinct timestamp, in order.

The table is loaded (and repaired, with a report) once by
:func:`~telecom_nb.sources.tables.load_table`; batch boundaries are precomputed from the
sorted timestamps, so each ``next_batch`` is a slice, not a filter over the whole table.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from telecom_nb import schema
from telecom_nb.batching import timestamp_bounds
from telecom_nb.sources.base import Source
from telecom_nb.sources.sites import AZIMUTH
from telecom_nb.sources.tables import ColumnMapping, LoadedTable, OnBadRows, load_table

if TYPE_CHECKING:
    from telecom_nb.sources.ingest import LoadedSource
    from telecom_nb.sources.kpiinfo import KpiInfo
    from telecom_nb.sources.spec import SourceSpec

#: sector columns kept beside id, province and position when the table has them
OPTIONAL_SECTOR_COLUMNS: tuple[str, ...] = (AZIMUTH,)


class ReplaySource(Source):
    """A :class:`Source` over a recorded table (CSV, Parquet or DataFrame)."""

    def __init__(
        self,
        src: str | Path | pd.DataFrame,
        mapping: ColumnMapping | Mapping[str, Any] | None = None,
        *,
        on_bad_rows: OnBadRows = "skip",
    ) -> None:
        self._setup(load_table(src, mapping, on_bad_rows=on_bad_rows))

    @classmethod
    def from_source(
        cls, spec_or_path: SourceSpec | str | Path, *, data: pd.DataFrame | None = None
    ) -> ReplaySource:
        """Replay an operator export described by a ``source.toml`` or :class:`SourceSpec`;
        ``.loaded`` keeps the KPI infos, cadence, time zone and counters."""
        from telecom_nb.sources.ingest import load_source

        loaded = load_source(spec_or_path, data=data)
        source = cls.__new__(cls)
        source._setup(loaded.to_table())
        source.loaded = loaded
        return source

    def _setup(self, table: LoadedTable) -> None:
        self.table: LoadedTable = table
        self.loaded: LoadedSource | None = None
        frame = self.table.frame
        self._bounds = timestamp_bounds(frame)
        self._position = 0
        self.timestamps = pd.DatetimeIndex(frame[schema.TIMESTAMP].iloc[self._bounds[:-1]])
        gaps = self.timestamps.to_series().diff().dropna()
        self.step: pd.Timedelta | None = gaps.median() if len(gaps) else None

    @property
    def frame(self) -> pd.DataFrame:
        """The whole loaded table (read-only by convention)."""
        return self.table.frame

    @property
    def kpis(self) -> list[str]:
        return self.table.kpis

    @property
    def kpi_info(self) -> dict[str, KpiInfo]:
        """KPI -> label, unit, bad direction: the export's (with source.toml's overrides);
        empty for a plain table (the monitor then reads them from the names)."""
        return {} if self.loaded is None else dict(self.loaded.kpi_info)

    @property
    def kpi_labels(self) -> dict[str, str]:
        """KPI -> what a person reads (label and unit), from :attr:`kpi_info`."""
        return {k: info.display for k, info in self.kpi_info.items()}

    @property
    def timezone(self) -> str:
        """The export's wall-clock zone (``source.toml``); UTC for a plain table."""
        return "UTC" if self.loaded is None else self.loaded.spec.timezone

    @property
    def holidays(self) -> tuple[str, ...]:
        """The export's declared public holidays (local dates; ``source.toml``)."""
        return () if self.loaded is None else self.loaded.spec.holidays

    @property
    def holiday_like(self) -> str | None:
        """The weekday those holidays resemble (``source.toml``)."""
        return None if self.loaded is None else self.loaded.spec.holiday_like

    @property
    def report(self) -> dict[str, int]:
        return self.table.report

    @property
    def messages(self) -> list[str]:
        return self.table.messages

    @property
    def n_batches(self) -> int:
        return len(self._bounds) - 1

    @property
    def position(self) -> int:
        """Batches already returned."""
        return self._position

    @property
    def sectors(self) -> pd.DataFrame:
        """One row per sector (its last known province and position, and its azimuth when
        the sites inventory gave one: the map fans a site's sectors out by it)."""
        columns = [schema.SECTOR, schema.PROVINCE, schema.LAT, schema.LON]
        columns += [c for c in OPTIONAL_SECTOR_COLUMNS if c in self.table.frame]
        last = self.table.frame[columns].drop_duplicates(schema.SECTOR, keep="last")
        return last.sort_values(schema.SECTOR, kind="stable").reset_index(drop=True)

    def next_batch(self) -> pd.DataFrame | None:
        if self._position >= self.n_batches:
            return None
        start, stop = self._bounds[self._position], self._bounds[self._position + 1]
        self._position += 1
        return self.table.frame.iloc[start:stop].reset_index(drop=True)

    def rewind(self) -> None:
        """Start the replay again from the first timestamp."""
        self._position = 0

    def seek(self, position: int) -> None:
        """Continue after the first ``position`` batches (a resumed stream skips them)."""
        if isinstance(position, bool) or not 0 <= int(position) <= self.n_batches:
            raise ValueError(f"position must be within 0..{self.n_batches}; got {position!r}")
        self._position = int(position)

    def __len__(self) -> int:
        return self.n_batches
