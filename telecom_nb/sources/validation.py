"""The batch validator: every batch of every stream passes through it before scoring.

A live stream must survive bad input, so the validator repairs what it can (and counts
it) and rejects only batches that cannot be used at all. A rejection raises
:class:`~telecom_nb.errors.KpiInputError`; the pipeline counts a rejected batch and the
stream keeps running. Rules, in the order they are applied:

1. **Shape.** The batch must be a ``pandas.DataFrame`` with a ``timestamp`` column and
   every KPI column; otherwise it is rejected naming the missing column. No
   ``sector_id`` column means a single series (``sector_id = "series"``); missing
   ``province``/``lat``/``lon`` become ``"unknown"``/NaN. Extra columns are kept as they are.
2. **Empty** batches are rejected ("empty batch").
3. **Timestamps.** Naive timestamps are taken as UTC, aware ones converted to UTC,
   other values parsed; any unparseable value rejects the batch. All rows must carry the
   same timestamp (else rejected, naming the distinct values), and it must be later than
   the last accepted batch's ("late batch: ... is not after ...").
4. **Sector ids** are strings; rows without one are dropped (``dropped_rows``).
   Duplicate sector rows: the last one is kept (``duplicates``).
5. **KPI types.** A KPI column of another dtype is coerced to float; values that cannot
   be read as numbers become NaN (``coerced``).
6. **Validity flags.** A row a per-row validity column marks unreliable (``Reliability``
   = ``Unreliable``, ``Integrity`` below 100 %, ``Suspect``: :mod:`.row_flags`, the
   reading an export gets at load) has its KPI values read as blank, as in a replay; a
   flag column the loader has already read (named in the frame's ``attrs``) is not read
   again.
7. **Blanks.** A NaN or ±inf KPI value stays blank (NaN) and is counted (``blank``); a
   boolean column ``blank`` marks the rows with any blank KPI. Nothing is invented: a ratio
   KPI with no attempts has no value, and a filled-in copy of its last 0 % or 50 % read as
   hours of evidence (on the second vendor's exports 40 % of the false alarms were such
   filled rows). The features read a blank as no evidence (z = 0; the baselines skip it).
8. **Clipping.** Percentages (``prb_pct``, ``availability_pct``) are clipped to
   [0, 100], and payload/throughput to >= 0 (``clipped``).
9. **Sectors.** A never-seen sector is accepted (``new_sectors``); a known sector absent
   from the batch is counted (``missing_sectors``, informational).

Per-sector state (last accepted values) lives in numpy arrays indexed through a growing
sector registry, so the cost per batch is vectorised: see ``tests/test_validation.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from telecom_nb import schema
from telecom_nb.errors import KpiInputError
from telecom_nb.frame_columns import column_array, float64_array
from telecom_nb.sources.batch_sectors import arrow_ids, drop_duplicates, sector_column
from telecom_nb.sources.row_flags import blank_unreliable
from telecom_nb.sources.timeparse import DATE_WINDOW, format_timestamp, to_utc_timestamps

if TYPE_CHECKING:
    from telecom_nb.sources.table_validation import TableValidation

#: Boolean column added to every validated batch: the row has a blank KPI value.
BLANK: str = "blank"
#: Non-percent KPIs that cannot be negative.
NONNEGATIVE_KPIS: tuple[str, ...] = (schema.PAYLOAD, schema.THROUGHPUT)
#: Per-batch counters, always all present (zeros included).
COUNTERS: tuple[str, ...] = (
    "rows", "dropped_rows", "duplicates", "coerced", "blank", "clipped",
    "new_sectors", "missing_sectors",
)


@dataclass(frozen=True)
class ValidatedBatch:
    """A batch ready for scoring, with what was repaired in it."""

    frame: pd.DataFrame
    report: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    #: the frame's KPI columns (the validator's ``kpis``) as one read-only float64 matrix,
    #: blanks NaN: the stages after read these numbers instead of the frame's columns
    values: np.ndarray | None = None
    #: the batch's one network time (the frame's first timestamp)
    timestamp: pd.Timestamp | None = None


class BatchValidator:
    """Checks and repairs batches; remembers the last values of every sector."""

    def __init__(
        self,
        kpis: Sequence[str],
        percent_kpis: Sequence[str] = schema.PERCENT_KPIS,
        nonnegative_kpis: Sequence[str] = NONNEGATIVE_KPIS,
    ) -> None:
        self.kpis: list[str] = list(kpis)
        if not self.kpis:
            raise KpiInputError("BatchValidator needs at least one KPI column")
        self._percent = np.array([k in set(percent_kpis) for k in self.kpis])
        self._nonneg = np.array([k in set(nonnegative_kpis) for k in self.kpis]) & ~self._percent
        self.reset()

    def reset(self) -> None:
        """Forget every sector and the last timestamp (e.g. when a replay restarts)."""
        self.last_timestamp: pd.Timestamp | None = None
        self.totals: dict[str, int] = dict.fromkeys(("batches", "rejected", *COUNTERS), 0)
        # Sector ids in registration order; row i of _last_values belongs to entry i.
        # Arrow's hash lookup (index_in) is ~4x faster than pandas' get_indexer here.
        self._registry = pa.array([], type=pa.large_string())
        self._last_values = np.empty((0, len(self.kpis)))
        self._prev_sectors: pd.Series | None = None
        self._prev_codes: np.ndarray | None = None

    @property
    def n_sectors(self) -> int:
        """Sectors seen so far."""
        return len(self._registry)

    @property
    def sectors(self) -> pd.Index:
        """Sector ids in registry order (the row order of the per-sector state)."""
        return pd.Index(self._registry.to_numpy(zero_copy_only=False), dtype="str")

    def last_values(self) -> pd.DataFrame:
        """Each sector's KPI values of its last row, blanks as NaN (a copy)."""
        return pd.DataFrame(self._last_values.copy(), index=self.sectors, columns=self.kpis)

    # ------------------------------------------------------------------ validate

    def validate(self, batch: pd.DataFrame) -> ValidatedBatch:
        """Return the repaired batch, or raise KpiInputError (state then unchanged)."""
        try:
            return self._validate(batch)
        except KpiInputError:
            self.totals["rejected"] += 1
            raise

    def validate_table(self, table: pd.DataFrame,
                       bounds: np.ndarray | None = None) -> TableValidation:
        """Every batch of a time-sorted ``table`` (one per run of equal times) at once.

        ``bounds`` (optional, as :func:`~telecom_nb.batching.timestamp_bounds`) is the
        caller's cut; it only matters for a time column that is not datetime.

        The same rows, values, rejections, counters and state as calling :meth:`validate`
        batch by batch, without its fixed cost per batch (a replay of one series).
        """
        from telecom_nb.sources.table_validation import validate_table

        return validate_table(self, table, bounds)

    def _validate(self, batch: pd.DataFrame) -> ValidatedBatch:
        if not isinstance(batch, pd.DataFrame):
            raise KpiInputError(f"batch must be a pandas DataFrame, got {type(batch).__name__}",
                                reason="not a table")
        if len(batch) == 0:
            raise KpiInputError("empty batch", reason="empty batch")
        if batch.columns.has_duplicates:
            dup = sorted({str(c) for c in batch.columns[batch.columns.duplicated()]})
            raise KpiInputError(f"batch has duplicate column name(s): {', '.join(dup)}",
                                reason="duplicate columns")
        missing = [c for c in (schema.TIMESTAMP, *self.kpis) if c not in batch.columns]
        if missing:
            raise KpiInputError(
                f"batch lacks column(s) {', '.join(map(repr, missing))}; "
                f"columns are: {', '.join(map(str, batch.columns))}",
                reason="missing column",
            )
        stamp, stamps = self._check_timestamp(batch)
        report = dict.fromkeys(COUNTERS, 0)
        frame = batch.copy(deep=False)
        if stamps is not None:
            frame[schema.TIMESTAMP] = stamps.array
        frame, sectors = sector_column(frame, report)
        codes = self._codes(sectors)
        frame, sectors, codes = drop_duplicates(frame, sectors, codes, report)
        values, coerced_by_kpi, plain = self._kpi_matrix(frame, report)
        flagged = blank_unreliable(frame, self.kpis, values)

        # Everything below cannot fail: commit the new sectors to the registry.
        codes = self._register(sectors, codes, report)
        blank_rows = self._blanks(values, report)
        self._clip(values, report)
        self._last_values[codes] = values
        repaired = report["blank"] or report["clipped"]
        for j, kpi in enumerate(self.kpis):
            # a float64 column nothing was repaired in already holds these values
            if repaired or not plain[j]:
                frame[kpi] = values[:, j]
        # asked of the batch's labels (their hash table is built): a frame's new labels
        # after an insert build theirs again (~0.1 ms a tick)
        lacking = [c for c in (schema.PROVINCE, schema.LAT, schema.LON) if c not in batch.columns]
        frame[BLANK] = blank_rows
        _fill_positions(frame, lacking)
        if not (isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0
                and frame.index.step == 1 and len(frame.index) == len(frame)):
            frame.index = pd.RangeIndex(len(frame))

        self.last_timestamp = stamp
        report["rows"] = len(frame)
        self.totals["batches"] += 1
        for key, count in report.items():
            self.totals[key] += count
        shared = values.view()
        shared.flags.writeable = False
        messages = _messages(report, coerced_by_kpi)
        if flagged:
            messages.append(f"{flagged} row(s) flagged unreliable by their validity column: "
                            "KPI values read as blank")
        return ValidatedBatch(frame, report, messages, shared, stamp)

    def _check_timestamp(self, batch: pd.DataFrame) -> tuple[pd.Timestamp, pd.Series | None]:
        """The batch's time and its parsed column (None: the column stands as it is)."""
        held = column_array(batch, schema.TIMESTAMP)  # no Series for a live batch (~40 us)
        first = _one_utc_instant(held if held is not None else batch[schema.TIMESTAMP].array)
        if first is not None and (self.last_timestamp is None or first > self.last_timestamp):
            return first, None  # a live source's batch: one valid UTC instant, in order
        column = batch[schema.TIMESTAMP]
        stamps, bad = to_utc_timestamps(column)
        if bad.any():
            rows = np.flatnonzero(bad)[:3]
            shown = ", ".join(f"row {i + 1}: {column.iloc[i]!r}" for i in rows)
            raise KpiInputError(f"batch has unreadable timestamp(s) in 'timestamp': {shown}",
                                reason="unreadable timestamp")
        first = stamps.iloc[0]
        if not (stamps == first).all():
            distinct = stamps.drop_duplicates()
            shown = ", ".join(format_timestamp(t) for t in distinct.iloc[:3])
            more = f" (and {len(distinct) - 3} more)" if len(distinct) > 3 else ""
            raise KpiInputError(
                f"mixed timestamps in one batch: {shown}{more}; a batch is one network time",
                reason="mixed timestamps",
            )
        if self.last_timestamp is not None and first <= self.last_timestamp:
            raise KpiInputError(
                f"late batch: {format_timestamp(first)} is not after the last accepted batch "
                f"({format_timestamp(self.last_timestamp)})",
                reason="late batch",
            )
        return first, (None if stamps is column else stamps)

    def _codes(self, sectors: pd.Series) -> np.ndarray:
        """Registry position of each row's sector (-1: new). Reuses the last batch's lookup."""
        if (
            self._prev_sectors is not None
            and self._prev_codes is not None
            and len(sectors) == len(self._prev_sectors)
            and sectors.equals(self._prev_sectors)
        ):
            return self._prev_codes
        looked_up = pc.index_in(arrow_ids(sectors), value_set=self._registry)
        return looked_up.fill_null(-1).to_numpy().astype(np.intp)

    def _register(
        self, sectors: pd.Series, codes: np.ndarray, report: dict[str, int]
    ) -> np.ndarray:
        known_before = len(self._registry)
        new = codes < 0
        n_new = int(new.sum())
        if n_new:
            codes = codes.copy()
            codes[new] = known_before + np.arange(n_new)
            added = arrow_ids(sectors).filter(pa.array(new))
            self._registry = pa.concat_arrays([self._registry, added])
            grown = np.full((known_before + n_new, len(self.kpis)), np.nan)
            grown[:known_before] = self._last_values
            self._last_values = grown
        report["new_sectors"] = n_new
        report["missing_sectors"] = known_before - (len(codes) - n_new)
        self._prev_sectors, self._prev_codes = sectors, codes
        return codes

    def _kpi_matrix(self, frame: pd.DataFrame,
                    report: dict[str, int]) -> tuple[np.ndarray, dict, list[bool]]:
        """Rows x KPIs as float64, text coerced (counted), and which columns were numpy
        float64 already (those need no write back when nothing was repaired)."""
        values = np.empty((len(frame), len(self.kpis)))
        coerced: dict[str, int] = {}
        plain = []
        for j, kpi in enumerate(self.kpis):
            held = float64_array(frame, kpi)  # read without a Series (~40 us)
            if held is not None:
                plain.append(True)
                values[:, j] = held
                continue
            column = frame[kpi]
            plain.append(column.dtype == np.float64)
            if plain[-1]:
                values[:, j] = column.to_numpy()
                continue
            if pd.api.types.is_float_dtype(column.dtype) or pd.api.types.is_integer_dtype(
                column.dtype
            ) or pd.api.types.is_bool_dtype(column.dtype):
                values[:, j] = column.to_numpy(dtype=float, na_value=np.nan)
                continue
            try:
                numbers = pd.to_numeric(column, errors="coerce")
                values[:, j] = numbers.to_numpy(dtype=float, na_value=np.nan)
            except (TypeError, ValueError) as exc:
                raise KpiInputError(
                    f"KPI column {kpi!r} holds values that are not numbers nor text "
                    f"(e.g. {column.iloc[0]!r}): {exc}",
                    reason="non-numeric KPI",
                ) from None
            lost = int((numbers.isna() & column.notna()).sum())
            if lost:
                coerced[kpi] = lost
        report["coerced"] = sum(coerced.values())
        return values, coerced, plain

    @staticmethod
    def _blanks(values: np.ndarray, report: dict[str, int]) -> np.ndarray:
        """Rows with a blank KPI; ±inf becomes NaN (a blank too), counted."""
        bad = ~np.isfinite(values)
        if not bad.any():
            return np.zeros(len(values), dtype=bool)
        values[bad] = np.nan
        report["blank"] = int(bad.sum())
        return bad.any(axis=1)

    def _clip(self, values: np.ndarray, report: dict[str, int]) -> None:
        clipped = 0
        if self._percent.any():
            part = values[:, self._percent]
            out = (part < 0) | (part > 100)
            if out.any():
                clipped += int(out.sum())
                values[:, self._percent] = np.clip(part, 0.0, 100.0)
        if self._nonneg.any():
            part = values[:, self._nonneg]
            out = part < 0
            if out.any():
                clipped += int(out.sum())
                values[:, self._nonneg] = np.maximum(part, 0.0)
        report["clipped"] = clipped


