"""Decide each input row's fate (kept, or dropped for one reason) and explain big losses.

A large loss is nearly always one mistake in the recipe, not bad data: the date lives in
another column, the sector column is wrong, the times are in another zone. The error says
which, from the shape of what was dropped, so the user fixes the spec instead of
trusting a tenth of their export.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from telecom_nb.errors import KpiInputError
from telecom_nb.sources.values import examples

#: Reason codes per row; 0 = kept.
REASONS = {"bad_time": 1, "dst_gap": 2, "missing_sector": 3, "duplicate": 4}
_WHAT = {
    "bad_time": "no readable time in {time}",
    "dst_gap": "a wall-clock time in {time} that the zone skips (clocks moved forward)",
    "missing_sector": "no sector id in {sector}",
    "duplicate": "the same (timestamp, sector) as a later row, which is kept",
}


@dataclass
class RowFate:
    """Per-row reason code and what is needed to explain it."""

    reason: np.ndarray  # int8, 0 = kept
    stamps: pd.Series  # UTC instants (NaT where unreadable)
    sectors: pd.Series
    wall: pd.Series  # the times as written (wall clock, as if UTC)
    dst_ambiguous: int
    time_values: pd.Series
    time_label: str
    time_form: str
    sector_column: str | None
    sector_hint: str | None

    @classmethod
    def decide(cls, *, stamps: pd.Series, wall: pd.Series, sectors: pd.Series,
               bad_time: np.ndarray, dst_gap: np.ndarray, dst_ambiguous: int,
               time_values: pd.Series, time_label: str, time_form: str,
               sector_column: str | None, sector_hint: str | None) -> RowFate:
        reason = np.zeros(len(stamps), dtype=np.int8)
        reason[sectors.isna().to_numpy()] = REASONS["missing_sector"]
        reason[dst_gap] = REASONS["dst_gap"]
        reason[bad_time] = REASONS["bad_time"]
        candidate = reason == 0
        keys = pd.DataFrame({"t": stamps[candidate], "s": sectors[candidate]})
        dup = keys.duplicated(keep="last").to_numpy()
        reason[np.flatnonzero(candidate)[dup]] = REASONS["duplicate"]
        return cls(reason, stamps, sectors, wall, dst_ambiguous, time_values, time_label,
                   time_form, sector_column, sector_hint)

    @property
    def kept(self) -> np.ndarray:
        return self.reason == 0

    def count(self, reason: str) -> int:
        return int((self.reason == REASONS[reason]).sum())

    def dropped_share(self) -> float:
        return float((self.reason != 0).mean()) if len(self.reason) else 0.0

    def what(self, reason: str) -> str:
        sector = repr(self.sector_column) if self.sector_column else "the sector column"
        return _WHAT[reason].format(time=self.time_label, sector=sector)

    def rows(self, reason: str) -> np.ndarray:
        return np.flatnonzero(self.reason == REASONS[reason])

    def example(self, reason: str) -> str:
        rows = self.rows(reason)
        source = self.sectors if reason == "missing_sector" else self.time_values
        return examples(rows, source, limit=3)

    def notes(self) -> list[str]:
        """One message per reason that dropped rows (the loss was allowed)."""
        out = []
        for reason in REASONS:
            n = self.count(reason)
            if n:
                out.append(f"dropped {n:,} row(s), {self.what(reason)}: {self.example(reason)}")
        return out


def loss_error(fate: RowFate, name: str, allow_drops: bool) -> KpiInputError:
    """One line: how many rows would go, for which main reason, and the likely fix."""
    total = len(fate.reason)
    counts = {reason: fate.count(reason) for reason in REASONS}
    main = max(counts, key=lambda r: counts[r])
    n = counts[main]
    if n == total:
        head = f"{name}: no row can be loaded: all {total:,} rows have {fate.what(main)}"
        tail = ""
    else:
        head = (f"{name}: {n:,} of {total:,} rows ({n / total:.1%}) would be dropped, "
                f"{fate.what(main)}")
        tail = "" if allow_drops else "; set allow_drops = true to load the rest anyway"
    return KpiInputError(f"{head} ({fate.example(main)}): {_cause(fate, main)}{tail}")


def _cause(fate: RowFate, reason: str) -> str:
    if reason == "bad_time":
        if fate.time_form.startswith("epoch"):
            return (f"the numbers were read as {fate.time_form} and fall outside 1970-2100; "
                    "set time_unit (s | ms) or time_format (e.g. '%Y%m%d%H%M%S')")
        return "set time_format to the export's form, e.g. time_format = '%d/%m/%Y %H:%M'"
    if reason == "dst_gap":
        return "are the times in another zone (or already UTC)? check timezone"
    if reason == "missing_sector":
        return "is the sector column right? set sector = '<cell name column>'"
    kept = fate.reason != REASONS["bad_time"]
    n_rows = int(kept.sum())
    n_stamps = int(fate.stamps[kept].nunique())
    if fate.sector_column is None:
        hint = f" e.g. sector = {fate.sector_hint!r}" if fate.sector_hint else ""
        return (f"{n_rows:,} rows but only {n_stamps:,} distinct timestamps and no sector "
                f"column: which column names the cell?{hint}")
    wall = fate.wall[kept].dropna()
    if len(wall) and (wall.dt.normalize() == wall).all():
        return (f"every time in {fate.time_label} is midnight: is the time of day in another "
                'column? e.g. timestamp = ["Date", "Time"]')
    n_sectors = int(fate.sectors[kept].nunique())
    return (f"{n_rows:,} rows but only {n_stamps:,} distinct timestamps for {n_sectors:,} "
            f"sector(s): is the date in another column, or is {fate.sector_column!r} not one "
            "id per cell?")
