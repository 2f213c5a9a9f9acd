"""Time forms a spreadsheet or a database writes that pandas does not read as meant.

Kept apart from :mod:`.timeparse` (which decides a column's form) as one concept: a CSV
saved from a spreadsheet with General-format time cells holds day numbers (``46082.5``),
which read as epoch seconds were every row on one afternoon of 1970-01-01; an export pulled
by a database query holds its default text (Oracle ``01-MAR-26 12.15.00.000000 AM``, SAS
``01MAR2026:00:15:00``), which pandas cannot read at all.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_PROBE = 1000  # distinct values examined when judging a column's form
#: Spreadsheet serial days (Excel, LibreOffice: day 0 is 1899-12-30) taken as times when
#: every value is in this range (1955-01-01 .. 2173-03-10)
EXCEL_SERIALS = (20_090.0, 100_000.0)
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def is_excel_serial(numbers: np.ndarray) -> bool:
    """Spreadsheet day numbers (``46082.5`` is 2026-03-01 12:00): a column whose values all
    lie in 1955-2173 as days since 1899-12-30. Read as epoch seconds they are all one
    afternoon of 1970-01-01, which no KPI export is, so the two readings never compete."""
    finite = numbers[np.isfinite(numbers)]
    return bool(finite.size) and bool(((finite >= EXCEL_SERIALS[0])
                                       & (finite < EXCEL_SERIALS[1])).all())


def excel_serial(numbers: np.ndarray, index: pd.Index) -> tuple[pd.Series, np.ndarray]:
    """Day numbers as naive wall times (a spreadsheet has no zone), to the second (a
    serial written with 6 decimals is 0.09 s off its minute), and which were numbers."""
    ok = np.isfinite(numbers)
    seconds = np.zeros(len(numbers), dtype=np.int64)
    seconds[ok] = np.round(numbers[ok] * 86_400).astype(np.int64)
    stamps = EXCEL_EPOCH + pd.to_timedelta(seconds, unit="s")
    return pd.Series(stamps, index=index).where(ok), ok


#: database default forms pandas cannot read: Oracle's ``01-MAR-26 12.15.00.000000 AM``
#: (a dotted time, fractions) and SAS's ``01MAR2026:00:15:00`` (a colon after the date)
_DATABASE = re.compile(r"^\s*(\d{1,2}-?[A-Za-z]{3}-?\d{2,4})[ :](\d{1,2})[.:](\d{2})[.:](\d{2})"
                       r"(?:[.,]\d+)?(\s*[AaPp][Mm])?\s*$")


def database_times(values: pd.Series) -> pd.Series:
    """Database default time forms rewritten with colons (read once per distinct value),
    when most distinct values of the column are such; others unchanged."""
    distinct = pd.Series(pd.unique(values.dropna())).astype("str")
    probe = distinct.iloc[:_PROBE]
    if probe.empty or probe.str.match(_DATABASE).mean() < 0.9:
        return values
    fixed = distinct.str.replace(_DATABASE, r"\1 \2:\3:\4\5", regex=True)
    return values.map(pd.Series(fixed.to_numpy(), index=distinct.to_numpy()))
