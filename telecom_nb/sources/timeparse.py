"""Read a time column of any common export form, without guessing wrongly in silence.

Exports write time as datetimes, text in many formats, epoch numbers, or compact integers
(``20181001000500``). Compact integers are recognised *before* any epoch guess (read as
epoch milliseconds they land in the year 2609); a column holding only times of day is an
error rather than rows dated today; epoch values outside 1970-2100 are unreadable rows,
never a pandas ``OutOfBoundsDatetime``. The result keeps which rows were wall-clock times
without a zone, so :func:`.local_time.localize` can place them in the network's time zone.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from telecom_nb.errors import KpiInputError
from telecom_nb.sources.day_first import SLASH_DATE, day_first
from telecom_nb.sources.jalali import solar_hijri
from telecom_nb.sources.time_forms import database_times, excel_serial, is_excel_serial

EPOCH_UNITS = ("s", "ms", "us", "ns")
#: Compact integer forms by digit count, tried before any epoch reading.
COMPACT_FORMATS: dict[int, str] = {14: "%Y%m%d%H%M%S", 12: "%Y%m%d%H%M", 8: "%Y%m%d"}
#: Epoch numbers must land in this window (a KPI export from 1900 or 2609 is a misreading).
EPOCH_WINDOW = (pd.Timestamp("1970-01-01", tz="UTC"), pd.Timestamp("2100-01-01", tz="UTC"))
#: Any parsed date must land here (wider: wall times of any zone, text dates).
DATE_WINDOW = (pd.Timestamp("1900-01-01", tz="UTC"), pd.Timestamp("2200-01-01", tz="UTC"))
_NS_PER = {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}
#: the dtype of every parsed instant
UTC_DTYPE = "datetime64[us, UTC]"
_TIME_OF_DAY = re.compile(r"^\s*\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([AaPp][Mm])?\s*$")
_HAS_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)\s*$"
#: a daylight-saving marker after a wall time (Huawei U2000/PRS exports)
_DST_MARK = r"(?i)\s+DST\s*$"
_PROBE = 1000  # distinct values examined when judging a column's form


@dataclass
class ParsedTimes:
    """Instants in UTC (naive inputs read as UTC wall times for now) and what they were."""

    utc: pd.Series
    bad: np.ndarray  # value missing or unreadable
    naive: np.ndarray  # wall-clock value without a zone: to be localised
    form: str  # how the column was read, for messages
    notes: list[str] = field(default_factory=list)


def _all_nat(index: pd.Index) -> pd.Series:
    return pd.Series(pd.NaT, index=index, dtype=UTC_DTYPE)


def time_of_day_error(column: str, others: list[str] | None = None) -> KpiInputError:
    """The one message for a column of times of day: say how to join it with the date."""
    dates = [c for c in others or [] if "date" in c.lower() or "day" in c.lower()]
    date = dates[0] if dates else "Date"
    return KpiInputError(
        f"column {column!r} holds only times of day: join it with the date column, "
        f'e.g. timestamp = ["{date}", "{column}"]'
    )


def _is_time_of_day(values: pd.Series) -> bool:
    head = values.dropna()
    if head.empty:
        return False
    first = head.iloc[0]
    if isinstance(first, dt.time) and not isinstance(first, dt.datetime):
        return True
    if pd.api.types.is_timedelta64_dtype(values.dtype):
        return True
    distinct = pd.Series(pd.unique(head.iloc[:20_000])[:_PROBE]).astype(str)
    return bool(distinct.str.match(_TIME_OF_DAY).mean() >= 0.9)


def parse_times(
    values: pd.Series,
    *,
    column: str = "timestamp",
    time_format: str | None = None,
    time_unit: str | None = None,
    other_columns: list[str] | None = None,
) -> ParsedTimes:
    """Read ``values`` as instants; raise KpiInputError only for a wrong *column*.

    Single unreadable values are marked ``bad`` (the caller counts them); the whole column
    is an error when it holds only times of day, or the format string itself is invalid.
    Dates outside 1900-2200 (``-1`` read as year -1, placeholders) are unreadable too.
    """
    parsed = _parse_times(values, column=column, time_format=time_format,
                          time_unit=time_unit, other_columns=other_columns)
    lo, hi = DATE_WINDOW
    outside = parsed.utc.notna() & ~parsed.utc.between(lo, hi, inclusive="left")
    if outside.any():
        parsed.utc = parsed.utc.where(~outside)
        parsed.bad = parsed.bad | outside.to_numpy()
        parsed.notes.append(f"{int(outside.sum()):,} time value(s) outside 1900-2200 "
                            "read as unreadable")
    return parsed


def _parse_times(
    values: pd.Series,
    *,
    column: str = "timestamp",
    time_format: str | None = None,
    time_unit: str | None = None,
    other_columns: list[str] | None = None,
) -> ParsedTimes:
    dtype = values.dtype
    index = values.index
    if isinstance(dtype, pd.DatetimeTZDtype):
        utc = values.dt.tz_convert("UTC")
        return ParsedTimes(utc, utc.isna().to_numpy(), np.zeros(len(values), bool), "datetime")
    if pd.api.types.is_datetime64_dtype(dtype):
        utc = values.dt.tz_localize("UTC")
        return ParsedTimes(utc, utc.isna().to_numpy(), np.ones(len(values), bool), "datetime")
    if pd.api.types.is_bool_dtype(dtype):
        out = _all_nat(index)
        return ParsedTimes(out, np.ones(len(values), bool), np.zeros(len(values), bool), "bool")
    if _is_time_of_day(values):
        raise time_of_day_error(column, other_columns)
    if time_unit is not None:
        if time_unit not in EPOCH_UNITS:
            raise KpiInputError(f"time_unit must be one of {', '.join(EPOCH_UNITS)}; "
                                f"got {time_unit!r}")
        return _epoch(_numbers(values), index, time_unit, f"epoch {time_unit}")
    numeric = pd.api.types.is_numeric_dtype(dtype) or _is_numeric_text(values)
    if time_format is not None:
        text = _digits_text(values) if numeric else values
        return _with_format(text, time_format, column)
    if numeric:
        numbers = _numbers(values)
        compact = _compact(numbers, index)
        if compact is not None:
            return compact
        if is_excel_serial(numbers):
            return _spreadsheet_days(numbers, index)
        unit = _epoch_unit(numbers)
        return _epoch(numbers, index, unit, f"epoch {unit} (guessed from the magnitude)")
    return _text(values)


# --------------------------------------------------------------------------- numbers


def _numbers(values: pd.Series) -> np.ndarray:
    """Float values (NaN where not a number); huge Python ints become inf-like floats."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=float, na_value=np.nan)
    try:
        numbers = pd.to_numeric(values, errors="coerce")
    except (TypeError, ValueError, OverflowError):
        numbers = pd.to_numeric(values.astype(str), errors="coerce")
    return numbers.to_numpy(dtype=float, na_value=np.nan)


