"""Many export files read as one table: a glob, a folder or a list of paths.

OSS tools write one file per day or per hour. They are read in name order (``day_2``
before ``day_10``) and stacked, so a period exported twice is a duplicate under the loss
rule (the later file's row kept); a file whose header differs (a KPI added mid-export)
adds its columns, and the report says which files lack which column; a file that cannot
be read is one line naming it.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from telecom_nb.errors import KpiInputError
from telecom_nb.sources.reading import SUFFIXES, RawFile, read_file, string_columns
from telecom_nb.sources.textfile import FileNote

GLOB_CHARS = frozenset("*?[")
#: files listed one by one in the report; more are summed up
LISTED = 12


def _natural(path: Path) -> list[object]:
    """``day_2.csv`` before ``day_10.csv``: digit runs compare as numbers."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", str(path))]


def expand(paths: Path | tuple[Path, ...]) -> list[Path]:
    """Concrete files, in reading order: each glob's matches and each folder's exports in
    natural name order; a pattern or folder with nothing to read is an error naming it."""
    out: list[Path] = []
    for path in paths if isinstance(paths, tuple) else (paths,):
        text = str(path)
        if GLOB_CHARS & set(text) and not path.exists():
            found = [Path(m) for m in glob.glob(text, recursive=True) if Path(m).is_file()]
            if not found:
                raise KpiInputError(f"{text}: the pattern matches no file")
        elif path.is_dir():
            found = [f for f in path.iterdir()
                     if f.is_file() and f.name.lower().endswith(SUFFIXES)]
            if not found:
                raise KpiInputError(f"{path}: the folder holds no export file "
                                    f"({', '.join(SUFFIXES)})")
        else:
            found = [path]
        out.extend(sorted(found, key=_natural))
    return list(dict.fromkeys(out))


@dataclass
class RawSet:
    """The stacked table and, per file, its rows and columns (for the report)."""

    frame: pd.DataFrame
    files: list[Path]
    rows: list[int]
    columns: list[list[str]]
    notes: list[str] = field(default_factory=list)
    lines_above_header: int = 0

    @property
    def ends(self) -> np.ndarray:
        """Row index one past each file's last row."""
        return np.cumsum(self.rows, dtype=np.int64)

    def lacking(self, column: str) -> list[str]:
        """Names of the files without this column."""
        return [f.name for f, cols in zip(self.files, self.columns, strict=True)
                if column not in cols]

    def require(self, columns: dict[str, str]) -> None:
        """Each of ``columns`` (name -> role) in every file: a file without the time or
        cell column is another kind of export, not a file with a KPI missing."""
        for column, role in columns.items():
            lacking = self.lacking(column) if len(self.files) > 1 else []
            if lacking:
                raise KpiInputError(
                    f"{lacking[0]} has no column {column!r} (mapped as {role}), which the "
                    f"other files have ({len(lacking)} of {len(self.files)} files lack it): "
                    "another kind of export in the set?")

    def where(self, row: int) -> str:
        """``day2.csv row 7`` for a row of the stacked table (1-based data rows)."""
        index = int(np.searchsorted(self.ends, row, side="right"))
        start = 0 if index == 0 else int(self.ends[index - 1])
        return f"{self.files[index].name} row {row - start + 1}"


def read_files(files: list[Path], *, encoding: str | None = None,
               sheet: str | None = None, text_columns: tuple[str, ...] = ()) -> RawSet:
    """Read and stack ``files`` (columns: the union, in order of first appearance);
    ``text_columns`` are read as written (see :func:`read_file`)."""
    raws: list[RawFile] = []
    for path in files:
        raw = read_file(path, encoding=encoding, sheet=sheet, text_columns=text_columns)
        string_columns(raw.frame, path.name)
        raws.append(raw)
    notes = layout_notes(files, [raw.notes for raw in raws])
    frames = [raw.frame for raw in raws]
    columns = [list(frame.columns) for frame in frames]
    above = sum(raw.skipped for raw in raws)
    if len(frames) == 1:
        return RawSet(frames[0], files, [len(frames[0])], columns, notes, above)
    frame = pd.concat(frames, ignore_index=True, sort=False)
    rows = [len(f) for f in frames]
    del frames, raws
    shown = ", ".join(f"{p.name} {n:,}" for p, n in zip(files[:LISTED], rows, strict=False))
    more = f", ... ({len(files) - LISTED} more)" if len(files) > LISTED else ""
    notes.insert(0, f"{len(files)} files read in name order, rows per file: {shown}{more}")
    raw_set = RawSet(frame, files, rows, columns, notes, above)
    for column in frame.columns:
        lacking = raw_set.lacking(column)
        if lacking:
            names = ", ".join(lacking[:5]) + (f" and {len(lacking) - 5} more"
                                                if len(lacking) > 5 else "")
            n = sum(r for cols, r in zip(columns, rows, strict=True) if column not in cols)
            raw_set.notes.append(f"column {column!r} is missing from {len(lacking)} of "
                                 f"{len(files)} files ({names}): their {n:,} row(s) are "
                                 "blank there")
    return raw_set


def layout_notes(files: list[Path], per_file: list[list[FileNote]]) -> list[str]:
    """Each file's layout notes (encoding, title lines); beyond ``LISTED`` files, one line
    per kind of note with how many files it applies to: a month of hourly files in
    UTF-16 with five title lines each is two lines of the report, not 1,440."""
    if len(files) <= LISTED:
        return [note.line(path.name) for path, notes in zip(files, per_file, strict=True)
                for note in notes]
    groups: dict[str, list[str]] = {}
    for path, notes in zip(files, per_file, strict=True):
        for note in notes:
            groups.setdefault(note.what, []).append(path.name)
    out = []
    for key, names in groups.items():
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        out.append(f"{len(names)} of {len(files)} files: {key} ({shown})")
    return out


def describe_paths(paths: Path | tuple[Path, ...]) -> str:
    """The name messages use for a spec's path(s)."""
    if isinstance(paths, tuple):
        return paths[0].name + (f" + {len(paths) - 1} more" if len(paths) > 1 else "")
    return paths.name
