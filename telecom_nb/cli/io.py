"""What the CLI reads and writes: KPI tables, one JSON object on stdout, ``--out`` names.

Kept apart from the sub-commands so that they share one definition of an acceptable
output file (checked *before* any long computation) and of the JSON they print.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from telecom_nb.errors import KpiInputError

if TYPE_CHECKING:
    import pandas as pd

    from telecom_nb.sources.tables import ColumnMapping, LoadedTable, OnBadRows

TABLE_SUFFIXES = (".parquet", ".pq", ".csv")
#: rows per Parquet row group: pyarrow's default (``write_table`` cuts a table so), which
#: keeps a file written piece by piece byte-identical to one written whole
ROW_GROUP_ROWS = 1024 * 1024
#: what makes a part of a table the rows to write (see :func:`write_table`)
Decode = Callable[["pd.DataFrame"], "pd.DataFrame"]


def output_path(path: str) -> Path:
    """The ``--out`` path, or a KpiInputError if we could not write that format."""
    p = Path(path)
    if p.suffix.lower() not in TABLE_SUFFIXES and not p.name.endswith(".csv.gz"):
        raise KpiInputError(f"--out {path!r}: use a .parquet or .csv file name")
    return p


def read_table(path: str, mapping: ColumnMapping | None = None, *,
               on_bad_rows: OnBadRows = "skip") -> LoadedTable:
    """A CSV/Parquet KPI table in the project schema (errors name file, column, rows)."""
    from telecom_nb.sources.tables import load_table

    return load_table(path, mapping, on_bad_rows=on_bad_rows)


def write_table(frame: pd.DataFrame, path: str, decode: Decode | None = None) -> Path:
    """Write Parquet or CSV by the file's suffix, creating its folder; returns the path.
    ``decode`` makes each part of ``frame`` the rows to write (a Parquet row group, or the
    whole of a smaller table or a CSV): a table held compact written as its plain columns."""
    out = output_path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() in (".parquet", ".pq"):
        write_parquet(frame, out, decode)
    else:
        (frame if decode is None else decode(frame)).to_csv(out, index=False)
    return out


def write_parquet(frame: pd.DataFrame, out: Path, decode: Decode | None = None) -> None:
    """``frame.to_parquet(out, index=False)``, the same bytes, one row group converted to
    Arrow at a time: a whole-frame Arrow copy (~1.3x the scored table) was a replay's
    last peak (issue 12)."""
    part = (lambda rows: rows) if decode is None else decode
    if len(frame) <= ROW_GROUP_ROWS or frame.attrs:  # attrs: pandas' own metadata path
        part(frame).to_parquet(out, index=False)
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    first = pa.Table.from_pandas(part(frame.iloc[:ROW_GROUP_ROWS]), preserve_index=False)
    with pq.ParquetWriter(out, first.schema, compression="snappy") as writer:
        writer.write_table(first)
        del first
        for start in range(ROW_GROUP_ROWS, len(frame), ROW_GROUP_ROWS):
            piece = part(frame.iloc[start:start + ROW_GROUP_ROWS])
            writer.write_table(pa.Table.from_pandas(piece, schema=writer.schema,
                                                    preserve_index=False))


def emit_json(obj: object) -> None:
    """One JSON object on stdout (NaN is not JSON: callers pass None)."""
    json.dump(obj, sys.stdout, allow_nan=False)
    sys.stdout.write("\n")
