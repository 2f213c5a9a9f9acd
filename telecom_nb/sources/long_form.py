"""A long export read as the wide table every other stage takes.

Database queries and some OSS report tools write one row per cell, period *and KPI*: a
column names the KPI (``KPI Name``, ``Counter``, ``Metric``) and one numeric column holds
its value. Read as it is, each (time, cell) has as many rows as KPIs and the loss rule
stopped it as duplicates, advising "a source per 'KPI Name' value". It is turned into one
row per (time, cell) with a column per KPI, every long row accounted for: in a cell of
the wide table, or counted (a repeated (time, cell, KPI): the last kept; no KPI name).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.errors import KpiInputError
from telecom_nb.sources.columns import numeric_share, skip_reason, words
from telecom_nb.sources.files import RawSet
from telecom_nb.sources.spec import SourceSpec
from telecom_nb.sources.time_order import file_numbers

#: words of a column name that names the KPI of each row
NAME_WORDS = frozenset({"kpi", "kpis", "counter", "counters", "metric", "metrics",
                        "indicator", "indicators", "measure", "measures", "measurement",
                        "measurements", "measurand", "statistic", "statistics",
                        "parameter", "parameters", "variable"})
#: most distinct KPI names a long export is taken to have
MAX_NAMES = 2_000


@dataclass(frozen=True)
class LongForm:
    """Which column names each row's KPI and which holds its value."""

    name_column: str
    value_column: str


def find_long_form(raw: pd.DataFrame, keys: list[str]) -> LongForm | None:
    """The long layout's columns, or None: a text column named like a KPI name that
    names several KPIs in most (time, cell) groups (``keys``), and exactly one numeric
    column that is not an id or a position."""
    rest = [c for c in raw.columns if c not in keys]
    names = [c for c in rest if NAME_WORDS & set(words(c)) and numeric_share(raw[c]) < 0.5]
    if len(names) != 1:  # (a wide export stops here, before any value is read)
        return None
    values = [c for c in rest if c not in names and numeric_share(raw[c]) >= 0.9
              and skip_reason(c, raw[c]) is None]
    if len(values) != 1:
        return None
    sample = raw.iloc[:50_000]
    label = sample[names[0]]
    if not 2 <= label.nunique() <= MAX_NAMES:
        return None
    groups = sample.groupby([sample[k] for k in keys], sort=False, dropna=False)
    if groups.size().mean() < 1.5:
        return None
    split = groups[names[0]].nunique()
    # (several names in most groups: a (time, cell, KPI) repeated is said by widen)
    return LongForm(names[0], values[0]) if (split >= 2).mean() >= 0.9 else None


def widen(raw: pd.DataFrame, form: LongForm, keys: list[str], file_of_row: np.ndarray | None,
          name: str, allow_drops: bool) -> tuple[pd.DataFrame, np.ndarray | None, list[str]]:
    """One row per (``keys``) in order of first appearance, a column per KPI name, the
    other columns that hold one value per (time, cell) kept; each new row's file number
    (from ``file_of_row``) and the report's lines. Raises KpiInputError when more than
    1 % of the long rows cannot be placed (unless ``allow_drops``)."""
    n_long = len(raw)
    group = raw.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    label = raw[form.name_column].astype("str").str.strip().where(raw[form.name_column].notna())
    kpi, kpis = pd.factorize(label)  # -1: no name
    placed = kpi >= 0
    repeated = pd.DataFrame({"g": group, "k": kpi}).duplicated(keep="last").to_numpy() & placed
    lost = int((~placed).sum() + repeated.sum())
    if lost > 0.01 * n_long and not allow_drops:
        raise KpiInputError(
            f"{name}: a long export ({form.name_column!r} names the KPI, {form.value_column!r} "
            f"holds it) but {lost:,} of {n_long:,} rows repeat a (time, cell, KPI) or name no "
            "KPI: is another column part of the key (a band, a granularity)? set allow_drops "
            "= true to keep the last of each")
    first = np.unique(group, return_index=True)[1]
    kept = [c for c in raw.columns if c not in (form.name_column, form.value_column)]
    varying = [c for c in kept if c not in keys and (
        raw.groupby(group, sort=False)[c].nunique(dropna=False) > 1).any()]
    wide = raw.iloc[first][[c for c in kept if c not in varying]].reset_index(drop=True)
    value = raw[form.value_column]
    numeric = pd.api.types.is_numeric_dtype(value.dtype)
    cells = np.full((len(first), len(kpis)), np.nan if numeric else None,
                    dtype=float if numeric else object)
    take = placed & ~repeated
    cells[group[take], kpi[take]] = value.to_numpy()[take]
    for j, column in enumerate(kpis):
        wide[str(column)] = cells[:, j]
    notes = [f"{name}: a long export ({form.name_column!r} names the KPI, "
             f"{form.value_column!r} holds its value): {n_long:,} rows read as {len(wide):,} "
             f"rows of {len(kpis):,} KPI column(s)"]
    if lost:
        notes.append(f"{name}: {int(repeated.sum()):,} long row(s) repeat a (time, cell, KPI) "
                     f"(the last kept) and {int((~placed).sum()):,} name no KPI: not loaded")
    if varying:
        notes.append(f"{name}: not kept, one value per KPI rather than per cell and period: "
                     + ", ".join(map(repr, varying)))
    files = None if file_of_row is None else file_of_row[first]
    return wide, files, notes


def read_long(raw_set: RawSet, spec: SourceSpec, name: str) -> list[str]:
    """Widen ``raw_set`` in place when its table is a long export (no KPI list given in
    the spec); the report's lines (none when the table is wide)."""
    raw = raw_set.frame
    sector = spec.sector if spec.sector is not None else (
        schema.SECTOR if schema.SECTOR in raw.columns else None)
    keys = [*spec.timestamp, *([sector] if sector else [])]
    if spec.kpis is not None or raw.empty or any(k not in raw.columns for k in keys):
        return []
    form = find_long_form(raw, keys)
    if form is None:
        return []
    several = len(raw_set.files) > 1
    wide, files, notes = widen(raw, form, keys, file_numbers(raw_set.ends) if several else None,
                               name, spec.allow_drops)
    raw_set.frame = wide
    raw_set.rows = (np.bincount(files, minlength=len(raw_set.files)).tolist() if several
                    else [len(wide)])
    raw_set.columns = [list(wide.columns) for _ in raw_set.files]
    return notes
