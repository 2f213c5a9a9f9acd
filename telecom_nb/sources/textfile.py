"""How a text export is laid out: its encoding, separator and the lines before its header.

Exports do not arrive as clean UTF-8 CSV: Excel's "Unicode text" is UTF-16 with tabs, a
Windows OSS client writes cp1252 (``Zürich_1`` as one byte ``\\xfc``), a BOM precedes the
header, and vendor report tools (PRS/U2000, ENIQ, NetAct) put ``Report Name: ...`` and
``Start Time: ...`` lines and a blank line above it. All of it is read off the file's first
64 KiB, so a big export is not read twice: the header is the first line whose field count
matches the body's, and the encoding comes from a BOM or from a strict UTF-8 decode.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from telecom_nb.errors import KpiInputError

SAMPLE_BYTES = 1 << 16
SAMPLE_LINES = 200
#: field separators recognised; ``,`` wins ties
SEPARATORS = (",", ";", "\t", "|")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
#: what a non-UTF-8 file without a BOM is read as first (then latin-1, which reads any byte)
LEGACY = "cp1252"
_SHOWN = {"utf-16": "UTF-16 (BOM)", "utf-16-le": "UTF-16 LE"}


class FileNote(NamedTuple):
    """What the report says about reading one file: ``what`` is the same for every file
    read that way (many files are summed up by it), ``detail`` that file's own example."""

    what: str
    detail: str = ""

    def line(self, name: str) -> str:
        return f"{name}: {self.what}{self.detail}"


@dataclass(frozen=True)
class TextLayout:
    """``read_csv`` options for one file and what a person should be told about them."""

    encoding: str
    sep: str = ","
    skip: int = 0  # physical lines before the header
    preamble: tuple[str, ...] = ()  # their non-blank text, for the report
    guessed: bool = False  # encoding chosen because strict UTF-8 failed
    other_script: str = ""  # a word of the sample that reads as another script's letters
    text_columns: tuple[str, ...] = ()  # read as written (ids with leading zeros)

    def options(self) -> dict[str, object]:
        # index_col=False: rows that end with a separator are not shifted under the header
        out: dict[str, object] = {"encoding": self.encoding, "index_col": False}
        if self.sep != ",":
            out["sep"] = self.sep
        if self.sep == ";":
            out["decimal"] = ","  # a `;` export is a decimal-comma locale
        if self.skip:
            out["skiprows"] = self.skip
        if self.text_columns:
            out["dtype"] = dict.fromkeys(self.text_columns, "str")
        return out


def check_encoding(name: str) -> str:
    """The codec's name, or one line saying the name is not one."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise KpiInputError(f"encoding {name!r} is not a known codec name "
                            "(e.g. 'utf-8', 'cp1252', 'latin-1', 'utf-16')") from None


def head_bytes(path: Path, size: int = SAMPLE_BYTES) -> bytes:
    """The first ``size`` bytes (decompressed for ``.gz``, of the one file a ``.zip``
    holds); b"" if the file cannot be read (the reader then reports what is wrong)."""
    try:
        if path.name.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                members = zip_members(archive, path.name)
                with archive.open(members[0]) as fh:
                    return fh.read(size)
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rb") as fh:
            return fh.read(size)
    except (OSError, EOFError, zipfile.BadZipFile):
        return b""


def zip_members(archive: zipfile.ZipFile, name: str) -> list[str]:
    """The files a zip holds (folders left out); one, or an error naming them: an OSS
    zips one export per file, and which of several is meant is the user's to say."""
    members = [m.filename for m in archive.infolist() if not m.is_dir()]
    if len(members) != 1:
        shown = ", ".join(members[:5]) + (" ..." if len(members) > 5 else "")
        raise KpiInputError(f"{name}: a zip must hold one export file; it holds "
                            f"{len(members)} ({shown}): unzip it and name the files or "
                            "their folder as the path")
    return members


def detect_encoding(head: bytes, forced: str | None = None) -> tuple[str, bool]:
    """(encoding, guessed): a forced name, a BOM's, UTF-8 if the sample decodes strictly
    (a multi-byte character cut at the sample's end is fine), else the legacy code page."""
    if forced:
        return check_encoding(forced), False
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, False
    if len(head) > 3 and head[1::2].count(0) > len(head) // 4:  # UTF-16 LE without BOM
        return "utf-16-le", False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return (LEGACY if _decodes(head, LEGACY) else "latin-1"), True
    return "utf-8", False


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def sample_lines(head: bytes, encoding: str, truncated: bool) -> list[str]:
    """The sample's lines as text (the last one dropped when the sample cut it)."""
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    lines = text.splitlines()
    if truncated and len(lines) > 1:
        lines = lines[:-1]
    return lines[:SAMPLE_LINES]


def _fields(lines: list[str], sep: str) -> list[list[str]]:
    """Each line's fields (quotes respected); [] for a blank line."""
    return [next(csv.reader([line], delimiter=sep)) if line.strip() else [] for line in lines]


