"""Load an operator KPI export, described by a :class:`SourceSpec`, into the project schema.

No silent loss: every input row is in the result or counted under one reason. When more
than 1 % of the rows would go, loading stops with one line naming the likely cause (a
date in another column, a wrong time zone, the wrong sector column) unless the spec
says ``allow_drops``: a detector trained on a tenth of the data looks like it works.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.errors import KpiInputError
from telecom_nb.sources.columns import (
    LAT_NAMES,
    LON_NAMES,
    PROVINCE_NAMES,
    classify,
    match_column,
    missing_columns_message,
    suggest,
)
from telecom_nb.sources.kpiinfo import KpiInfo, infer_kpi_info
from telecom_nb.sources.loss import RowFate, loss_error
from telecom_nb.sources.reading import read_raw, string_columns
from telecom_nb.sources.sites import (
    AZIMUTH,
    SITE,
    coordinates,
    join_inventory,
    missing_message,
    read_inventory,
)
from telecom_nb.sources.spec import SourceSpec
from telecom_nb.sources.tables import LoadedTable
from telecom_nb.sources.timeparse import localize, parse_times
from telecom_nb.sources.values import kpi_to_float, sector_ids

MAX_DROP_SHARE = 0.01


@dataclass(frozen=True)
class LoadCounters:
    """Where every input row went: ``rows_read == rows_loaded + rows_dropped``."""

    rows_read: int = 0
    rows_loaded: int = 0
    rows_bad_time: int = 0  # missing or unreadable time
    rows_dst_gap: int = 0  # a wall time the clock skipped (spring forward)
    rows_missing_sector: int = 0
    rows_duplicate: int = 0  # same (timestamp, sector) as a later row, which was kept
    times_dst_ambiguous: int = 0  # repeated wall times resolved by order (kept)
    values_missing: int = 0  # KPI cells blank, unreadable or infinite (kept as NaN)
    values_non_numeric: int = 0
    values_infinite: int = 0
    coords_invalid: int = 0
    sectors: int = 0
    sectors_without_site: int = 0
    timestamps: int = 0
    periods_empty: int = 0  # periods of the cadence inside the export's span with no row at all

    @property
    def rows_dropped(self) -> int:
        return (self.rows_bad_time + self.rows_dst_gap + self.rows_missing_sector
                + self.rows_duplicate)

    def as_dict(self) -> dict[str, int]:
        return {**asdict(self), "rows_dropped": self.rows_dropped}


@dataclass
class LoadedSource:
    """An export in the project schema, sorted by (timestamp, sector), and what it took."""

    frame: pd.DataFrame
    spec: SourceSpec
    kpis: list[str]
    kpi_info: dict[str, KpiInfo]
    cadence: pd.Timedelta | None  # median step between a sector's consecutive rows
    counters: LoadCounters
    messages: list[str] = field(default_factory=list)
    skipped_columns: dict[str, str] = field(default_factory=dict)  # column -> why not a KPI
    sites_missing: list[str] = field(default_factory=list)

    def to_table(self) -> LoadedTable:
        """The same rows as a :class:`LoadedTable` (what ``ReplaySource`` and the CLI take)."""
        return LoadedTable(frame=self.frame, kpis=list(self.kpis),
                           report=self.counters.as_dict(), messages=list(self.messages))

    @property
    def timezone(self) -> zoneinfo.ZoneInfo:
        return self.spec.zone

    def local_timestamps(self) -> pd.Series:
        """The frame's timestamps on the network's wall clock (what operators read)."""
        return self.frame[schema.TIMESTAMP].dt.tz_convert(self.spec.timezone)


def as_spec(spec_or_path: SourceSpec | str | Path) -> SourceSpec:
    """A spec from a spec, a ``source.toml`` path, or an export path (default recipe)."""
    if isinstance(spec_or_path, SourceSpec):
        return spec_or_path
    path = Path(spec_or_path)
    if path.suffix.lower() == ".toml":
        return SourceSpec.from_toml(path)
    return SourceSpec(path=path)


def load_source(
    spec_or_path: SourceSpec | str | Path, *, data: pd.DataFrame | None = None
) -> LoadedSource:
    """Read the export (or ``data``, named after the spec's path) into the project schema.

    Raises KpiInputError (one line naming the file, column or row) when it cannot be used
    or would lose more than 1 % of its rows without ``allow_drops``.
    """
    spec = as_spec(spec_or_path)
    name = spec.path.name
    raw = string_columns(read_raw(spec.path if data is None else data), name)
    try:
        roles = _roles(raw, spec)
        if raw.empty:
            raise KpiInputError("the table has a header but no data rows")
        kpis, skipped = _choose_kpis(raw, spec, roles)
    except KpiInputError as exc:
        raise KpiInputError(f"{name}: {exc}") from None
    raw = raw.reset_index(drop=True)
    messages: list[str] = []
    fate = _row_fate(raw, spec, roles, name, messages)
    if not fate.kept.any() or (fate.dropped_share() > MAX_DROP_SHARE and not spec.allow_drops):
        raise loss_error(fate, name, spec.allow_drops)
    messages.extend(fate.notes())

    frame = _schema_frame(raw, fate, roles)
    values = _kpi_values(raw.loc[fate.kept], kpis, name, messages)
    frame = pd.concat([frame, values], axis=1)
    extras = [c for c in raw.columns if c not in roles["used"] and c not in kpis]
    frame = pd.concat([frame, raw.loc[fate.kept, extras].reset_index(drop=True)], axis=1)

    sites_missing: list[str] = []
    coords_invalid = roles["coords_invalid"]
    if spec.sites is not None:
        inventory = read_inventory(spec.sites, spec.sector)
        frame, sites_missing = join_inventory(frame, inventory)
        messages.extend(inventory.messages)
        coords_invalid += inventory.coords_invalid
    order = np.lexsort((frame[schema.SECTOR].to_numpy(), instants(frame[schema.TIMESTAMP])))
    frame = frame.iloc[order].reset_index(drop=True)
    ordered = [*schema.ID_COLUMNS, AZIMUTH, SITE, *kpis]
    frame = frame[[c for c in ordered if c in frame] + [c for c in frame if c not in ordered]]

    n_sectors = int(frame[schema.SECTOR].nunique())
    if sites_missing and spec.sites is not None:
        messages.append(missing_message(sites_missing, n_sectors, spec.sites.path.name))
    cadence = sector_cadence(frame)
    periods_empty, first_empty = empty_periods(instants(frame[schema.TIMESTAMP]), cadence)
    counters = LoadCounters(
        rows_read=len(raw), rows_loaded=len(frame), rows_bad_time=fate.count("bad_time"),
        rows_dst_gap=fate.count("dst_gap"), rows_missing_sector=fate.count("missing_sector"),
        rows_duplicate=fate.count("duplicate"), times_dst_ambiguous=fate.dst_ambiguous,
        values_missing=int(values.isna().sum().sum()),
        values_non_numeric=values.attrs["non_numeric"], values_infinite=values.attrs["infinite"],
        coords_invalid=coords_invalid, sectors=n_sectors,
        sectors_without_site=len(sites_missing),
        timestamps=int(frame[schema.TIMESTAMP].nunique()), periods_empty=periods_empty,
    )
    if first_empty is not None:
        local = pd.Timestamp(first_empty, tz="UTC").tz_convert(spec.timezone)
        messages.append(
            f"{name}: {periods_empty:,} period(s) of {_human(cadence)} with no row at all "
            f"between the first and last time (the first at {local:%Y-%m-%d %H:%M} "
            f"{spec.timezone}): a collection gap in the export? Nothing is scored for them")
    messages.insert(0, _summary(name, counters, cadence, spec, kpis))
    if skipped:
        messages.insert(1, "not KPIs: " + ", ".join(f"{c!r} ({why})" for c, why in
                                                   skipped.items()))
    kpi_info = {k: infer_kpi_info(k, **_overrides(spec, k)) for k in kpis}
    return LoadedSource(frame=frame, spec=spec, kpis=kpis, kpi_info=kpi_info, cadence=cadence,
                        counters=counters, messages=messages, skipped_columns=skipped,
                        sites_missing=sites_missing)


# --------------------------------------------------------------------------- columns


def _roles(raw: pd.DataFrame, spec: SourceSpec) -> dict:
    """Input column per role (None: absent); one error naming every missing column."""
    columns = list(raw.columns)
    missing = [(c, "timestamp") for c in spec.timestamp if c not in columns]
    sector = spec.sector
    if sector is None:
        sector = schema.SECTOR if schema.SECTOR in columns else None
    elif sector not in columns:
        missing.append((sector, "sector"))
    found = {}
    for role, given, names in ((schema.PROVINCE, spec.province, PROVINCE_NAMES),
                               (schema.LAT, spec.lat, LAT_NAMES),
                               (schema.LON, spec.lon, LON_NAMES)):
        if given is not None and given not in columns:
            missing.append((given, role))
        found[role] = given if given is not None else match_column(columns, names)
    if missing:
        raise KpiInputError(missing_columns_message(missing, columns))
    if sector is not None and sector in spec.timestamp:
        raise KpiInputError(f"column {sector!r} is mapped as both timestamp and sector")
    used = {*spec.timestamp, *(c for c in (sector, *found.values()) if c is not None)}
    return {"sector": sector, **found, "used": used, "coords_invalid": 0,
            "sector_hint": None if sector else suggest("Cell Name", "sector", columns)}


def _choose_kpis(
    raw: pd.DataFrame, spec: SourceSpec, roles: dict
) -> tuple[list[str], dict[str, str]]:
    columns = list(raw.columns)
    named = [*(spec.kpis or ()), *spec.exclude, *spec.kpi]
    unknown = [(c, "KPI") for c in dict.fromkeys(named) if c not in columns]
    if unknown:
        raise KpiInputError(missing_columns_message(unknown, columns))
    if spec.kpis is not None:
        clash = [k for k in spec.kpis if k in roles["used"]]
        if clash:
            raise KpiInputError(f"KPI column(s) {', '.join(clash)} are time/sector/position "
                                "columns")
        kpis, skipped = list(spec.kpis), {}
    else:
        kpis, skipped = classify(raw, roles["used"])
        for column in spec.exclude:
            if column in kpis:
                kpis.remove(column)
            skipped[column] = "excluded in the source spec"
    if not kpis:
        raise KpiInputError(
            "no KPI column found: no numeric column besides time/sector/position/identifier/"
            f"label columns (columns are: {', '.join(columns)}); name them with kpis = [...]"
        )
    not_kpis = [k for k in spec.kpi if k not in kpis]
    if not_kpis:
        raise KpiInputError(f"[kpi.{not_kpis[0]!r}] describes a column that is not a KPI "
                            f"(KPIs: {', '.join(kpis)})")
    return kpis, skipped


def _overrides(spec: SourceSpec, kpi: str) -> dict[str, str | None]:
    meta = spec.kpi.get(kpi)
    return {} if meta is None else {"label": meta.label, "unit": meta.unit, "bad": meta.bad}


# --------------------------------------------------------------------------- rows


def time_text(raw: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """One time column as is, or several joined by a space (missing if any part is)."""
    if len(columns) == 1:
        return raw[columns[0]]
    parts = []
    for column in columns:
        values = raw[column]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            text = values.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(values.dtype) or pd.api.types.is_integer_dtype(
            values.dtype
        ):
            text = values.astype("Int64", errors="ignore").astype("str")
        else:
            text = values.astype("str").str.strip()
        parts.append(text)
    joined = parts[0].str.cat(parts[1:], sep=" ")
    return joined.where(pd.concat(parts, axis=1).notna().all(axis=1))


def _row_fate(
    raw: pd.DataFrame, spec: SourceSpec, roles: dict, name: str, messages: list[str]
) -> RowFate:
    label = " + ".join(repr(c) for c in spec.timestamp)
    times = time_text(raw, spec.timestamp)
    try:
        parsed = parse_times(times, column=spec.timestamp[0] if len(spec.timestamp) == 1
                             else label, time_format=spec.time_format,
                             time_unit=spec.time_unit, other_columns=list(raw.columns))
    except KpiInputError as exc:
        raise KpiInputError(f"{name}: {exc}") from None
    messages.extend(parsed.notes)
    if roles["sector"] is None:
        sectors = pd.Series(schema.SINGLE_SERIES_ID, index=raw.index)
    else:
        sectors = sector_ids(raw[roles["sector"]])
    placed = localize(parsed, spec.timezone, groups=sectors)
    return RowFate.decide(
        stamps=placed.utc, wall=parsed.utc, sectors=sectors, bad_time=parsed.bad,
        dst_gap=placed.gap,
        dst_ambiguous=placed.ambiguous, time_values=times, time_label=label,
        time_form=parsed.form, sector_column=roles["sector"], sector_hint=roles["sector_hint"],
    )


def _schema_frame(raw: pd.DataFrame, fate: RowFate, roles: dict) -> pd.DataFrame:
    kept = fate.kept
    frame = pd.DataFrame({
        schema.TIMESTAMP: fate.stamps[kept].reset_index(drop=True),
        schema.SECTOR: fate.sectors[kept].reset_index(drop=True),
    })
    province = roles[schema.PROVINCE]
    frame[schema.PROVINCE] = (
        raw.loc[kept, province].astype("str").fillna(schema.UNKNOWN_PROVINCE).to_numpy()
        if province else schema.UNKNOWN_PROVINCE
    )
    for role, limit in ((schema.LAT, 90.0), (schema.LON, 180.0)):
        column = roles[role]
        if column is None:
            frame[role] = np.nan
            continue
        values, bad = coordinates(raw.loc[kept, column], limit)
        frame[role] = values
        roles["coords_invalid"] += bad
    return frame


def _kpi_values(
    rows: pd.DataFrame, kpis: list[str], name: str, messages: list[str]
) -> pd.DataFrame:
    """KPIs as float64, NaN where blank, unreadable or infinite; all three counted."""
    out = {}
    non_numeric = infinite = 0
    for kpi in kpis:
        values, odd = kpi_to_float(rows[kpi])
        if not np.isfinite(values).any():
            raise KpiInputError(f"{name}: KPI column {kpi!r} has no numeric value")
        inf = np.isinf(values)
        values[inf] = np.nan
        non_numeric += odd
        infinite += int(inf.sum())
        out[kpi] = values
        if odd:
            messages.append(f"KPI {kpi!r}: {odd:,} non-numeric value(s) read as missing")
    frame = pd.DataFrame(out)
    frame.attrs.update(non_numeric=non_numeric, infinite=infinite)
    return frame


def instants(stamps: pd.Series) -> np.ndarray:
    """tz-aware timestamps as int64 nanoseconds (NaT as the minimum), without objects."""
    return stamps.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").view(np.int64)


def sector_cadence(frame: pd.DataFrame) -> pd.Timedelta | None:
    """Median step between consecutive rows of the same sector (None: no sector repeats)."""
    stamps = instants(frame[schema.TIMESTAMP])
    codes = pd.factorize(frame[schema.SECTOR])[0]
    order = np.lexsort((stamps, codes))
    steps = np.diff(stamps[order])
    same = codes[order][1:] == codes[order][:-1]
    steps = steps[same & (steps > 0)]
    return pd.Timedelta(int(np.median(steps)), unit="ns") if steps.size else None


def empty_periods(stamps: np.ndarray, step: pd.Timedelta | None) -> tuple[int, int | None]:
    """Periods of ``step`` between the first and last of ``stamps`` (ns) that hold no row:
    how many, and the first one (ns). An OSS collection gap loses every cell's rows of a
    period; no row is dropped, so only the calendar shows it."""
    if step is None or len(stamps) < 2:
        return 0, None
    times = np.unique(stamps)
    gaps = np.diff(times)
    missing = np.maximum(gaps // step.value - 1, 0)  # a gap of k steps holds k - 1 periods
    hit = np.flatnonzero(missing)
    if not hit.size:
        return 0, None
    return int(missing.sum()), int(times[hit[0]] + step.value)


def _summary(name: str, c: LoadCounters, cadence: pd.Timedelta | None, spec: SourceSpec,
             kpis: list[str]) -> str:
    every = f", every {_human(cadence)}" if cadence is not None else ""
    zone = f"; times in {spec.timezone} stored as UTC" if spec.timezone != "UTC" else ""
    dropped = f" ({c.rows_dropped:,} dropped)" if c.rows_dropped else ""
    return (f"{name}: loaded {c.rows_loaded:,} of {c.rows_read:,} rows{dropped}, "
            f"{c.sectors:,} sector(s), {c.timestamps:,} timestamp(s){every}{zone}; "
            f"KPIs: {', '.join(kpis)}")


def _human(step: pd.Timedelta) -> str:
    seconds = int(step.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{step.total_seconds():g} s"