def _is_numeric_text(values: pd.Series) -> bool:
    """Text columns of numbers (e.g. "1767607200"), judged on the first values."""
    head = values.dropna().iloc[:_PROBE]
    if head.empty or pd.api.types.is_datetime64_any_dtype(head.infer_objects().dtype):
        return False
    return bool(np.isfinite(_numbers(head)).mean() >= 0.9)


def _digits_text(values: pd.Series) -> pd.Series:
    """Integral numbers as digit strings (``20181001000500.0`` -> ``"20181001000500"``)."""
    numbers = _numbers(values)
    whole = np.isfinite(numbers) & (numbers == np.round(numbers)) & (np.abs(numbers) < 1e18)
    text = pd.Series(np.nan, index=values.index, dtype=object)
    text[whole] = numbers[whole].astype(np.int64).astype(str)
    return text


def _compact(numbers: np.ndarray, index: pd.Index) -> ParsedTimes | None:
    """``YYYYMMDD[HHMM[SS]]`` integers, when most values have one such length and parse."""
    ok = np.isfinite(numbers) & (numbers > 0) & (numbers < 1e15) & (numbers == np.round(numbers))
    if not ok.any():
        return None
    digits = np.zeros(len(numbers), dtype=int)
    digits[ok] = np.floor(np.log10(numbers[ok])).astype(int) + 1
    lengths, counts = np.unique(digits[ok], return_counts=True)
    length = int(lengths[np.argmax(counts)])
    if length not in COMPACT_FORMATS:
        return None
    fmt = COMPACT_FORMATS[length]
    candidates = ok & (digits == length)
    text = pd.Series(np.nan, index=index, dtype=object)
    text[candidates] = numbers[candidates].astype(np.int64).astype(str)
    parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    if parsed.notna().sum() < 0.9 * np.isfinite(numbers).sum():
        return None  # not compact after all (e.g. epoch seconds of 8 digits with odd months)
    utc = parsed.dt.tz_localize("UTC").astype(UTC_DTYPE)
    bad = utc.isna().to_numpy()
    return ParsedTimes(utc, bad, ~bad, f"compact {fmt}")


