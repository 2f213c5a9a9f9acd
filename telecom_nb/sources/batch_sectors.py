"""A batch's sector ids: strings, rows without one dropped, a sector twice kept once.

The validator's rule 4 (``sources/validation.py``), apart because it is the part of a batch
read as Arrow strings: a live source's ids arrive as pandas' Arrow-backed ``str`` without
nulls and pass through without a copy; other batches are converted and cleaned.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from telecom_nb import schema
from telecom_nb.errors import KpiInputError


def sector_column(frame: pd.DataFrame, report: dict[str, int]) -> tuple[pd.DataFrame, pd.Series]:
    """Sector ids as strings; rows without one dropped (a batch of none is rejected)."""
    if schema.SECTOR not in frame.columns:
        frame[schema.SECTOR] = schema.SINGLE_SERIES_ID
    column = frame[schema.SECTOR]
    ids = column.array
    if isinstance(ids, pd.arrays.ArrowStringArray) and column.dtype == "str" and (
            ids.__arrow_array__().null_count == 0):  # a live source's ids: nothing to drop
        index = column.index
        if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
            return frame, column
        return frame, column.reset_index(drop=True)
    if column.dtype != "str":
        column = column.astype("str")
        frame[schema.SECTOR] = column
    missing = column.isna().to_numpy()
    if missing.any():
        if missing.all():
            raise KpiInputError("batch has no sector id in 'sector_id' on any row",
                                reason="no sector id")
        report["dropped_rows"] = int(missing.sum())
        frame = frame.loc[~missing]
        column = frame[schema.SECTOR]
    return frame, column.reset_index(drop=True)


def arrow_ids(sectors: pd.Series) -> pa.Array:
    """Sector ids as one Arrow large_string array (zero-copy for pandas' arrow strings)."""
    ids = pa.array(sectors, type=pa.large_string(), from_pandas=True)
    return ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids


def drop_duplicates(
    frame: pd.DataFrame, sectors: pd.Series, codes: np.ndarray, report: dict[str, int]
) -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    """Keep the last row of a sector that appears twice (cheap check on codes first)."""
    known = codes[codes >= 0]
    has_dup = bool(known.size) and int(np.bincount(known).max()) > 1
    if not has_dup and (codes < 0).any():
        new_ids = arrow_ids(sectors).filter(pa.array(codes < 0))
        has_dup = len(pc.unique(new_ids)) < len(new_ids)
    if not has_dup:
        return frame, sectors, codes
    keep = ~sectors.duplicated(keep="last").to_numpy()
    report["duplicates"] = int((~keep).sum())
    return frame.iloc[keep], sectors[keep].reset_index(drop=True), codes[keep]
