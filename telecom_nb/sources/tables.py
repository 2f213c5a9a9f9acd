"""Read a whole recorded KPI table (CSV or Parquet) into the project schema.

Recorded tables come from many tools, so the loader maps column names, parses any
reasonable timestamp, and repairs what can be repaired *while counting it*: the user
sees in ``LoadedTable.report``/``.messages`` exactly which rows were skipped and why.
Missing KPI values stay NaN here; the stream-time :mod:`~telecom_nb.sources.validation`
decides how to impute them, so a replay and a live stream are repaired the same way.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.errors import KpiInputError

OnBadRows = Literal["skip", "error"]

#: Columns that carry labels or scoring output: never auto-detected as KPIs.
LABEL_COLUMNS: frozenset[str] = frozenset(
    {schema.FAULT, "label", "imputed", *schema.SCORED_COLUMNS}
)
CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
_MAX_EXAMPLES = 5  # bad rows quoted in one message


@dataclass(frozen=True)
class ColumnMapping:
    """Which input column plays which schema role (``kpis=None``: auto-detect)."""

    timestamp: str = schema.TIMESTAMP
    sector: str = schema.SECTOR
    kpis: tuple[str, ...] | list[str] | None = None
    province: str = schema.PROVINCE
    lat: str = schema.LAT
    lon: str = schema.LON


@dataclass
class LoadedTable:
    """A table in the project schema, sorted by timestamp, plus what was repaired."""

    frame: pd.DataFrame
    kpis: list[str]
    report: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- timestamps


def _epoch_unit(values: np.ndarray) -> str:
    """Guess the epoch unit from the magnitude (seconds unless clearly finer)."""
    finite = np.abs(values[np.isfinite(values)])
    magnitude = float(np.median(finite)) if finite.size else 0.0
    for unit, limit in (("s", 1e11), ("ms", 1e14), ("us", 1e17)):
        if magnitude < limit:
            return unit
    return "ns"


def to_utc_timestamps(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse ``values`` to tz-aware UTC timestamps; also return the unparseable mask.

    Naive datetimes are taken as UTC, aware ones converted; numbers (or text that is
    numbers) are epoch times, unit guessed from their magnitude; other text is parsed
    with the format inferred from the first value, and the distinct values that do not
    fit it are retried one by one.
    """
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        out = values if str(dtype.tz) == "UTC" else values.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(dtype):
        out = values.dt.tz_localize("UTC")
    elif pd.api.types.is_bool_dtype(dtype):
        out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    elif pd.api.types.is_numeric_dtype(dtype) or _is_numeric_text(values):
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        out = pd.to_datetime(
            pd.Series(numbers, index=values.index),
            unit=_epoch_unit(numbers), utc=True, errors="coerce",
        )
    else:
        out = _parse_text_timestamps(values)
    return out, out.isna().to_numpy()


def _is_numeric_text(values: pd.Series) -> bool:
    """Text columns of epoch numbers (e.g. "1767607200"), judged on the first values."""
    head = values.dropna().iloc[:1000]
    if head.empty or pd.api.types.is_datetime64_any_dtype(head.infer_objects().dtype):
        return False
    try:
        return bool(pd.to_numeric(head, errors="coerce").notna().mean() >= 0.9)
    except (TypeError, ValueError):
        return False


_RETRY_PROBE = 1000  # distinct odd values tried before retrying them all


def _parse_text_timestamps(values: pd.Series) -> pd.Series:
    try:
        with warnings.catch_warnings():
            # "Could not infer format": expected for free-form files; failures are reported.
            warnings.simplefilter("ignore", UserWarning)
            out = pd.to_datetime(values, utc=True, errors="coerce")
    except (TypeError, ValueError, OverflowError):
        out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    failed = out.isna() & values.notna()
    if not failed.any():
        return out
    # Values in another format than the first one: retry each distinct value alone
    # (slow per value, so only when a probe of them shows that some do parse).
    odd = values[failed].astype(str)
    distinct = pd.unique(odd)
    probe = _parse_each(distinct[:_RETRY_PROBE])
    if not probe.notna().any():
        return out
    retried = probe if len(distinct) <= _RETRY_PROBE else _parse_each(distinct)
    ok = retried.notna().to_numpy()
    lookup = pd.Series(retried[ok].to_numpy(), index=distinct[ok])
    out = out.astype(retried.dtype) if out.dtype != retried.dtype else out.copy()
    out[failed] = odd.map(lookup)
    return out


def _parse_each(distinct: np.ndarray) -> pd.Series:
    try:
        return pd.to_datetime(pd.Series(distinct), utc=True, errors="coerce", format="mixed")
    except (TypeError, ValueError, OverflowError):
        return pd.Series(pd.NaT, index=range(len(distinct)), dtype="datetime64[us, UTC]")


