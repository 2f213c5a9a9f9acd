"""Read a CSV/Parquet/Excel file as it is; a file that cannot be read is one line naming it.

CSV exports from OSS tools set to a European locale separate fields with ``;`` and write
decimal commas (``97,5``); the separator, the encoding and any title lines above the header
are read off the file's start (:mod:`textfile`), so such a file loads like a plain
comma-separated one instead of as one column named after the whole header.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from telecom_nb.errors import KpiInputError
from telecom_nb.heap_trim import release_arrow_pool
from telecom_nb.sources.textfile import LEGACY, FileNote, describe_layout, sniff
from telecom_nb.sources.values import null_tokens, ungrouped

#: a ``.zip`` holds one text export (read without unpacking it to disk)
CSV_SUFFIXES = (".csv", ".csv.gz", ".txt", ".tsv", ".txt.gz", ".tsv.gz", ".zip")
PARQUET_SUFFIXES = (".parquet", ".pq")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
#: every suffix an export may have (a folder of exports is read by these)
SUFFIXES = CSV_SUFFIXES + PARQUET_SUFFIXES + EXCEL_SUFFIXES
#: Parquet to pandas column by column, each Arrow column freed once converted and no
#: consolidating copy: the Arrow table and the frame were both whole at once (issue 12)
ARROW_TO_PANDAS = {"self_destruct": True, "split_blocks": True}


@dataclass
class RawFile:
    """One file's table as written, and what the report should say about reading it."""

    frame: pd.DataFrame
    notes: list[FileNote] = field(default_factory=list)
    encoding: str = "utf-8"
    skipped: int = 0  # lines (rows) above the header


def describe(src: str | Path | pd.DataFrame) -> str:
    """The name messages use for a source: its file name, or ``<DataFrame>``."""
    return "<DataFrame>" if isinstance(src, pd.DataFrame) else Path(src).name


def read_raw(src: str | Path | pd.DataFrame) -> pd.DataFrame:
    """The raw table; parser failures become one KpiInputError naming the file."""
    if isinstance(src, pd.DataFrame):
        return src.copy(deep=False)
    return read_file(Path(src)).frame