def _header_index(rows: list[list[str]]) -> tuple[int, int] | None:
    """(header index, body width) for one separator, or None (fewer than two fields).

    The body's width is the commonest field count in the sample's second half. The header
    is the first line as wide whose fields are at least half filled: a spreadsheet pads
    title lines to the table's width (``Report Name: X,,,,``), and a last column may be
    blank in every row. Rows that all end with a separator are one field wider than
    their header.
    """
    widths = [len(r) for r in rows]
    body = [w for w in widths[len(widths) // 2:] if w] or [w for w in widths if w]
    if not body:
        return None
    width = Counter(body).most_common(1)[0][0]
    if width < 2:
        return None
    full = [r for r in rows[len(rows) // 2:] if len(r) == width] or [[]]
    trailing = sum(1 for r in full if r and not r[-1].strip()) >= 0.9 * len(full)
    accepted = {width, width - 1} if trailing else {width}
    for index, row in enumerate(rows):
        filled = sum(1 for f in row if f.strip())
        if len(row) in accepted and filled >= max(2, (width + 1) // 2):
            return index, width
    return 0, width


def find_header(lines: list[str]) -> tuple[str, int]:
    """(separator, index of the header line).

    The separator whose header comes first wins (then the wider body, then ``,``): a
    ``;`` export with decimal commas has its header at line 0 only for ``;``. No
    separator giving two or more fields: a one-column file, read as it is.
    """
    best: tuple[int, int, int] | None = None
    chosen = (",", 0)
    for order, sep in enumerate(SEPARATORS):
        found = _header_index(_fields(lines, sep))
        if found is None:
            continue
        key = (found[0], -found[1], order)
        if best is None or key < best:
            best, chosen = key, (sep, found[0])
    return chosen


def sniff(path: Path, encoding: str | None = None) -> TextLayout:
    """The layout of a CSV/text export (see the module doc)."""
    head = head_bytes(path)
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) \
            and not (len(head) > 3 and head[1::2].count(0) > len(head) // 4) and not encoding:
        raise KpiInputError(f"{path.name}: not a text file (NUL bytes; is it a spreadsheet "
                            "or a compressed file with the wrong extension?)")
    enc, guessed = detect_encoding(head, encoding)
    lines = sample_lines(head, enc, truncated=len(head) == SAMPLE_BYTES)
    sep, header = find_header(lines)
    preamble = tuple(line.strip() for line in lines[:header] if line.strip())
    return TextLayout(encoding=enc, sep=sep, skip=header, preamble=preamble, guessed=guessed,
                      other_script=other_script(head) if guessed else "")


#: a field holding a run of 3+ bytes above ASCII: a word of a non-Latin single-byte code
#: page (Western European text has one accented letter between ASCII ones: ``Zürich``)
_FIELD = re.compile(rb"[^,;\t\r\n\"]*[\x80-\xff]{3,}[^,;\t\r\n\"]*")
_HIGH = re.compile(rb"[\x80-\xff]+")
#: Windows code pages of other scripts, as ``--encoding`` names them
OTHER_PAGES = ("cp1256", "cp1251", "cp1253", "cp1255")


def other_script(head: bytes) -> str:
    """``'ÊåÑÇä_1' reads 'تهران_1' in cp1256, 'Тегран_1' in cp1251 ...`` when most bytes
    above ASCII come in runs (words of Arabic, Persian, Cyrillic, Greek or Hebrew letters
    in a code page the bytes cannot tell apart), else ``""``: the reader is shown the
    choices instead of names garbled in silence."""
    high = sum(len(run) for run in _HIGH.findall(head))
    found = _FIELD.findall(head)
    in_runs = sum(len(run) for field in found for run in _HIGH.findall(field)
                  if len(run) >= 3)
    if not found or in_runs < 0.6 * high:
        return ""
    word = found[0].strip()[:40]
    readings = ", ".join(f"{word.decode(page, 'replace')!r} in {page}" for page in OTHER_PAGES)
    return f"{word.decode(LEGACY, 'replace')!r} reads {readings}"


def describe_layout(layout: TextLayout) -> list[FileNote]:
    """What the report says about a file read other than as plain UTF-8 from line 1."""
    notes = []
    if layout.other_script:
        notes.append(FileNote(f"not UTF-8; read as {layout.encoding}, but its words are "
                              f"not Western European: {layout.other_script}; set encoding "
                              "= '...' (--encoding) to the one that reads right"))
    elif layout.encoding not in ("utf-8", "utf-8-sig"):  # plain UTF-8 needs no word
        how = ("not UTF-8; read as " + layout.encoding + " (set encoding = '...' / "
               "--encoding if names look wrong, e.g. cp1256, cp1251)") if layout.guessed \
            else f"read as {_SHOWN.get(layout.encoding, layout.encoding)}"
        notes.append(FileNote(how))
    if layout.skip:
        shown = ", ".join(repr(line[:60]) for line in layout.preamble[:3])
        more = f" and {len(layout.preamble) - 3} more" if len(layout.preamble) > 3 else ""
        notes.append(FileNote(f"skipped {layout.skip} line(s) above the header (line "
                              f"{layout.skip + 1})", f": {shown}{more}" if shown else ""))
    return notes
