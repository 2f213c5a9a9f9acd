"""An export's time column(s) as one text per row: ``Date`` + ``Time`` (or ``Hour``)
joined, so one parser reads every layout a report tool writes."""

from __future__ import annotations

import pandas as pd


def time_text(raw: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """One time column as is, or several joined by a space (missing if any part is)."""
    if len(columns) == 1:
        return raw[columns[0]]
    parts = []
    for column in columns:
        values = raw[column]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            text = values.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(values.dtype) or pd.api.types.is_integer_dtype(
            values.dtype
        ):
            text = values.astype("Int64", errors="ignore").astype("str")
            if len(columns) == 2 and parts and values.dropna().between(0, 23).all():
                # Date + an hour column: "7" is 07:00 (a lone "7" was unreadable); with a
                # minute column too (DATE, HOUR, MIN) the parser reads the numbers as they are
                text = text.str.zfill(2) + ":00"
        else:
            text = values.astype("str").str.strip()
        parts.append(text)
    joined = parts[0].str.cat(parts[1:], sep=" ")
    return joined.where(pd.concat(parts, axis=1).notna().all(axis=1))