def format_timestamp(ts: pd.Timestamp) -> str:
    """Short human form: minutes unless seconds matter."""
    if pd.isna(ts):
        return "NaT"
    fmt = "%Y-%m-%d %H:%M" if ts.second == 0 and ts.microsecond == 0 else "%Y-%m-%d %H:%M:%S"
    return ts.strftime(fmt)


# --------------------------------------------------------------------------- reading


def _describe(src: str | Path | pd.DataFrame) -> str:
    return "<DataFrame>" if isinstance(src, pd.DataFrame) else Path(src).name


def read_raw(src: str | Path | pd.DataFrame) -> pd.DataFrame:
    """The raw table; parser failures become one KpiInputError naming the file."""
    if isinstance(src, pd.DataFrame):
        return src.copy(deep=False)
    path = Path(src)
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        reader, kind = pd.read_csv, "CSV"
    elif name.endswith(PARQUET_SUFFIXES):
        reader, kind = pd.read_parquet, "Parquet"
    else:
        ext = "".join(path.suffixes[-2:]) or "(none)"
        raise KpiInputError(
            f"{path.name}: unsupported file extension {ext!r}; "
            f"use one of {', '.join(CSV_SUFFIXES + PARQUET_SUFFIXES)}"
        )
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        return reader(path)
    except pd.errors.EmptyDataError as exc:
        raise KpiInputError(f"{path.name}: the file is empty (no header, no rows)") from exc
    except UnicodeDecodeError as exc:
        raise KpiInputError(f"{path.name}: not a text {kind} file (bytes are not UTF-8)") from exc
    except (OSError, ValueError, TypeError, pd.errors.ParserError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise KpiInputError(f"{path.name}: cannot read as {kind}: {first_line}") from exc


# --------------------------------------------------------------------------- columns


#: Name fragments that usually mean a column plays this role (for suggestions).
_ROLE_HINTS: dict[str, tuple[str, ...]] = {
    "timestamp": ("time", "date", "ts", "when"),
    "sector": ("sector", "cell", "site", "enb", "node"),
}


def _suggest(column: str, role: str, columns: list[str]) -> str | None:
    close = difflib.get_close_matches(column, columns, n=1, cutoff=0.6)
    if close:
        return close[0]
    lowered = {c.lower(): c for c in columns}
    if column.lower() in lowered:
        return lowered[column.lower()]
    hinted = [c for c in columns if any(h in c.lower() for h in _ROLE_HINTS.get(role, ()))]
    return hinted[0] if len(hinted) == 1 else None


def missing_columns_message(missing: list[tuple[str, str]], columns: list[str]) -> str:
    """``column 'ts' not found (mapped as timestamp); columns are: a, b`` (+ suggestions)."""
    parts = [f"column {column!r} not found (mapped as {role})" for column, role in missing]
    message = "; ".join(parts) + f"; columns are: {', '.join(columns)}"
    for column, role in missing:
        if (close := _suggest(column, role, columns)) is not None:
            message += f"; did you mean {close!r} for {column!r}?"
    return message


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


def _numeric_share(values: pd.Series) -> float:
    """Share of the non-missing values that read as numbers (1.0 for numeric dtypes)."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return 0.0
    if pd.api.types.is_numeric_dtype(values.dtype):
        return 1.0
    if not (pd.api.types.is_string_dtype(values.dtype) or values.dtype == object):
        return 0.0
    sample = values.dropna().iloc[:10_000]
    if sample.empty:
        return 0.0
    return float(pd.to_numeric(sample, errors="coerce").notna().mean())


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
    excluded = used | set(schema.ID_COLUMNS) | LABEL_COLUMNS
    kpis = [
        str(c) for c in raw.columns
        if str(c) not in excluded and _numeric_share(raw[c]) >= 0.5
    ]
    if not kpis:
        raise KpiInputError(
            "no KPI column found: no numeric column besides id/time/position/label columns "
            f"(columns are: {', '.join(map(str, raw.columns))}); "
            "name them in ColumnMapping(kpis=...)"
        )
    return kpis


# --------------------------------------------------------------------------- row repairs


def _examples(rows: np.ndarray, values: pd.Series) -> str:
    shown = rows[:_MAX_EXAMPLES]
    parts = [f"row {int(i) + 1}: {values.iloc[int(i)]!r}" for i in shown]
    more = f" and {rows.size - shown.size} more" if rows.size > shown.size else ""
    return ", ".join(parts) + more


def _sector_ids(values: pd.Series) -> pd.Series:
    """Sector ids as strings; integral floats (ids with gaps read as float) lose the '.0'."""
    if pd.api.types.is_float_dtype(values.dtype):
        finite = values.dropna()
        if np.all(np.isfinite(finite)) and np.all(finite == np.round(finite)):
            values = values.astype("Int64")
    return values.astype("str")


def _kpi_to_float(values: pd.Series) -> tuple[np.ndarray, int]:
    """KPI values as float64 (NaN where not a number) and how many were non-numeric text."""
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=float, na_value=np.nan, copy=True), 0
    numbers = pd.to_numeric(values, errors="coerce")
    out = numbers.to_numpy(dtype=float, na_value=np.nan, copy=True)
    non_numeric = int((numbers.isna() & values.notna()).sum())
    return out, non_numeric


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
        detail = _examples(rows, self.frame[column])
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
    mapping: ColumnMapping | None = None,
    *,
    on_bad_rows: OnBadRows = "skip",
) -> LoadedTable:
    """Load a CSV/Parquet file or a DataFrame into the KPI schema, sorted by timestamp.

    Raises KpiInputError (naming the file, column, rows) when the table cannot be used.
    """
    if on_bad_rows not in ("skip", "error"):
        raise KpiInputError(f"on_bad_rows must be 'skip' or 'error'; got {on_bad_rows!r}")
    mapping = mapping or ColumnMapping()
    name = _describe(src)
    raw = read_raw(src)
    raw.columns = [str(c) for c in raw.columns]
    if raw.columns.duplicated().any():
        dup = sorted(set(raw.columns[raw.columns.duplicated()]))
        raise KpiInputError(f"{name}: duplicate column name(s): {', '.join(dup)}")
    try:
        found = _check_mapping(raw, mapping)
        if raw.empty:
            raise KpiInputError("the table has a header but no data rows")
        kpis = _choose_kpis(raw, mapping, {c for c in found.values() if c is not None})
    except KpiInputError as exc:
        raise KpiInputError(f"{name}: {exc}") from None

    sector_hint = None
    if found[schema.SECTOR] is None:
        sector_hint = _suggest(mapping.sector, "sector", [c for c in raw.columns if c not in kpis])
    raw = raw.rename(columns={c: k for k, c in found.items() if c is not None and c != k})
    raw = raw.reset_index(drop=True)
    job = _Loader(raw, name, on_bad_rows)

    stamps, bad = to_utc_timestamps(raw[schema.TIMESTAMP])
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
        frame[schema.SECTOR] = _sector_ids(frame[schema.SECTOR])
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
        coords, _ = _kpi_to_float(frame[column])
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
    """KPIs as float64; text and ±inf become NaN (imputed later at stream time), counted."""
    frame = job.frame
    counts = {"values_non_numeric": 0, "values_infinite": 0, "values_to_impute": 0,
              "values_to_clip": 0}
    for kpi in kpis:
        values, non_numeric = _kpi_to_float(frame[kpi])
        if not np.isfinite(values).any():
            raise KpiInputError(
                f"{job.name}: KPI column {kpi!r} has no numeric value "
                f"(e.g. {_examples(np.arange(min(3, len(frame))), frame[kpi])})"
            )
        infinite = np.isinf(values)
        values[infinite] = np.nan
        counts["values_non_numeric"] += non_numeric
        counts["values_infinite"] += int(infinite.sum())
        counts["values_to_impute"] += int(np.isnan(values).sum())
        if kpi in schema.PERCENT_KPIS:
            counts["values_to_clip"] += int(((values < 0) | (values > 100)).sum())
        elif kpi in schema.KPIS:
            counts["values_to_clip"] += int((values < 0).sum())
        if non_numeric:
            job.messages.append(f"KPI {kpi!r}: {non_numeric} non-numeric value(s) read as missing")
        frame[kpi] = values
    job.report.update(counts)
    if counts["values_to_impute"]:
        job.messages.append(
            f"{counts['values_to_impute']} missing or infinite KPI value(s) "
            "will be imputed when streamed"
        )
    if counts["values_to_clip"]:
        job.messages.append(
            f"{counts['values_to_clip']} out-of-range KPI value(s) will be clipped when streamed"
        )
    job.frame = frame


def _dedupe_and_sort(job: _Loader) -> None:
    """Keep the last row per (timestamp, sector); stable-sort by timestamp."""
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
        frame = frame.iloc[np.argsort(stamps, kind="stable")]
        job.messages.append(f"{reordered} row(s) were out of time order; sorted by timestamp")
    else:
        reordered = 0
    job.report["rows_reordered"] = reordered
    job.frame = frame
