"""Per-row validity flags of an export: ``Reliability`` (Huawei PRS: ``Reliable`` /
``Unreliable``), ``Integrity`` (``100%`` or less), ``Suspect``, ``Valid``.

An unreliable row's counters are incomplete (a board restarted mid-period, a collection
that timed out): its values are neither a fault nor the sector's normal. Such a row is
loaded (never dropped: the period happened), its KPI cells read as blank, which the
detector takes as no evidence and the baselines skip, and it is counted
(``rows_unreliable``); the flag column stays beside the KPIs so the row shows why. A flag
column is never a KPI (a 0/1 ``Suspect`` or a ``100%`` ``Integrity`` were scored as one).
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


@dataclass(frozen=True)
class RowFlags:
    """Which rows a validity flag marks unreliable, and by which column(s)."""

    unreliable: np.ndarray  # bool per row
    columns: list[str]

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
    column's values do not read as a flag (then it is left as it is)."""
    bad_sense = normalise(name) in BAD_SENSE
    text = values.astype("string").str.strip().str.lower().str.replace(" ", "", regex=False)
    present = text.notna() & (text != "")
    if not present.any():
        return None
    yes, no = text.isin(_YES), text.isin(_NO)
    read = yes | no
    if read[present].mean() >= MIN_READ:
        bad = yes if bad_sense else no
        return bad.fillna(False).to_numpy(dtype=bool)
    if bad_sense:
        return None
    # an integrity share: 100 (%) complete, less is incomplete
    share = pd.to_numeric(text.str.rstrip("%"), errors="coerce")
    in_range = share.between(0, 100)
    if in_range[present].mean() < MIN_READ:
        return None
    return (in_range & (share < 100)).fillna(False).to_numpy(dtype=bool)


def read_flags(raw: pd.DataFrame, exclude: set[str]) -> tuple[RowFlags, dict[str, str]]:
    """The export's validity flags (rows of ``raw``) and, per flag column, why it is not a
    KPI; a column named like a flag whose values are not one is left out of both."""
    unreliable = np.zeros(len(raw), dtype=bool)
    used: list[str] = []
    for column in flag_columns(list(raw.columns), exclude):
        bad = flag_reading(column, raw[column])
        if bad is None:
            continue
        unreliable |= bad
        used.append(column)
    why = {c: "per-row validity flag (unreliable rows: KPIs read blank)" for c in used}
    return RowFlags(unreliable, used), why
