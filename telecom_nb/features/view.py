"""A batch as numpy arrays: what every feature extractor reads (built once per batch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from telecom_nb.errors import KpiInputError
from telecom_nb.frame_columns import column_array, float64_array
from telecom_nb.schema import (
    FAULT,
    ID_COLUMNS,
    KPIS,
    LAT,
    LON,
    PROVINCE,
    SCORED_COLUMNS,
    SECTOR,
    SINGLE_SERIES_ID,
    TIMESTAMP,
    UNKNOWN_PROVINCE,
)
from telecom_nb.sector_index import arrow_key, same_arrow


@dataclass
class BatchView:
    """Rows of one batch (or of a whole table) as aligned numpy arrays."""

    sector_ids: np.ndarray  # object
    provinces: np.ndarray  # object
    timestamps: pd.DatetimeIndex
    raw: np.ndarray  # float64 rows x kpis, NaN where missing
    cache: dict[str, Any] = field(default_factory=dict)  # derived, state-free arrays
    #: the frame column's pyarrow array the ids came from (a registry knows it by identity)
    ids_key: Any = None
    #: the same for the provinces (the next tick's view reuses equal arrays)
    provinces_key: Any = None
    #: (rows x 2) latitude and longitude where the frame has them (None: it has none)
    coords: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.sector_ids)

    def ns(self) -> np.ndarray:
        """The rows' times as int64 ns (UTC), derived once per view: a tick's parts read
        it ~10 times, and pandas' ``as_unit`` costs ~15-30 us a call at any size."""
        key = ROWWISE + "ns"
        if key not in self.cache:
            stamps = self.timestamps  # as_unit's own answer when already ns, without it
            self.cache[key] = stamps.asi8 if stamps.unit == "ns" else stamps.as_unit("ns").asi8
        return self.cache[key]

    def slice(self, start: int, stop: int) -> BatchView:
        """Rows ``start:stop``; cached per-row arrays (keys ``ROWWISE...``) come along,
        so a replay derives them once for the whole table instead of once per batch."""
        cache = {
            key: _rows(value, start, stop)
            for key, value in self.cache.items()
            if key.startswith(ROWWISE)
        }
        return BatchView(
            self.sector_ids[start:stop],
            self.provinces[start:stop],
            self.timestamps[start:stop],
            self.raw[start:stop],
            cache,
            coords=None if self.coords is None else self.coords[start:stop],
        )


#: prefix of cache keys whose value is a per-row array (or a tuple of them) computed row
#: by row from the view alone: a slice of the whole table's value is the slice's value
ROWWISE = "rows:"


def _rows(value: Any, start: int, stop: int) -> Any:
    if isinstance(value, tuple):
        return tuple(v[start:stop] for v in value)
    return value[start:stop]


def infer_kpis(frame: pd.DataFrame) -> tuple[str, ...]:
    """The schema's KPIs if present, else every numeric column that is not an id or label."""
    present = tuple(k for k in KPIS if k in frame.columns)
    if present:
        return present
    skip = {*ID_COLUMNS, FAULT, *SCORED_COLUMNS}
    numeric = tuple(
        str(c)
        for c in frame.columns
        if c not in skip
        and pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
    )
    if not numeric:
        raise KpiInputError(
            f"no KPI column found: expected some of {', '.join(KPIS)} or any numeric column; "
            f"got columns {', '.join(map(str, frame.columns))}"
        )
    return numeric


