"""Read a CSV/Parquet file as it is; a file that cannot be read is one line naming it.

CSV exports from OSS tools set to a European locale separate fields with ``;`` and write
decimal commas (``97,5``); the separator is read off the header line, so such a file loads
like a comma-separated one instead of as one column named after the whole header.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

from telecom_nb.errors import KpiInputError

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
#: field separators recognised in a CSV header line; ``,`` wins ties and a one-column file
SEPARATORS = (",", ";", "\t", "|")


def csv_options(path: Path) -> dict[str, str]:
    """``read_csv`` options for this file: its separator, from the header line (and for a
    ``;`` file, decimal commas, which a ``.`` decimal still survives: such a column is read
    as text and converted like any other)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            header = fh.readline()
    except (OSError, EOFError):
        return {}  # the reader itself reports what is wrong with the file
    counts = [header.count(sep) for sep in SEPARATORS]
    sep = SEPARATORS[max(range(len(SEPARATORS)), key=lambda i: (counts[i], -i))]
    if sep == ",":
        return {}
    return {"sep": sep, "decimal": ","} if sep == ";" else {"sep": sep}


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
    # low_memory=False: a column typed once for the whole file, not per chunk (no
    # DtypeWarning on stderr when a counter has "12,345" only further down)
    options = {**csv_options(path), "low_memory": False} if reader is pd.read_csv else {}
    try:
        return reader(path, **options)
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