def read_file(path: Path, *, encoding: str | None = None, sheet: str | None = None,
              text_columns: tuple[str, ...] = (),
              text_like: Callable[[str], bool] | None = None) -> RawFile:
    """One export file as written (CSV/text in any common encoding and layout, Parquet,
    Excel); a file that cannot be read is one KpiInputError naming it. ``text_columns``
    (ids such as a cell column) of a text file are read as written: ``00123`` keeps its
    zeros, which a number would lose; so are the columns whose header ``text_like``
    accepts (an inventory's id column, found by name: the file is read once)."""
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        kind = "CSV"
    elif name.endswith(PARQUET_SUFFIXES):
        kind = "Parquet"
    elif name.endswith(EXCEL_SUFFIXES):
        kind = "Excel"
    else:
        ext = "".join(path.suffixes[-2:]) or "(none)"
        raise KpiInputError(
            f"{path.name}: unsupported file extension {ext!r}; use one of {', '.join(SUFFIXES)}"
        )
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        if kind == "Parquet":
            frame = pd.read_parquet(path, to_pandas_kwargs=ARROW_TO_PANDAS)
            release_arrow_pool()  # the Arrow buffers, freed into its pool as converted
            return RawFile(frame)
        if kind == "Excel":
            return read_excel(path, sheet)
        return _read_text(path, encoding, text_columns, text_like)
    except KpiInputError:
        raise  # already one line naming the file
    except pd.errors.EmptyDataError as exc:
        raise KpiInputError(f"{path.name}: the file is empty (no header, no rows)") from exc
    except UnicodeDecodeError as exc:
        raise KpiInputError(f"{path.name}: bytes at offset {exc.start:,} are not "
                            f"{exc.encoding}; set encoding = '...' (--encoding), e.g. "
                            "cp1252") from exc
    except (OSError, ValueError, TypeError, pd.errors.ParserError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise KpiInputError(f"{path.name}: cannot read as {kind}: {first_line}") from exc


def _read_text(path: Path, encoding: str | None, text_columns: tuple[str, ...] = (),
               text_like: Callable[[str], bool] | None = None) -> RawFile:
    """A CSV/text file: layout sniffed, then read once; a guess of UTF-8 that the rest of
    the file disproves is read again in the legacy code page (and said so)."""
    layout = sniff(path, encoding)
    if text_like is not None:  # the header line alone, to name the columns
        try:
            header = pd.read_csv(path, nrows=0, **layout.options()).columns
        except (UnicodeDecodeError, ValueError):
            header = pd.Index([])  # read below as the body is (ids compared by digits)
        text_columns = (*text_columns, *(str(c) for c in header if text_like(str(c))))
    if text_columns:  # (a name absent from the file is ignored by read_csv)
        layout = replace(layout, text_columns=tuple(text_columns))
    # low_memory=False: a column typed once for the whole file, not per chunk (no
    # DtypeWarning on stderr when a counter has "12,345" only further down)
    try:
        frame = pd.read_csv(path, low_memory=False, **layout.options())
    except UnicodeDecodeError:
        if encoding or layout.encoding != "utf-8":
            raise
        layout = replace(layout, encoding=LEGACY, guessed=True)
        try:
            frame = pd.read_csv(path, low_memory=False, **layout.options())
        except UnicodeDecodeError:
            layout = replace(layout, encoding="latin-1")
            frame = pd.read_csv(path, low_memory=False, **layout.options())
    notes = describe_layout(layout)
    names = header_continued(frame)
    if names is not None:  # read again without the second header line: typed as numbers
        options = {**layout.options(), "skiprows": [*range(layout.skip), layout.skip + 1]}
        frame = pd.read_csv(path, low_memory=False, **options)
        frame.columns = names
        notes.append(FileNote(f"header continued on line {layout.skip + 2} (units or "
                              f"merged group names) joined, e.g. {names[-1]!r}"))
    return RawFile(frame, notes, layout.encoding, layout.skip)


def header_continued(frame: pd.DataFrame) -> list[str] | None:
    """Column names when the first row is a second header line, else None: text only (no
    number, no vendor null) over columns that are numbers below it, blank elsewhere (the
    time and cell columns). A units line (``,,%,Mbps``: short words) is added to each name
    in brackets; a line of names (under merged group cells: ``Throughput,,`` over
    ``,DL,UL``) is joined to them. Read as data, it was a row without a time and its
    names were lost."""
    if len(frame) < 3:
        return None
    first = frame.iloc[0]
    text = first.astype("str").str.strip()
    filled = (first.notna() & (text != "")).to_numpy()
    if not filled.any() or filled.all():
        return None
    words = text[filled]
    if ungrouped(words).notna().any() or null_tokens(words).any():
        return None
    below = frame.iloc[1:51].loc[:, filled]
    if not all(ungrouped(below[c]).notna().mean() >= 0.9 for c in below.columns):
        return None
    header = [None if str(c).startswith("Unnamed: ") else str(c) for c in frame.columns]
    units = all(len(w) <= 10 and " " not in w for w in words)  # %, Erl, Mbps, kbit/s
    if any(h is None for h in header) or not units:
        return joined_header(pd.DataFrame([header, first.where(filled, None).tolist()]))
    return [f"{name} ({word})" if ok and word not in name else name
            for name, word, ok in zip(header, text, filled, strict=True)]


def read_excel(path: Path, sheet: str | None) -> RawFile:
    """The first sheet (or ``sheet``) of a workbook; title rows above the header skipped
    like a CSV's preamble (the header is the first row as wide as the body)."""
    try:
        import openpyxl  # noqa: F401  (pandas' xlsx reader)
    except ImportError:
        raise KpiInputError(f"{path.name}: reading .xlsx needs openpyxl (pip install "
                            "openpyxl), or save the sheet as CSV") from None
    try:
        grid = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, header=None,
                             engine="openpyxl")
    except ValueError as exc:
        if sheet is not None and "not found" in str(exc).lower():
            raise KpiInputError(f"{path.name}: no sheet named {sheet!r}") from None
        raise
    filled = grid.notna().sum(axis=1).to_numpy()
    if not len(filled):
        raise pd.errors.EmptyDataError("no rows")
    body = filled[len(filled) // 2:]
    width = int(pd.Series(body[body > 0]).mode().max()) if (body > 0).any() else 0
    header = int(next((i for i, n in enumerate(filled) if n == width), 0))
    top = _header_block(grid, filled, header)
    notes = []
    if top < header:  # a header over several rows (merged group cells above the names)
        frame = grid.iloc[header:].reset_index(drop=True)
        frame.columns = joined_header(grid.iloc[top:header])
        notes.append(FileNote(f"header read from rows {top + 1}-{header} joined (merged "
                              f"cells), e.g. {frame.columns[-1]!r}"))
        header = top
    else:
        frame = grid.iloc[header + 1:].reset_index(drop=True)
        frame.columns = [str(c) for c in grid.iloc[header]]
        names = header_continued(frame.rename(columns=lambda c: "Unnamed: " if c == "nan"
                                              else c))
        if names is not None:  # a units row (or names) under the header row
            frame = frame.iloc[1:].reset_index(drop=True)
            frame.columns = [c if c != "Unnamed: " else "nan" for c in names]
            notes.append(FileNote(f"header continued on row {header + 2} (units or group "
                                  f"names) joined, e.g. {names[-1]!r}"))
    frame = frame.loc[:, [c != "nan" for c in frame.columns]].infer_objects()
    if header:
        notes.append(FileNote(f"skipped {header} row(s) above the header (row {header + 1})"))
    return RawFile(frame, notes, skipped=header)


def _header_block(grid: pd.DataFrame, filled: np.ndarray, first_full: int) -> int:
    """The first row of a header spread over the rows above ``first_full`` (which is then
    data: it holds numbers or dates), or ``first_full`` when that row is the header. A
    workbook's merged group cells (``Throughput`` over ``DL``/``UL``) leave every header
    row narrower than the body, so the first row as wide was the first data row."""
    row = grid.iloc[first_full]
    if row.dropna().map(lambda v: isinstance(v, str)).all():
        return first_full
    top = first_full
    while top > 0 and filled[top - 1] >= 2:
        top -= 1
    named = grid.iloc[top:first_full].notna().any(axis=0) | grid.iloc[first_full:].isna().all()
    return top if top < first_full and bool(named.all()) else first_full


def joined_header(rows: pd.DataFrame) -> list[str]:
    """One name per column from header rows: a merged cell's value (kept by the sheet in
    its first cell only) carried right under names below it, the parts joined by a space
    (``Throughput`` + ``DL (Mbps)`` -> ``Throughput DL (Mbps)``)."""
    cells = rows.astype(object).where(rows.notna(), None)
    last = cells.iloc[-1]
    parts = []
    for index in range(len(cells)):
        line = cells.iloc[index]
        if index < len(cells) - 1:
            line = line.ffill().where(last.notna() | line.notna(), None)
        parts.append(line)
    names = []
    for column in cells.columns:
        words = [str(p[column]).strip() for p in parts if p[column] is not None]
        names.append(" ".join(dict.fromkeys(w for w in words if w)) or "nan")
    return names


def other_sheets(path: Path, columns: list[str], rows: int = 30) -> str:
    """``; sheet 'Data' has them: set sheet = 'Data' (--sheet)`` when a workbook's other
    sheet holds all ``columns`` in its first rows, else ``""`` (read on the error path
    only: a summary sheet first is common in report workbooks)."""
    if not path.name.lower().endswith(EXCEL_SUFFIXES):
        return ""
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, nrows=rows,
                               engine="openpyxl")
    except (ImportError, OSError, ValueError):
        return ""
    for index, (sheet, grid) in enumerate(sheets.items()):
        cells = {str(v).strip() for v in grid.to_numpy().ravel() if pd.notna(v)}
        if index and set(columns) <= cells:
            return f"; sheet {sheet!r} has them: set sheet = {sheet!r} (--sheet)"
    return ""


def string_columns(raw: pd.DataFrame, name: str) -> pd.DataFrame:
    """Column names as strings; duplicated names are an error (which one is meant?)."""
    raw.columns = [str(c) for c in raw.columns]
    if raw.columns.duplicated().any():
        dup = sorted(set(raw.columns[raw.columns.duplicated()]))
        raise KpiInputError(f"{name}: duplicate column name(s): {', '.join(dup)}")
    return raw
