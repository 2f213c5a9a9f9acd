"""Per-row validity flags of an export: ``Reliability`` (Huawei PRS: ``Reliable`` /
``Unreliable``), ``Integrity`` (``100%`` or less), ``Suspect``, ``Valid``.

An unreliable row's counters are incomplete (a board restarted mid-period, a collection
that timed out): its values are neither a fault nor the sector's normal. Such a row is
loaded (never dropped: the period happened), its KPI cells read as blank, which the
detector takes as no evidence and the baselines skip, and it is counted
(``rows_unreliable``); the flag column stays beside the KPIs so the row shows why. A flag
column is never a KPI (a 0/1 ``Suspect`` or a ``100%`` ``Integrity`` were scored as one).

The loader names the flag columns it has read in the frame's ``attrs`` (:data:`READ`):
the validator of a replay or a stream fed from that frame takes those rows as already
read, and reads only a flag column the frame does not list (a live batch's), so a
flagged row is blanked and counted once (each replay factorized the column again).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from telecom_nb.sources.columns import normalise

#: normalised names of flags that say the row is good (False/"Unreliable" = bad)
GOOD_SENSE = frozenset({"reliability", "reliable", "isreliable", "integrity",
                        "dataintegrity", "valid", "validity", "isvalid", "datavalid",
                        "validflag", "validityflag", "reliabilityflag", "datavalidity",
                        "datareliability"})
#: normalised names of flags that say the row is bad (True/"Suspect" = bad)
BAD_SENSE = frozenset({"suspect", "suspectflag", "issuspect", "suspectdata", "unreliable",
                       "isunreliable"})
_YES = frozenset({"reliable", "valid", "yes", "y", "true", "t", "1", "1.0", "ok",
                  "complete", "good"})
_NO = frozenset({"unreliable", "notreliable", "invalid", "notvalid", "no", "n", "false", "f",
                 "0", "0.0", "nok", "notok", "incomplete", "bad", "suspect"})
#: share of a flag column's non-blank values that must read as a flag (else not a flag)
MIN_READ = 0.95
#: ``DataFrame.attrs`` key: the flag-named columns whose rows were read (and blanked)
READ = "telecom_nb.flags_read"


@dataclass(frozen=True)
class RowFlags:
    """Which rows a validity flag marks unreliable, and by which column(s)."""

    unreliable: np.ndarray  # bool per row
    columns: list[str]

    considered: tuple[str, ...] = ()  # flag-named columns read, flags or not

    def mark_read(self, frame: pd.DataFrame) -> None:
        """Name the flag columns read in ``frame.attrs`` (:data:`READ`): a validator fed
        from ``frame`` does not read them again."""
        if self.considered:
            frame.attrs[READ] = self.considered

    def blank(self, frame: pd.DataFrame, kept: np.ndarray, kpis: list[str], name: str,
              messages: list[str]) -> int:
        """Blank the KPI cells of the unreliable rows among ``kept`` (``frame``'s rows, in
        place), say so in ``messages``; how many rows."""
        rows = np.flatnonzero(self.unreliable[kept])
        if rows.size:
            frame.iloc[rows, frame.columns.get_indexer(kpis)] = np.nan
            messages.append(
                f"{name}: {rows.size:,} row(s) flagged unreliable by "
                f"{', '.join(map(repr, self.columns))} (incomplete counters): loaded, their "
                "KPI values read as blank (no evidence, not learned)")
        return int(rows.size)


def flag_columns(columns: list[str], exclude: set[str]) -> list[str]:
    """Columns named as a per-row validity flag (not those in ``exclude``: named KPIs)."""
    return [c for c in columns if c not in exclude and normalise(c) in GOOD_SENSE | BAD_SENSE]


def flag_reading(name: str, values: pd.Series) -> np.ndarray | None:
    """Per row: True where the flag ``name`` marks the row unreliable; None when the
    column's values do not read as a flag (then it is left as it is).

    Read on the column's distinct values (a live tick of 100k rows holds two or three),
    each weighted by its rows for the share that must read as a flag."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    if not len(distinct):
        return None
    rows = np.bincount(codes[codes >= 0], minlength=len(distinct)).astype(float)
    bad = _distinct_reading(name, pd.Series(distinct, dtype=object), rows)
    if bad is None:
        return None
    return np.append(bad, False)[codes]  # a missing value (code -1) is not a flag


def _distinct_reading(name: str, values: pd.Series, rows: np.ndarray) -> np.ndarray | None:
    """:func:`flag_reading` on distinct values, ``rows`` of each."""
    bad_sense = normalise(name) in BAD_SENSE
    text = values.astype("string").str.strip().str.lower().str.replace(" ", "", regex=False)
    present = (text.notna() & (text != "")).to_numpy(dtype=bool)
    if not present.any():
        return None
    share = lambda mask: float(rows[present & mask].sum() / rows[present].sum())  # noqa: E731
    yes = text.isin(_YES).to_numpy(dtype=bool)
    no = text.isin(_NO).to_numpy(dtype=bool)
    if share(yes | no) >= MIN_READ:
        return yes if bad_sense else no
    if bad_sense:
        return None
    # an integrity share: 100 (%) complete, less is incomplete
    number = pd.to_numeric(text.str.rstrip("%"), errors="coerce")
    in_range = number.between(0, 100).fillna(False).to_numpy(dtype=bool)
    if share(in_range) < MIN_READ:
        return None
    return in_range & (number < 100).fillna(False).to_numpy(dtype=bool)


def unreliable_rows(frame: pd.DataFrame, kpis: list[str]) -> RowFlags | None:
    """A batch's rows its validity flags mark unreliable (the live stream's reading, the
    same as an export's at load); None when it has no flag column left to read (those
    the loader read, :data:`READ`, are not read again)."""
    exclude = set(kpis) | set(frame.attrs.get(READ, ()))
    if not flag_columns(list(frame.columns), exclude):
        return None
    flags, _ = read_flags(frame, exclude)
    return flags if flags.columns else None


def read_flags(raw: pd.DataFrame, exclude: set[str]) -> tuple[RowFlags, dict[str, str]]:
    """The export's validity flags (rows of ``raw``) and, per flag column, why it is not a
    KPI; a column named like a flag whose values are not one is left out of both."""
    unreliable = np.zeros(len(raw), dtype=bool)
    used: list[str] = []
    considered = flag_columns(list(raw.columns), exclude)
    for column in considered:
        bad = flag_reading(column, raw[column])
        if bad is None:
            continue
        unreliable |= bad
        used.append(column)
    why = {c: "per-row validity flag (unreliable rows: KPIs read blank)" for c in used}
    return RowFlags(unreliable, used, tuple(considered)), why


def blank_unreliable(frame: pd.DataFrame, kpis: list[str], values: np.ndarray) -> int:
    """Blank (NaN) the rows of ``values`` (``frame``'s KPI matrix) its flags mark
    unreliable, in place; how many rows."""
    flags = unreliable_rows(frame, kpis)
    if flags is None or not flags.unreliable.any():
        return 0
    values[flags.unreliable] = np.nan
    return int(flags.unreliable.sum())
