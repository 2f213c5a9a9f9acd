"""Read a whole recorded KPI table (CSV or Parquet) into the project schema.

Recorded tables come from many tools, so the loader maps column names, parses any
reasonable timestamp, and repairs what can be repaired *while counting it*: the user
sees in ``LoadedTable.report``/``.messages`` exactly which rows were skipped and why.
Missing KPI values stay NaN here; the stream-time :mod:`~telecom_nb.sources.validation`
decides how to impute them, so a replay and a live stream are repaired the same way.

This is the column-mapping API of the CLI and ``ReplaySource``; an operator export with a
``source.toml`` (time zone, joined date/time columns, site inventory) goes through
:func:`telecom_nb.sources.ingest.load_source`. Both share the time parser and KPI rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.errors import KpiInputError
from telecom_nb.sources.columns import (
    LABEL_COLUMNS,
    classify,
    missing_columns_message,
    suggest,
)
from telecom_nb.sources.reading import (
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    describe,
    read_raw,
    string_columns,
)
from telecom_nb.sources.timeparse import format_timestamp, parse_times, to_utc_timestamps
from telecom_nb.sources.values import (
    examples,
    kpi_to_float,
    out_of_order_within_sector,
    sector_ids,
)

__all__ = [
    "CSV_SUFFIXES",
    "LABEL_COLUMNS",
    "PARQUET_SUFFIXES",
    "ColumnMapping",
    "LoadedTable",
    "OnBadRows",
    "as_mapping",
    "format_timestamp",
    "load_table",
    "missing_columns_message",
    "read_raw",
    "to_utc_timestamps",
]

OnBadRows = Literal["skip", "error"]



@dataclass(frozen=True)
class ColumnMapping:
    """Which input column plays which schema role (``kpis=None``: auto-detect)."""

    timestamp: str = schema.TIMESTAMP
    sector: str = schema.SECTOR
    kpis: tuple[str, ...] | list[str] | None = None
    province: str = schema.PROVINCE
    lat: str = schema.LAT
    lon: str = schema.LON


def as_mapping(mapping: ColumnMapping | Mapping[str, Any] | None) -> ColumnMapping:
    """A ColumnMapping from itself, None (defaults) or a plain dict of roles
    (``{"timestamp": "time", "sector": "cell"}``; ``sector_id`` is accepted for ``sector``)."""
    if mapping is None:
        return ColumnMapping()
    if isinstance(mapping, ColumnMapping):
        return mapping
    if not isinstance(mapping, Mapping):
        raise KpiInputError("mapping must be a ColumnMapping or a dict of column roles; got "
                            f"{type(mapping).__name__}")
    roles = [f.name for f in fields(ColumnMapping)]
    values = {("sector" if k == schema.SECTOR else k): v for k, v in mapping.items()}
    unknown = [k for k in values if k not in roles]
    if unknown:
        raise KpiInputError(f"mapping key {unknown[0]!r} is not a column role; roles: "
                            f"{', '.join(roles)}")
    if isinstance(values.get("kpis"), str):
        values["kpis"] = [values["kpis"]]
    return ColumnMapping(**values)


@dataclass
class LoadedTable:
    """A table in the project schema, sorted by timestamp, plus what was repaired."""

    frame: pd.DataFrame
    kpis: list[str]
    report: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- columns


def _check_mapping(raw: pd.DataFrame, mapping: ColumnMapping) -> dict[str, str | None]:
    """Input column per schema role (None: absent but optional); one error for all misses."""
    columns = [str(c) for c in raw.columns]
    present = set(columns)
    defaults = ColumnMapping()
    roles = {
        "timestamp": (mapping.timestamp, schema.TIMESTAMP, False),
        "sector": (mapping.sector, schema.SECTOR, mapping.sector == defaults.sector),
        "province": (mapping.province, schema.PROVINCE, mapping.province == defaults.province),
        "lat": (mapping.lat, schema.LAT, mapping.lat == defaults.lat),
        "lon": (mapping.lon, schema.LON, mapping.lon == defaults.lon),
    }
    problems: list[tuple[str, str]] = []
    found: dict[str, str | None] = {}
    for role, (column, canonical, optional) in roles.items():
        if column in present:
            found[canonical] = column
        elif optional:
            found[canonical] = None
        else:
            problems.append((column, role))
    for kpi in mapping.kpis or ():
        if kpi not in present:
            problems.append((kpi, "KPI"))
    if problems:
        raise KpiInputError(missing_columns_message(problems, columns))
    for canonical, column in found.items():
        if column is not None and column != canonical and canonical in present:
            raise KpiInputError(
                f"column {column!r} is mapped as {canonical!r} but the table also has a "
                f"column {canonical!r}; rename or drop one of them"
            )
    return found


def _choose_kpis(raw: pd.DataFrame, mapping: ColumnMapping, used: set[str]) -> list[str]:
    if mapping.kpis is not None:
        kpis = list(mapping.kpis)
        clash = [k for k in kpis if k in used or k in schema.ID_COLUMNS]
        if clash:
            raise KpiInputError(f"KPI column(s) {', '.join(clash)} are id/time/position columns")
        if not kpis:
            raise KpiInputError("mapping.kpis is empty; name at least one KPI column")
        return kpis
    if all(k in raw.columns for k in schema.KPIS):
        return list(schema.KPIS)
    kpis, _ = classify(raw, used | set(schema.ID_COLUMNS))
    if not kpis:
        raise KpiInputError(
            "no KPI column found: no numeric column besides id/time/position/label columns "
            f"(columns are: {', '.join(map(str, raw.columns))}); "
            "name them in ColumnMapping(kpis=...)"
        )
    return kpis


class _Loader:
    """One load: holds the frame being repaired and the counters."""

    def __init__(self, raw: pd.DataFrame, name: str, on_bad_rows: OnBadRows) -> None:
        self.frame = raw
        self.name = name
        self.on_bad_rows = on_bad_rows
        self.report: dict[str, int] = {"rows_read": len(raw)}
        self.messages: list[str] = []

    def drop_bad_rows(self, bad: np.ndarray, column: str, what: str, key: str) -> None:
        """Skip (and count) or reject the rows flagged ``bad`` in ``column``."""
        self.report[key] = int(bad.sum())
        if not bad.any():
            return
        rows = np.flatnonzero(bad)
        detail = examples(rows, self.frame[column])
        if bad.all():
            raise KpiInputError(f"{self.name}: column {column!r}: no row has {what} ({detail})")
        if self.on_bad_rows == "error":
            raise KpiInputError(
                f"{self.name}: column {column!r}: {rows.size} row(s) without {what}: {detail} "
                "(use on_bad_rows='skip' to drop them)"
            )
        self.messages.append(f"skipped {rows.size} row(s) without {what} in {column!r}: {detail}")
        self.frame = self.frame.loc[~bad]


def load_table(
    src: str | Path | pd.DataFrame,
    mapping: ColumnMapping | Mapping[str, Any] | None = None,
    *,
    on_bad_rows: OnBadRows = "skip",
) -> LoadedTable:
    """Load a CSV/Parquet file or a DataFrame into the KPI schema, sorted by timestamp.

    Raises KpiInputError (naming the file, column, rows) when the table cannot be used.
    """
    if on_bad_rows not in ("skip", "error"):
        raise KpiInputError(f"on_bad_rows must be 'skip' or 'error'; got {on_bad_rows!r}")
    mapping = as_mapping(mapping)
    name = describe(src)
    raw = string_columns(read_raw(src), name)
    try:
        found = _check_mapping(raw, mapping)
        if raw.empty:
            raise KpiInputError("the table has a header but no data rows")
        kpis = _choose_kpis(raw, mapping, {c for c in found.values() if c is not None})
    except KpiInputError as exc:
        raise KpiInputError(f"{name}: {exc}") from None

    sector_hint = None
    if found[schema.SECTOR] is None:
        sector_hint = suggest(mapping.sector, "sector", [c for c in raw.columns if c not in kpis])
    raw = raw.rename(columns={c: k for k, c in found.items() if c is not None and c != k})
    raw = raw.reset_index(drop=True)
    job = _Loader(raw, name, on_bad_rows)

    try:
        parsed = parse_times(raw[schema.TIMESTAMP], column=mapping.timestamp,
                             other_columns=list(raw.columns))
    except KpiInputError as exc:
        raise KpiInputError(f"{name}: {exc}") from None
    stamps, bad = parsed.utc, parsed.bad
    job.messages.extend(parsed.notes)
    job.drop_bad_rows(bad, schema.TIMESTAMP, "a readable timestamp", "rows_skipped_bad_timestamp")
    _fill_ids(job, found, stamps)
    if sector_hint is not None:
        job.messages.append(
            f"if {sector_hint!r} identifies sectors, "
            f"load with ColumnMapping(sector={sector_hint!r})"
        )
    _dedupe_and_sort(job)
    _clean_kpis(job, kpis)

    frame = job.frame.reset_index(drop=True)
    ordered = [*schema.ID_COLUMNS, *kpis]
    frame = frame[ordered + [c for c in frame.columns if c not in ordered]]
    job.report["rows_loaded"] = len(frame)
    job.messages.insert(
        0,
        f"{name}: loaded {len(frame):,} of {job.report['rows_read']:,} rows, "
        f"{frame[schema.SECTOR].nunique():,} sector(s), "
        f"{frame[schema.TIMESTAMP].nunique():,} timestamp(s); KPIs: {', '.join(kpis)}",
    )
    return LoadedTable(frame=frame, kpis=kpis, report=job.report, messages=job.messages)


def _fill_ids(job: _Loader, found: dict[str, str | None], stamps: pd.Series) -> None:
    """Timestamps, sector ids, province and coordinates in canonical form."""
    frame = job.frame
    frame[schema.TIMESTAMP] = stamps.loc[frame.index]
    if found[schema.SECTOR] is None:
        frame[schema.SECTOR] = schema.SINGLE_SERIES_ID
        job.messages.append(
            f"no sector column: the table is one series, sector_id={schema.SINGLE_SERIES_ID!r}"
        )
        job.report["rows_skipped_missing_sector"] = 0
    else:
        frame[schema.SECTOR] = sector_ids(frame[schema.SECTOR])
        job.frame = frame
        job.drop_bad_rows(
            frame[schema.SECTOR].isna().to_numpy(), schema.SECTOR, "a sector id",
            "rows_skipped_missing_sector",
        )
        frame = job.frame
    if found[schema.PROVINCE] is None:
        frame[schema.PROVINCE] = schema.UNKNOWN_PROVINCE
    else:
        frame[schema.PROVINCE] = frame[schema.PROVINCE].astype("str").fillna(
            schema.UNKNOWN_PROVINCE
        )
    invalid = 0
    for column, limit in ((schema.LAT, 90.0), (schema.LON, 180.0)):
        if found[column] is None:
            frame[column] = np.nan
            continue
        coords, _ = kpi_to_float(frame[column])
        out_of_range = ~(np.abs(coords) <= limit) & ~np.isnan(coords)
        invalid += int(out_of_range.sum())
        coords[out_of_range] = np.nan
        frame[column] = coords
    job.report["coords_invalid"] = invalid
    if invalid:
        job.messages.append(f"{invalid} latitude/longitude value(s) out of range set to NaN")
    if schema.FAULT in frame.columns:
        frame[schema.FAULT] = frame[schema.FAULT].astype("str").fillna("")
    job.frame = frame


def _clean_kpis(job: _Loader, kpis: list[str]) -> None:
    """KPIs as float64; text and ±inf become NaN (blank: no evidence when streamed), counted."""
    frame = job.frame
    counts = {"values_non_numeric": 0, "values_infinite": 0, "values_blank": 0,
              "values_to_clip": 0}
    for kpi in kpis:
        values, non_numeric = kpi_to_float(frame[kpi])
        if not np.isfinite(values).any():
            raise KpiInputError(
                f"{job.name}: KPI column {kpi!r} has no numeric value "
                f"(e.g. {examples(np.arange(min(3, len(frame))), frame[kpi])})"
            )
        infinite = np.isinf(values)
        values[infinite] = np.nan
        counts["values_non_numeric"] += non_numeric
        counts["values_infinite"] += int(infinite.sum())
        counts["values_blank"] += int(np.isnan(values).sum())
        if kpi in schema.PERCENT_KPIS:
            counts["values_to_clip"] += int(((values < 0) | (values > 100)).sum())
        elif kpi in schema.KPIS:
            counts["values_to_clip"] += int((values < 0).sum())
        if non_numeric:
            job.messages.append(f"KPI {kpi!r}: {non_numeric} non-numeric value(s) read as missing")
        frame[kpi] = values
    job.report.update(counts)
    if counts["values_blank"]:
        job.messages.append(
            f"{counts['values_blank']} missing or infinite KPI value(s) "
            "kept blank (no evidence for the detector)"
        )
    if counts["values_to_clip"]:
        job.messages.append(
            f"{counts['values_to_clip']} out-of-range KPI value(s) will be clipped when streamed"
        )
    job.frame = frame


def _dedupe_and_sort(job: _Loader) -> None:
    """Keep the last row per (timestamp, sector); stable-sort by timestamp.

    ``rows_reordered`` counts rows moved by the sort; a file sorted by sector then time
    is normal (no message), only rows going back in time within a sector are reported.
    """
    frame = job.frame
    dup = frame.duplicated([schema.TIMESTAMP, schema.SECTOR], keep="last").to_numpy()
    job.report["duplicates_dropped"] = int(dup.sum())
    if dup.any():
        frame = frame.loc[~dup]
        job.messages.append(
            f"dropped {int(dup.sum())} duplicate (timestamp, sector) row(s), kept the last"
        )
    if not frame[schema.TIMESTAMP].is_monotonic_increasing:
        stamps = frame[schema.TIMESTAMP].to_numpy(dtype="int64")
        running_max = np.maximum.accumulate(stamps)
        reordered = int((stamps[1:] < running_max[:-1]).sum())
        backwards = out_of_order_within_sector(stamps, frame[schema.SECTOR])
        frame = frame.iloc[np.argsort(stamps, kind="stable")]
        if backwards:
            job.messages.append(
                f"{backwards} row(s) were earlier than their sector's previous row; "
                "sorted by timestamp"
            )
    else:
        reordered = 0
    job.report["rows_reordered"] = reordered
    job.frame = frame
