"""An export's time column(s) as one text per row: ``Date`` + ``Time`` (or ``Hour``)
joined, so one parser reads every layout a report tool writes.

A number beside a date is read by its range, never left to the text parser (which took
``"2026-11-01 15"`` as 15:00 and ``"2026-11-01 100"`` as nothing, misplacing rows):
0-23 is the hour; 1-24 with a 24 is the *hour ending* (hour 1 is 00:00-01:00; the row is
stamped at its period's start, as every other export row is); integers up to 2359 whose
last two digits are minutes are ``HHMM`` (``0``, ``15``, ``100``, ``2345``). Anything else
is refused in one line naming the column and ``time_format``.

A file whose hours never reach 24 (a partial day, a short export) cannot show which
convention it follows: ``hour_ending = true|false`` (the source's key) settles it, and the
automatic reading is said in the load report either way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb.errors import KpiInputError

#: a date beside a column of these forms; the note ``--check`` shows for each
HOUR_ENDING_NOTE = ("{column!r} read as the hour ending (1-24): hour 1 is 00:00-01:00, "
                    "each row stamped at its period's start (hour - 1)")
HOUR_STARTING_NOTE = "{column!r} read as the hour starting (0-23): hour 1 is 01:00-02:00"
#: said when the automatic reading had no 0 and no 24 to go by
UNSURE_NOTE = ("; no hour 0 or 24 in the file: if its hours run 1-24 (hour ending), set "
               "hour_ending = true (--hour-ending)")


def time_text(raw: pd.DataFrame, columns: tuple[str, ...],
              hour_ending: bool | None = None) -> pd.Series:
    """One time column as is, or several joined by a space (missing if any part is)."""
    return joined_times(raw, columns, hour_ending=hour_ending)[0]


def joined_times(
    raw: pd.DataFrame, columns: tuple[str, ...], strict: bool = True,
    hour_ending: bool | None = None,
) -> tuple[pd.Series, list[str]]:
    """:func:`time_text` and the notes on how a numeric time-of-day column was read.

    ``strict``: numbers of no known form beside a date are an error (False when the user
    gave a time_format: the digits are then joined as they are, for that format).
    ``hour_ending``: an hour number beside a date is 1-24 (True) or 0-23 (False); None
    reads it by its range."""
    if len(columns) == 1:
        if hour_ending is not None:
            raise _no_hour_column(columns)
        return raw[columns[0]], []
    parts: list[pd.Series] = []
    notes: list[str] = []
    for column in columns:
        values = raw[column]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            text = values.dt.strftime("%Y-%m-%d")
        elif len(columns) == 2 and parts and (numbers := _numbers_of_day(values)) is not None:
            # Date + one number: hours or HHMM; with a minute column too (DATE, HOUR, MIN)
            # the parser reads the numbers as they are
            text = _clock_text(numbers, column, notes, hour_ending)
            if text is None and strict:
                raise _refuse(numbers, column)
            if text is None:
                text = numbers.astype("Int64").astype("str")
        elif pd.api.types.is_numeric_dtype(values.dtype):
            text = values.astype("Int64", errors="ignore").astype("str")
        else:
            text = values.astype("str").str.strip()
        parts.append(text)
    if hour_ending is not None and not notes:
        raise _no_hour_column(columns)
    joined = parts[0].str.cat(parts[1:], sep=" ")
    return joined.where(pd.concat(parts, axis=1).notna().all(axis=1)), notes


def _numbers_of_day(values: pd.Series) -> pd.Series | None:
    """The column as floats when it holds only plain numbers (``7``, ``0015``), else None."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return None
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype(float)
    text = values.dropna().astype("str").str.strip()
    if text.empty or not text.str.fullmatch(r"\d{1,4}(\.0+)?").all():
        return None
    return pd.to_numeric(values.astype("str").str.strip(), errors="coerce")


def _clock_text(numbers: pd.Series, column: str, notes: list[str],
                hour_ending: bool | None = None) -> pd.Series | None:
    """``HH:MM`` text for hours 0-23, hours ending 1-24 or ``HHMM`` integers; else None.
    ``hour_ending`` True/False: the hours' convention as given (a value outside it is
    refused naming the column), None: read by the range."""
    seen = numbers.dropna().to_numpy()
    if not (np.all(seen == np.round(seen)) and np.all(seen >= 0)):
        return None
    top = float(seen.max()) if seen.size else 0.0
    low = float(seen.min()) if seen.size else 0.0
    if hour_ending is True and not (low >= 1 and top <= 24):
        raise _off_convention(seen[(seen < 1) | (seen > 24)][0], column, "1-24", "true")
    if hour_ending is False and top == 24 and low >= 1:
        raise _off_convention(24.0, column, "0-23", "false")
    if top <= 23 and hour_ending is not True:
        hours, minutes = numbers, numbers * 0
        unsure = hour_ending is None and low >= 1
        notes.append(HOUR_STARTING_NOTE.format(column=column) + (UNSURE_NOTE if unsure else ""))
    elif top <= 24 and low >= 1 and hour_ending is not False:
        hours, minutes = numbers - 1, numbers * 0
        notes.append(HOUR_ENDING_NOTE.format(column=column))
    elif 24 < top <= 2359 and np.all(seen % 100 < 60):
        hours, minutes = numbers // 100, numbers % 100
        notes.append(f"{column!r} read as HHMM integers (e.g. 15 = 00:15, 1345 = 13:45)")
    else:
        return None
    hh = hours.astype("Int64").astype("str").str.zfill(2)
    mm = minutes.astype("Int64").astype("str").str.zfill(2)
    return (hh + ":" + mm).where(numbers.notna())


def _refuse(numbers: pd.Series, column: str) -> KpiInputError:
    seen = numbers.dropna().to_numpy()
    odd = seen[(seen != np.round(seen)) | (seen < 0) | (seen > 2359) | (seen % 100 >= 60)]
    shown = f"{(odd if odd.size else seen)[0]:g}"
    return KpiInputError(
        f"column {column!r} holds numbers that are neither hours (0-23, or 1-24 hour ending) "
        f"nor HHMM times (e.g. {shown}): write it as HH:MM text, or set time_format for the "
        "joined text (e.g. '%Y-%m-%d %H%M%S')")


def _off_convention(value: float, column: str, span: str, given: str) -> KpiInputError:
    return KpiInputError(
        f"column {column!r} holds {value:g}, not an hour {span} as hour_ending = {given} "
        "(--hour-ending/--hour-starting) says: correct the setting, or leave it out to read "
        "the hours by their range")


def _no_hour_column(columns: tuple[str, ...]) -> KpiInputError:
    return KpiInputError(
        f"hour_ending applies to an hour number beside a date (timestamp = ['Date', "
        f"'Hour']); timestamp {list(columns)} has none: leave hour_ending out")