def _spreadsheet_days(numbers: np.ndarray, index: pd.Index) -> ParsedTimes:
    """Day numbers as wall times (a spreadsheet has no zone)."""
    wall, ok = excel_serial(numbers, index)
    utc = wall.dt.tz_localize("UTC").astype(UTC_DTYPE)
    return ParsedTimes(utc, ~ok, ok, "spreadsheet day numbers (days since 1899-12-30)",
                       ["times read as spreadsheet day numbers (days since 1899-12-30), "
                        "e.g. 46082.5 = 2026-03-01 12:00"])


def _epoch_unit(numbers: np.ndarray) -> str:
    """Guess the epoch unit from the magnitude (seconds unless clearly finer)."""
    finite = np.abs(numbers[np.isfinite(numbers)])
    magnitude = float(np.median(finite)) if finite.size else 0.0
    for unit, limit in (("s", 1e11), ("ms", 1e14), ("us", 1e17)):
        if magnitude < limit:
            return unit
    return "ns"


def _epoch(numbers: np.ndarray, index: pd.Index, unit: str, form: str) -> ParsedTimes:
    """Epoch numbers (UTC by definition); values outside 1970-2100 are unreadable rows."""
    lo, hi = (t.value / _NS_PER[unit] for t in EPOCH_WINDOW)
    inside = np.isfinite(numbers) & (numbers >= lo) & (numbers < hi)
    ns = np.zeros(len(numbers), dtype=np.int64)
    ns[inside] = np.round(numbers[inside] * _NS_PER[unit]).astype(np.int64)
    stamps = pd.to_datetime(ns, unit="ns", utc=True)
    utc = pd.Series(stamps, index=index).where(inside).astype(UTC_DTYPE)
    notes = []
    outside = int((np.isfinite(numbers) & ~inside).sum())
    if outside:
        notes.append(f"{outside:,} value(s) read as {form} fall outside 1970-2100")
    return ParsedTimes(utc, ~inside, np.zeros(len(numbers), bool), form, notes)


# --------------------------------------------------------------------------- text


def _with_format(values: pd.Series, time_format: str, column: str) -> ParsedTimes:
    values = values.astype("str")  # a format reads text (numbers would be taken as epochs)
    try:
        parsed = pd.to_datetime(values, format=time_format, errors="coerce")
    except (ValueError, TypeError) as exc:
        raise KpiInputError(
            f"time_format {time_format!r} cannot be used for {column!r}: {exc}"
        ) from None
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        utc = parsed.dt.tz_convert("UTC").astype(UTC_DTYPE)
        naive = np.zeros(len(values), bool)
    else:
        utc = parsed.dt.tz_localize("UTC").astype(UTC_DTYPE)
        naive = np.ones(len(values), bool)
    return ParsedTimes(utc, utc.isna().to_numpy(), naive, f"format {time_format}")


