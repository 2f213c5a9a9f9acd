"""Day-first or month-first: ``03/04/2026`` decided from the column, never from a default.

Exports write ``dd/mm/yyyy`` and ``mm/dd/yyyy`` with the same separators, and pandas reads
month-first unless told: ten days of March read month-first spread over ten months. The
column's own values decide (a field above 12 says which is the day; else the reading whose
dates span less time), and a reading that could go either way is said in a note. Kept apart
from :mod:`.timeparse`, which decides a column's form and parses it.
"""

from __future__ import annotations

import pandas as pd

#: a ``dd/mm/yyyy``-like date at the start of a value (``/``, ``.`` or ``-`` between fields)
SLASH_DATE = r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\b"


def day_first(values: pd.Series) -> tuple[bool, list[str]]:
    """Day-first or month-first for ``dd/mm/yyyy``-like text, decided from the data: a
    first field above 12 (day-first), a second one (month-first), else the reading whose
    dates span less time (ten days of ``dd/mm`` read month-first span ten months); a tie
    (one date, ``04/04``) is read month-first and said."""
    distinct = pd.Series(pd.unique(values.dropna())).astype(str)
    fields = distinct.str.extract(SLASH_DATE).dropna()
    if fields.empty:
        return False, []
    first, second = fields[0].astype(int), fields[1].astype(int)
    if (first > 12).any() and not (second > 12).any():
        return True, ["dates read day-first (a first field above 12 was seen)"]
    if (second > 12).any() or (first > 12).any():
        return False, []
    example = distinct[fields.index[0]]
    year = fields[2].astype(int)
    year = year.where(year >= 100, year + 2000)
    day_span, month_span = (_span(year, month, day) for month, day in
                            ((second, first), (first, second)))
    if day_span < month_span:  # dd/mm read month-first jumps a month a day
        return True, [
            f"dates such as {example!r} read day-first: that reading spans "
            f"{_days(day_span)}, month-first {_days(month_span)} "
            "(set time_format, e.g. '%m/%d/%Y %H:%M', if they are month-first)"]
    if day_span > month_span:
        return False, [
            f"dates such as {example!r} read month-first: that reading spans "
            f"{_days(month_span)}, day-first {_days(day_span)} "
            "(set time_format, e.g. '%d/%m/%Y %H:%M', if they are day-first)"]
    return False, [
        f"dates such as {example!r} could be day-first or month-first; read month-first. "
        "Set time_format (e.g. '%d/%m/%Y %H:%M') if they are day-first"
    ]


def _span(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Timedelta:
    """Time between the first and last of these dates (invalid ones ignored)."""
    dates = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}),
                           errors="coerce").dropna()
    return dates.max() - dates.min() if len(dates) else pd.Timedelta(0)


def _days(span: pd.Timedelta) -> str:
    return f"{span.days + 1:,} day(s)"