def shared_labels(column: pd.Series) -> np.ndarray:
    """``column`` as an object array in which equal labels are one Python object: a
    province column repeats ~30 names over 100k rows, and a conversion per cell held
    100k strings (~6 MB at 100k sectors) where 30 do. Same values as ``to_numpy``."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    if len(codes) and codes.min() < 0:  # a missing label: converted as it is
        return column.to_numpy(dtype=object)
    return np.asarray(uniques, dtype=object)[codes]


def make_view(
    frame: pd.DataFrame, kpis: tuple[str, ...], previous: BatchView | None = None
) -> BatchView:
    """Validate ``frame`` and turn it into a :class:`BatchView`.

    ``previous`` (the last batch's view): its sector and province arrays are reused when
    this frame's columns hold the same strings (a live source's every tick), compared in
    Arrow, instead of converting 100k ids to Python strings again."""
    missing = [k for k in kpis if k not in frame.columns]
    if missing:
        raise KpiInputError(
            f"KPI column(s) {', '.join(missing)} missing; columns are "
            f"{', '.join(map(str, frame.columns))}"
        )
    if TIMESTAMP not in frame.columns:
        raise KpiInputError(f"column '{TIMESTAMP}' missing")
    n = len(frame)
    ids_key = provinces_key = None
    # the columns' arrays, not Series (pandas 3: ~40 us a Series; ~9 columns a tick)
    if SECTOR in frame.columns:
        ids_key = _arrow_of(frame, SECTOR)
        sectors = (
            previous.sector_ids
            if previous is not None and same_arrow(ids_key, previous.ids_key)
            else frame[SECTOR].to_numpy(dtype=object)
        )
    else:
        sectors = np.full(n, SINGLE_SERIES_ID, dtype=object)
    if PROVINCE in frame.columns:
        provinces_key = _arrow_of(frame, PROVINCE)
        provinces = (
            previous.provinces
            if previous is not None and same_arrow(provinces_key, previous.provinces_key)
            else shared_labels(frame[PROVINCE].fillna(UNKNOWN_PROVINCE))
        )
    else:
        provinces = np.full(n, UNKNOWN_PROVINCE, dtype=object)
    raw = np.empty((n, len(kpis)))
    try:  # column by column: a sub-frame of the KPIs costs ~5x more in pandas
        for j, kpi in enumerate(kpis):
            values = float64_array(frame, kpi)
            if values is not None:
                raw[:, j] = values  # as to_numpy below: NaN and inf are NaN after the where
            else:
                raw[:, j] = frame[kpi].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise KpiInputError(f"KPI columns {', '.join(kpis)} must be numeric: {exc}") from exc
    # inf as NaN in place: np.where's second rows x KPIs matrix was a 100k tick's fresh pages
    blank = np.isfinite(raw)
    np.copyto(raw, np.nan, where=np.logical_not(blank, out=blank))
    try:  # from the column's array: a Series goes through pandas' parser (~15 us more)
        stamps = column_array(frame, TIMESTAMP)
        if not isinstance(stamps, pd.arrays.DatetimeArray):  # what ``Series.array`` is then
            stamps = frame[TIMESTAMP].array
        timestamps = pd.DatetimeIndex(stamps, name=TIMESTAMP)
    except (TypeError, ValueError) as exc:
        raise KpiInputError(f"column '{TIMESTAMP}' must hold timestamps: {exc}") from exc
    if timestamps.hasnans:
        raise KpiInputError(f"column '{TIMESTAMP}' has missing values")
    return BatchView(
        sectors,
        provinces,
        timestamps,
        raw,
        ids_key=ids_key,
        provinces_key=provinces_key,
        coords=_coordinates(frame),
    )


def _coordinates(frame: pd.DataFrame) -> np.ndarray | None:
    """(rows x 2) the frame's latitude and longitude (NaN where not numbers), or None."""
    if LAT not in frame.columns or LON not in frame.columns:
        return None
    columns = []
    for c in (LAT, LON):
        values = float64_array(frame, c)
        if values is not None:
            columns.append(values)  # what ``to_numpy(np.float64, na_value=np.nan)`` gives
            continue
        column = frame[c]
        if column.dtype != np.float64:  # a float64 column is already what this reads
            column = pd.to_numeric(column, errors="coerce")
        columns.append(column.to_numpy(np.float64, na_value=np.nan))
    return np.column_stack(columns)


def _arrow_of(frame: pd.DataFrame, name: str) -> object:
    """``arrow_key(frame[name])`` from the column's array (no Series built)."""
    values = column_array(frame, name)
    return arrow_key(frame[name] if values is None else values)
