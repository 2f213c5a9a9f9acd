"""A whole time-sorted table through :class:`BatchValidator`'s rules in one vectorised pass.

A replay cuts its table into one batch per timestamp and validates each batch in turn.
On a single series that is one tiny batch per row, and the validator's fixed cost per
call (timestamp parsing, pandas copies) made it the largest cost of a replay. Here the
same rules run once over the table: the same values (blanks kept blank, out-of-range
values clipped), the same rejections and
counters by reason, the same kept rows for duplicates, and the validator's state left as
the loop would leave it (``tests/test_table_validation.py`` compares both).

Only tables whose time column is already a datetime column take this path (a replay's
batches are runs of equal instants then, so a batch never mixes times); anything else
runs the per-batch loop, which is the definition.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from telecom_nb import schema
from telecom_nb.batching import run_bounds
from telecom_nb.errors import KpiInputError
from telecom_nb.sources.row_flags import blank_unreliable
from telecom_nb.sources.timeparse import DATE_WINDOW

if TYPE_CHECKING:
    from telecom_nb.sources.validation import BatchValidator


@dataclass
class TableValidation:
    """What validating every batch of a table gave: accepted rows and the totals."""

    frame: pd.DataFrame | None  # accepted rows, batch after batch (as the loop concatenates)
    batches: int = 0  # batches accepted
    report: dict[str, int] = field(default_factory=dict)  # validator counters, summed
    rejected: Counter = field(default_factory=Counter)  # reason -> batches rejected
    rows_rejected: int = 0  # rows of the rejected batches
    sizes: np.ndarray | None = None  # rows kept per accepted batch


def validate_table(validator: BatchValidator, table: pd.DataFrame,
                   bounds: np.ndarray | None = None) -> TableValidation:
    """Validate ``table`` (sorted by time) batch by batch, one batch per run of equal times
    (or rows ``bounds[i]:bounds[i + 1]`` when given: the caller's cut)."""
    if not _fast_path_applies(validator, table):
        return _loop(validator, table, bounds)
    numbers = _numbers(validator, table)
    if numbers is None:  # a KPI column holds things that are neither numbers nor text
        return _loop(validator, table, bounds)
    blank_unreliable(table, validator.kpis, numbers[0])
    return _vectorised(validator, table, *numbers)


def _fast_path_applies(validator: BatchValidator, table: pd.DataFrame) -> bool:
    if not isinstance(table, pd.DataFrame) or len(table) == 0 or table.columns.has_duplicates:
        return False
    if any(c not in table.columns for c in (schema.TIMESTAMP, *validator.kpis)):
        return False
    dtype = table[schema.TIMESTAMP].dtype
    return isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype)


def _loop(validator: BatchValidator, table: pd.DataFrame,
          bounds: np.ndarray | None = None) -> TableValidation:
    """The definition: every batch through ``validator.validate``."""
    out = TableValidation(None, report=Counter())
    parts, sizes = [], []
    if bounds is None:
        bounds = run_bounds(table[schema.TIMESTAMP].to_numpy()) if len(table) else [0]
    for a, b in itertools.pairwise(bounds):
        batch = table.iloc[a:b]
        try:
            validated = validator.validate(batch)
        except KpiInputError as exc:
            out.rejected[exc.reason] += 1
            out.rows_rejected += len(batch)
            continue
        parts.append(validated.frame)
        sizes.append(len(validated.frame))
        out.report.update(validated.report)
    out.batches = len(parts)
    out.report = dict(out.report)
    out.sizes = np.array(sizes, dtype=np.int64)
    out.frame = pd.concat(parts, ignore_index=True) if parts else None
    return out


