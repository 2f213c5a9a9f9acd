"""A replay's table held with its repeated values as codes, expanded a piece at a time.

A fleet export repeats a few thousand sector ids, coordinates, a few provinces and fault
labels over millions of rows: as Arrow strings and float64 they were ~115 MiB of a 2M-row
decoded table (~60 %), held whole from the load to the write (issue 12). As pandas
Categoricals (int8/int16 codes into the distinct values) they take ~1/10 of that; each
replay piece and each written row group gets its values back (:func:`expand`), so the
detector, the alarms and the file see the very columns the loader made.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: a column is held as codes when at most this share of its values are distinct (below
#: it the codes and the distinct values are much smaller than the values themselves) ...
MAX_DISTINCT_SHARE = 0.25
#: ... judged first on this many leading rows: a column of mostly distinct values (a
#: KPI) costs no whole-column hash table
SAMPLE_ROWS = 20_000


def compact(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each string or float64 column of few distinct values as a
    Categorical of them, kept only where every value comes back bit for bit (a missing
    value stays missing; -0.0 and odd NaNs keep their column as is); the other columns
    shared, not copied."""
    columns = {}
    for name in frame.columns:
        column = frame[name]
        if not _plain(column.dtype) or not _few(column.iloc[:SAMPLE_ROWS]):
            continue
        codes = pd.Series(pd.Categorical(column), index=frame.index, name=name)
        if _few(codes) and _exact(codes, column):
            columns[name] = codes
    if not columns:
        return frame
    out = frame.copy(deep=False)
    for name, codes in columns.items():
        out[name] = codes
    return out


def expand(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every Categorical of strings or float64 back as the column it was
    made from (``frame`` itself when there is none)."""
    held = [name for name in frame.columns if _held(frame[name].dtype)]
    if not held:
        return frame
    out = frame.copy(deep=False)
    for name in held:
        out[name] = _values(frame[name])
    return out


def _values(codes: pd.Series) -> pd.Series:
    """Taken from the distinct values (code -1, missing, stays missing): pandas'
    ``astype`` made a Python string per row first (~60 MB per million rows)."""
    values = codes.cat.categories.array.take(codes.cat.codes.to_numpy(), allow_fill=True)
    return pd.Series(values, index=codes.index, name=codes.name)


def _few(values: pd.Series) -> bool:
    distinct = (
        len(values.cat.categories)
        if isinstance(values.dtype, pd.CategoricalDtype)
        else values.nunique(dropna=False)
    )
    return distinct <= MAX_DISTINCT_SHARE * len(values)


def _exact(codes: pd.Series, column: pd.Series) -> bool:
    back = _values(codes)
    if back.dtype != column.dtype:
        return False
    if isinstance(column.dtype, pd.StringDtype):
        return bool(back.equals(column))
    return bool(np.array_equal(back.to_numpy().view(np.int64), column.to_numpy().view(np.int64)))


def _plain(dtype: object) -> bool:
    """The loader's ``str`` columns (not objects) and float64 numbers."""
    return isinstance(dtype, pd.StringDtype) or dtype == np.float64


def _held(dtype: object) -> bool:
    return isinstance(dtype, pd.CategoricalDtype) and _plain(dtype.categories.dtype)