def _one_utc_instant(column: Any) -> pd.Timestamp | None:
    """The batch's time when ``column`` (the time column's array) is already UTC
    datetimes, all one valid instant
    inside the readable window; else None (then the general parser reads it, and says
    what is wrong). Skips the parser's cost per tick for the common live batch."""
    dtype = column.dtype
    if not (isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) == "UTC") or not len(column):
        return None
    i8 = column.asi8
    if i8[0] == np.iinfo(np.int64).min or not (i8 == i8[0]).all():
        return None
    first = column[0]  # the frame's first Timestamp
    lo, hi = DATE_WINDOW
    return first if lo <= first < hi else None


def _fill_positions(frame: pd.DataFrame, lacking: list[str]) -> None:
    """Province and coordinates present on every batch (the map and filters rely on them);
    ``lacking``: those of them the batch has not."""
    if schema.PROVINCE in lacking:
        frame[schema.PROVINCE] = schema.UNKNOWN_PROVINCE
    for column in (schema.LAT, schema.LON):
        if column in lacking:
            frame[column] = np.nan


def _messages(report: dict[str, int], coerced: dict[str, int]) -> list[str]:
    out = []
    if report["dropped_rows"]:
        out.append(f"dropped {report['dropped_rows']} row(s) without a sector id")
    if report["duplicates"]:
        out.append(f"{report['duplicates']} duplicate sector row(s) dropped, kept the last")
    if coerced:
        detail = ", ".join(f"{k}: {n}" for k, n in coerced.items())
        out.append(f"non-numeric KPI value(s) read as missing ({detail})")
    if report["blank"]:
        out.append(f"{report['blank']} missing/infinite KPI value(s) kept blank")
    if report["clipped"]:
        out.append(f"{report['clipped']} out-of-range KPI value(s) clipped")
    if report["new_sectors"]:
        out.append(f"{report['new_sectors']} new sector(s)")
    if report["missing_sectors"]:
        out.append(f"{report['missing_sectors']} known sector(s) absent from this batch")
    return out