def _numbers(validator: BatchValidator, table: pd.DataFrame):
    """KPI values as floats and the cells whose text was no number (None: loop instead)."""
    values = np.empty((len(table), len(validator.kpis)))
    coerced = np.zeros((len(table), len(validator.kpis)), dtype=bool)
    for j, kpi in enumerate(validator.kpis):
        column = table[kpi]
        dtype = column.dtype
        if (pd.api.types.is_float_dtype(dtype) or pd.api.types.is_integer_dtype(dtype)
                or pd.api.types.is_bool_dtype(dtype)):
            values[:, j] = column.to_numpy(dtype=float, na_value=np.nan)
            continue
        try:
            parsed = pd.to_numeric(column, errors="coerce")
        except (TypeError, ValueError):
            return None
        values[:, j] = parsed.to_numpy(dtype=float, na_value=np.nan)
        coerced[:, j] = (parsed.isna() & column.notna()).to_numpy()
    return values, coerced


def _vectorised(validator: BatchValidator, table: pd.DataFrame, values: np.ndarray,
                coerced: np.ndarray) -> TableValidation:
    column = table[schema.TIMESTAMP]
    stamps = column.dt.tz_convert("UTC") if isinstance(column.dtype, pd.DatetimeTZDtype) \
        else column.dt.tz_localize("UTC")
    lo, hi = DATE_WINDOW
    bad_time = (stamps.isna() | ~stamps.between(lo, hi, inclusive="left")).to_numpy()
    ns = stamps.to_numpy(dtype="int64", na_value=np.iinfo(np.int64).min)
    bounds = run_bounds(ns)
    starts, n_batches = bounds[:-1], len(bounds) - 1
    batch_of = np.repeat(np.arange(n_batches), np.diff(bounds))

    if schema.SECTOR in table.columns:
        sectors = table[schema.SECTOR]
        if sectors.dtype != "str":
            sectors = sectors.astype("str")
        no_sector = sectors.isna().to_numpy()
    else:
        sectors = pd.Series(schema.SINGLE_SERIES_ID, index=table.index, dtype="str")
        no_sector = np.zeros(len(table), dtype=bool)

    unreadable = np.logical_or.reduceat(bad_time, starts)
    sectorless = np.logical_and.reduceat(no_sector, starts)
    candidate = ~unreadable & ~sectorless
    last0 = np.iinfo(np.int64).min
    if validator.last_timestamp is not None:
        last = pd.Timestamp(validator.last_timestamp).as_unit(stamps.dt.unit)
        last0 = last.asm8.view(np.int64)
    batch_ns = ns[starts]
    seen = np.where(candidate, batch_ns, np.iinfo(np.int64).min)
    before = np.maximum.accumulate(np.concatenate(([last0], seen)))[:-1]
    late = ~unreadable & (batch_ns <= before)  # checked before the sector ids
    accepted = candidate & ~late

    out = TableValidation(None)
    sizes = np.diff(bounds)
    for reason, mask in (("unreadable timestamp", unreadable),
                         ("late batch", late),
                         ("no sector id", ~unreadable & ~late & sectorless)):
        if mask.any():
            out.rejected[reason] = int(mask.sum())
    out.rows_rejected = int(sizes[~accepted].sum())
    validator.totals["rejected"] += int((~accepted).sum())
    if not accepted.any():
        return out

    # rows of accepted batches with a sector id; duplicates keep the last row
    in_batch = accepted[batch_of]
    dropped = in_batch & no_sector
    rows = np.flatnonzero(in_batch & ~no_sector)
    ids = sectors.to_numpy(dtype=object)[rows]
    codes, uniques = pd.factorize(ids)
    key = pd.Series(batch_of[rows].astype(np.int64) * (len(uniques) + 1) + codes)
    duplicate = key.duplicated(keep="last").to_numpy()
    rows, codes = rows[~duplicate], codes[~duplicate]
    batch = batch_of[rows]

    # registry: known ids keep their slot, new ones come in order of first appearance
    known = len(validator._registry)
    looked = pc.index_in(pa.array(uniques, type=pa.large_string()),
                         value_set=validator._registry).fill_null(-1).to_numpy()
    looked = looked.astype(np.intp)
    is_new = looked < 0
    slot = looked.copy()
    slot[is_new] = known + np.arange(int(is_new.sum()))
    order_first = np.full(len(uniques), len(rows), dtype=np.int64)
    np.minimum.at(order_first, codes, np.arange(len(rows)))
    # ids first seen in a duplicate row kept elsewhere: their first *kept* row decides
    present = order_first < len(rows)
    appearance = np.argsort(np.where(present, order_first, np.iinfo(np.int64).max),
                            kind="stable")
    new_in_order = appearance[is_new[appearance] & present[appearance]]
    slot[new_in_order] = known + np.arange(len(new_in_order))
    reg_codes = slot[codes]
    first_row = np.zeros(len(rows), dtype=bool)
    first_row[order_first[present]] = True

    kept = values[rows]
    bad = ~np.isfinite(kept)
    pre = np.where(bad, np.nan, kept)  # a blank stays blank (±inf too)
    percent, nonneg = validator._percent, validator._nonneg
    out_of_range = np.zeros_like(bad)
    out_of_range[:, percent] = (pre[:, percent] < 0) | (pre[:, percent] > 100)
    out_of_range[:, nonneg] = pre[:, nonneg] < 0
    repaired = _clip(pre, percent, nonneg)

    # per-batch counters, summed
    accepted_idx = np.flatnonzero(accepted)
    n_kept = np.bincount(batch, minlength=n_batches)[accepted_idx]
    new_first = first_row & (reg_codes >= known)
    n_new = np.bincount(batch[new_first], minlength=n_batches)[accepted_idx]
    known_before = known + np.concatenate(([0], np.cumsum(n_new)[:-1]))
    report = dict(
        rows=len(rows), dropped_rows=int(dropped.sum()), duplicates=int(duplicate.sum()),
        coerced=int(coerced[rows].sum()), blank=int(bad.sum()),
        clipped=int(out_of_range.sum()), new_sectors=int(n_new.sum()),
        missing_sectors=int((known_before - (n_kept - n_new)).sum()))

    # the validator's state, as after the last accepted batch
    added = ids[~duplicate][new_first]
    validator._registry = pa.concat_arrays(
        [validator._registry, pa.array(added, type=pa.large_string())])
    grown = np.full((len(validator._registry), len(validator.kpis)), np.nan)
    grown[:known] = validator._last_values
    last_row = np.full(len(grown), -1, dtype=np.int64)
    np.maximum.at(last_row, reg_codes, np.arange(len(rows)))
    has = last_row >= 0
    grown[has] = repaired[last_row[has]]
    validator._last_values = grown
    tail = batch == accepted_idx[-1]
    validator._prev_sectors = pd.Series(ids[~duplicate][tail], dtype="str")
    validator._prev_codes = reg_codes[tail]
    validator.last_timestamp = stamps.iloc[rows[-1]]
    validator.totals["batches"] += len(accepted_idx)
    for name, count in report.items():
        validator.totals[name] += count

    frame = table.iloc[rows].copy(deep=False)
    frame[schema.TIMESTAMP] = stamps.array[rows]
    frame[schema.SECTOR] = pd.array(ids[~duplicate], dtype="str")
    for j, kpi in enumerate(validator.kpis):
        frame[kpi] = repaired[:, j]
    frame["blank"] = bad.any(axis=1)
    if schema.PROVINCE not in frame.columns:
        frame[schema.PROVINCE] = schema.UNKNOWN_PROVINCE
    for name in (schema.LAT, schema.LON):
        if name not in frame.columns:
            frame[name] = np.nan
    frame.index = pd.RangeIndex(len(frame))
    out.frame, out.batches, out.report, out.sizes = frame, len(accepted_idx), report, n_kept
    return out


def _clip(values: np.ndarray, percent: np.ndarray, nonneg: np.ndarray) -> np.ndarray:
    out = values.copy()
    out[:, percent] = np.clip(values[:, percent], 0.0, 100.0)
    out[:, nonneg] = np.maximum(values[:, nonneg], 0.0)
    return out