def _text(values: pd.Series) -> ParsedTimes:
    values = values.astype("str")  # mixed objects: numbers among text are text here
    marked = _contains(values, _DST_MARK)
    dst_note = []
    if marked.any():  # Huawei's "2026-06-01 10:00:00 DST": a wall time in summer time
        values = values.str.replace(_DST_MARK, "", regex=True)
        dst_note = [f"{int(marked.sum()):,} time(s) marked 'DST' (summer time) read as the "
                    "network's wall clock"]
    values = database_times(values)
    hijri = solar_hijri(values)
    if hijri is not None:  # "1404/12/10 10:00": Iranian tools' calendar
        values, dst_note = hijri[0], dst_note + hijri[1]
    dayfirst, notes = day_first(values)
    notes = dst_note + notes
    utc = _parse_day_first(values) if dayfirst else _parse_text(values)
    naive = ~_contains(values, _HAS_OFFSET)
    form = "text (day-first)" if dayfirst else "text"
    return ParsedTimes(utc, utc.isna().to_numpy(), naive, form, notes)


def _contains(values: pd.Series, pattern: str) -> np.ndarray:
    """``values.str.contains(pattern)`` read once per distinct value: an export repeats
    each time for every cell (a 1M-row export of 3,118 cells: 0.9 -> 0.05 s)."""
    codes, distinct = pd.factorize(values)
    found = pd.Series(distinct, dtype=object).str.contains(pattern, regex=True, na=False)
    return np.append(found.to_numpy(dtype=bool), False)[codes]


def _parse_text(values: pd.Series, dayfirst: bool = False) -> pd.Series:
    """Format inferred from the first value; the distinct odd values are retried alone."""
    try:
        with warnings.catch_warnings():
            # "Could not infer format": expected for free-form files; failures are reported.
            warnings.simplefilter("ignore", UserWarning)
            out = pd.to_datetime(values, utc=True, errors="coerce", dayfirst=dayfirst)
    except (TypeError, ValueError, OverflowError):
        out = _all_nat(values.index)
    failed = out.isna() & values.notna()
    if not failed.any():
        return out
    odd = values[failed].astype(str)
    distinct = pd.unique(odd)
    probe = _parse_each(distinct[:_PROBE], dayfirst)
    if not probe.notna().any():
        return out
    retried = probe if len(distinct) <= _PROBE else _parse_each(distinct, dayfirst)
    ok = retried.notna().to_numpy()
    lookup = pd.Series(retried[ok].to_numpy(), index=distinct[ok])
    out = out.astype(retried.dtype) if out.dtype != retried.dtype else out.copy()
    out[failed] = odd.map(lookup)
    return out


def _parse_day_first(values: pd.Series) -> pd.Series:
    """``dd/mm/yyyy`` values day-first and the others (ISO ``2026-03-01``) as written:
    pandas' ``dayfirst`` reads ISO dates year-day-month, so two files stacked, one ISO and
    one ``03.03.2026``, put the ISO file's March 1-3 on January 3, February 3, March 3."""
    codes, distinct = pd.factorize(values)  # the pattern read once per distinct value
    slashed = np.append(pd.Series(distinct).str.match(SLASH_DATE).to_numpy(dtype=bool),
                        False)[codes]
    if slashed.all():
        return _parse_text(values, dayfirst=True)
    out = _all_nat(values.index)
    for part, dayfirst in ((slashed, True), (~slashed, False)):
        if part.any():
            out[part] = _parse_text(values[part], dayfirst=dayfirst).astype(UTC_DTYPE)
    return out


def _parse_each(distinct: np.ndarray, dayfirst: bool = False) -> pd.Series:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return pd.to_datetime(pd.Series(distinct), utc=True, errors="coerce",
                                  format="mixed", dayfirst=dayfirst)
    except (TypeError, ValueError, OverflowError):
        return pd.Series(pd.NaT, index=range(len(distinct)), dtype=UTC_DTYPE)


# --------------------------------------------------------------------------- zones


def format_timestamp(ts: pd.Timestamp) -> str:
    """Short human form: minutes unless seconds matter."""
    if pd.isna(ts):
        return "NaT"
    fmt = "%Y-%m-%d %H:%M" if ts.second == 0 and ts.microsecond == 0 else "%Y-%m-%d %H:%M:%S"
    return ts.strftime(fmt)


def to_utc_timestamps(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse ``values`` to tz-aware UTC (naive times taken as UTC); also the unreadable mask.

    The stream validator's reading of a batch's time column; a column of times of day
    raises KpiInputError.
    """
    parsed = parse_times(values)
    return parsed.utc, parsed.bad
