"""Read a CSV/Parquet file as it is; a file that cannot be read is one line naming it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from telecom_nb.errors import KpiInputError

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")


def describe(src: str | Path | pd.DataFrame) -> str:
    """The name messages use for a source: its file name, or ``<DataFrame>``."""
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


def string_columns(raw: pd.DataFrame, name: str) -> pd.DataFrame:
    """Column names as strings; duplicated names are an error (which one is meant?)."""
    raw.columns = [str(c) for c in raw.columns]
    if raw.columns.duplicated().any():
        dup = sorted(set(raw.columns[raw.columns.duplicated()]))
        raise KpiInputError(f"{name}: duplicate column name(s): {', '.join(dup)}")
    return raw
