"""The monitor's table of known sectors: id, province, position (and azimuth).

It starts from the source's own list (the simulator and a replay know their fleet) and
grows with the sectors a batch shows for the first time, so the map and the episode
lists can name a sector's province without scanning history.
"""

from __future__ import annotations

import pandas as pd

from telecom_nb import schema
from telecom_nb.engine.scored import ScoredBatch
from telecom_nb.sources.sites import AZIMUTH

COLUMNS = (schema.SECTOR, schema.PROVINCE, schema.LAT, schema.LON)
OPTIONAL_COLUMNS = (AZIMUTH,)  # kept when the source has it: the map fans sites out by it


class SectorTable:
    """Known sectors, in order of first appearance; only ever grows."""

    def __init__(self, source: object = None) -> None:
        self.frame = self._initial(getattr(source, "sectors", None))
        self._lookup = pd.Series(dtype=object)  # sector_id -> province
        self._lookup_rows = -1  # len(frame) when the lookup was built

    @staticmethod
    def _initial(known: object) -> pd.DataFrame:
        if not isinstance(known, pd.DataFrame) or schema.SECTOR not in known.columns:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
        extra = [c for c in OPTIONAL_COLUMNS if c in known.columns]
        out = known.reindex(columns=[*COLUMNS, *extra]).copy()
        out[schema.SECTOR] = out[schema.SECTOR].astype(object)
        out[schema.PROVINCE] = out[schema.PROVINCE].fillna(schema.UNKNOWN_PROVINCE)
        return out.reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.frame)

    def replace(self, frame: pd.DataFrame) -> None:
        """Start from ``frame`` (a restored checkpoint's sectors)."""
        self.frame = frame.reset_index(drop=True)
        self._lookup_rows = -1

    def add(self, scored: ScoredBatch) -> None:
        """Append the sectors first seen in this batch (a sink of the monitor)."""
        fresh = scored.new_sectors
        if not len(fresh):
            return
        fresh = fresh[~fresh.isin(pd.Index(self.frame[schema.SECTOR]))]
        if not len(fresh):
            return
        frame = scored.frame
        rows = frame.loc[frame[schema.SECTOR].isin(fresh)]
        rows = rows.drop_duplicates(schema.SECTOR).reindex(columns=list(self.frame.columns))
        rows[schema.SECTOR] = rows[schema.SECTOR].astype(object)
        rows[schema.PROVINCE] = rows[schema.PROVINCE].fillna(schema.UNKNOWN_PROVINCE)
        parts = [self.frame, rows] if len(self.frame) else [rows]
        self.frame = pd.concat(parts, ignore_index=True)

    def with_provinces(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` (with a sector column) plus each sector's province, third column."""
        if self._lookup_rows != len(self.frame):  # rebuilt only when the table grew
            unique = self.frame.drop_duplicates(schema.SECTOR)
            self._lookup = unique.set_index(schema.SECTOR)[schema.PROVINCE]
            self._lookup_rows = len(self.frame)
        frame.insert(2, schema.PROVINCE, frame[schema.SECTOR].map(self._lookup).to_numpy())
        return frame
