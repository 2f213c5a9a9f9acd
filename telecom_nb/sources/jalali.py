"""Solar Hijri (Persian calendar) dates as Iranian report tools write them: ``1404/12/10``.

Read as Gregorian they are the year 1404, outside any export's span: every row was
unreadable and the error suggested a ``time_format``, which cannot help. A column whose
dates all lie in the Solar Hijri years 1300-1499 is converted (the 33-year arithmetic
rule, exact for 1178-1633 SH) before the usual parsing, and the report says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_DATE = r"^\s*(?P<y>1[34]\d\d)[/.\-](?P<m>\d{1,2})[/.\-](?P<d>\d{1,2})(?P<rest>(?:[ T].*)?)$"
#: one known day: 1404/12/10 SH is 2026-03-01
_ANCHOR = (1404, 12, 10, np.datetime64("2026-03-01"))


def _day_number(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """A count of days, consecutive across Solar Hijri dates (the arithmetic calendar)."""
    y = year + 1595
    return (365 * y + (y // 33) * 8 + ((y % 33) + 3) // 4 + day
            + np.where(month < 7, (month - 1) * 31, (month - 7) * 30 + 186))


def solar_hijri(values: pd.Series, share: float = 0.9) -> tuple[pd.Series, list[str]] | None:
    """``values`` (text) with Solar Hijri dates written as ISO Gregorian ones (the time of
    day kept), and a note; None unless ``share`` of the distinct values are such dates
    with a valid month and day."""
    distinct = pd.Series(pd.unique(values.dropna())).astype("str")
    if distinct.empty:
        return None
    parts = distinct.str.extract(_DATE)
    ok = parts["y"].notna()
    if ok.mean() < share:
        return None
    year, month, day = (pd.to_numeric(parts.loc[ok, k]).to_numpy(dtype=np.int64)
                        for k in ("y", "m", "d"))
    valid = (month >= 1) & (month <= 12) & (day >= 1) & (day <= np.where(month <= 6, 31, 30))
    if valid.mean() < share:
        return None
    anchor = _day_number(*(np.array([v]) for v in _ANCHOR[:3]))[0]
    gregorian = _ANCHOR[3] + (_day_number(year, month, day) - anchor).astype("timedelta64[D]")
    text = pd.Series(np.datetime_as_string(gregorian, unit="D"), index=parts.index[ok])
    text = (text + parts.loc[ok, "rest"].fillna("")).where(valid)
    lookup = pd.Series(text.to_numpy(), index=distinct[ok].to_numpy())
    example = distinct[ok].iloc[0]
    note = (f"dates read as Solar Hijri (Persian calendar): {example!r} is "
            f"{lookup.iloc[0]!r}")
    return values.astype("str").map(lookup).where(values.notna()), [note]
