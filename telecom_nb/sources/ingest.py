"""Load an operator KPI export, described by a :class:`SourceSpec`, into the project schema.

No silent loss: every input row is in the result or counted under one reason. When more
than 1 % of the rows would go, loading stops with one line naming the likely cause (a
date in another column, a wrong time zone, the wrong sector column) unless the spec
says ``allow_drops``: a detector trained on a tenth of the data looks like it works.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.errors import KpiInputError
from telecom_nb.heap_trim import release_arrow_pool, release_freed_memory
from telecom_nb.sources.columns import (
    LAT_NAMES,
    LON_NAMES,
    PROVINCE_NAMES,
    classify,
    match_column,
    missing_columns_message,
    suggest,
)
from telecom_nb.sources.files import RawSet, read_files
from telecom_nb.sources.kpiinfo import KpiInfo, infer_kpi_info
from telecom_nb.sources.load_counters import LoadCounters
from telecom_nb.sources.local_time import localize, offsets_without_zone
from telecom_nb.sources.long_form import read_long
from telecom_nb.sources.loss import RowFate, footer_rows, loss_error
from telecom_nb.sources.reading import other_sheets, read_raw, string_columns
from telecom_nb.sources.row_flags import read_flags
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
from telecom_nb.sources.time_columns import joined_times
from telecom_nb.sources.time_order import file_numbers, human_step, one_cadence, put_in_order
from telecom_nb.sources.timeparse import parse_times
from telecom_nb.sources.values import kpi_frame, retyped, sector_ids

MAX_DROP_SHARE = 0.01


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
    file_rows: dict[str, int] = field(default_factory=dict)  # rows read per file

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
    name = spec.path_name
    if data is None:
        raw_set = read_files(spec.files, encoding=spec.encoding, sheet=spec.sheet,
                             text_columns=(spec.sector,) if spec.sector else ())
    else:
        frame = string_columns(read_raw(data), name)
        raw_set = RawSet(frame, [Path(name)], [len(frame)], [list(frame.columns)])
    long_notes = read_long(raw_set, spec, name)  # one row per KPI: widened, or kept as is
    raw = raw_set.frame
    try:
        roles = _roles(raw, spec, raw_set.files if data is None else [])
        raw_set.require({c: "timestamp" for c in spec.timestamp} | (
            {roles["sector"]: "sector"} if roles["sector"] else {}))
        if raw.empty:
            raise KpiInputError("the table has a header but no data rows")
        flags, flag_why = read_flags(raw, set(spec.kpis or ()) | roles["used"])
        kpis, skipped = _choose_kpis(raw, spec, roles, flag_why)
    except KpiInputError as exc:
        raise KpiInputError(f"{name}: {exc}") from None
    raw = raw.reset_index(drop=True)
    messages: list[str] = [*raw_set.notes, *long_notes]
    # each row's file number, read once (by the row checks and the one-cadence check)
    files = file_numbers(raw_set.ends) if len(raw_set.files) > 1 else None
    fate = _row_fate(raw, spec, roles, name, messages, raw_set, files)
    if files is not None:
        one_cadence(fate.stamps.where(fate.reason == 0), files,
                    [p.name for p in raw_set.files], name)
    if not fate.kept.any() or (fate.dropped_share() > MAX_DROP_SHARE and not spec.allow_drops):
        raise loss_error(fate, name, spec.allow_drops, raw)
    messages.extend(fate.notes())
    release_freed_memory()  # the read's and the row checks' freed temporaries: the new
    # columns below otherwise land above them (a 4M-row load peaked here ~290 MB free)

    frame = _schema_frame(raw, fate, roles)
    # the KPI columns alone, and no row copy when every row is kept (kpi_frame copies
    # each column it reads): ``raw.loc[kept]`` copied every column, a 2M-row load's peak
    rows = raw[kpis] if fate.kept.all() else raw.loc[fate.kept, kpis]
    values = kpi_frame(rows, kpis, name, messages)
    rows = None
    frame = pd.concat([frame, values], axis=1)
    # counted now, and the KPI columns as read let go: held to the end, they were a copy
    # of every KPI beside the sorted ones (a 4M-row load's peak)
    value_counts = {
        "values_missing": int(values.isna().sum().sum()),
        **{f"values_{key}": values.attrs[key] for key in ("non_numeric", "infinite", "null_token")},
    }
    values = None
    n_unreliable = flags.blank(frame, fate.kept, kpis, name, messages)
    extras = [c for c in raw.columns if c not in roles["used"] and c not in kpis]
    rest = raw.loc[fate.kept, extras].reset_index(drop=True)
    if fate.count("footer") or fate.count("header"):  # a footer or header line made a
        # column text or float
        rest = retyped(rest)
    frame = pd.concat([frame, rest], axis=1)
    rows_read = len(raw)
    fate_counts = dict(  # counted now: the fate's per-row times and ids (~50 MB at 2M rows,
        # pinning the raw time and sector columns) go with the raw export, before the sort
        rows_bad_time=fate.count("bad_time"), rows_dst_gap=fate.count("dst_gap"),
        rows_dst_shifted=fate.dst_shifted, rows_missing_sector=fate.count("missing_sector"),
        rows_duplicate=fate.count("duplicate"), rows_footer=fate.count("footer"),
        rows_redelivered=fate.count("redelivered"), rows_header=fate.count("header"),
        times_dst_ambiguous=fate.dst_ambiguous)
    raw_set.frame = raw = rest = fate = None  # the export as read: freed before the sort
    release_freed_memory()  # ... and handed back, or the sort and cadence peak above it
    release_arrow_pool()

    sites_missing: list[str] = []
    coords_invalid = roles["coords_invalid"]
    if spec.sites is not None:
        inventory = read_inventory(spec.sites, spec.sector)
        frame, sites_missing = join_inventory(frame, inventory)
        messages.extend(inventory.messages)
        coords_invalid += inventory.coords_invalid
    frame, when = put_in_order(frame)
    ordered = [*schema.ID_COLUMNS, AZIMUTH, SITE, *kpis]
    frame = frame[[c for c in ordered if c in frame] + [c for c in frame if c not in ordered]]
    n_sectors, cadence = when.n_sectors, when.cadence
    periods_empty, first_empty = when.periods_empty, when.first_empty
    if sites_missing and spec.sites is not None:
        messages.append(missing_message(sites_missing, n_sectors, spec.sites.path.name))
    counters = LoadCounters(
        rows_read=rows_read, rows_loaded=len(frame), **fate_counts,
        rows_unreliable=n_unreliable,
        **value_counts, files=len(raw_set.files),
        lines_above_header=raw_set.lines_above_header,
        coords_invalid=coords_invalid, sectors=n_sectors,
        sectors_without_site=len(sites_missing),
        timestamps=when.timestamps, periods_empty=periods_empty,
    )
    if when.change is not None:
        messages.append(f"{name}: {when.change.says(cadence, periods_empty, spec.timezone)}")
    elif first_empty is not None:
        local = pd.Timestamp(first_empty, tz="UTC").tz_convert(spec.timezone)
        messages.append(
            f"{name}: {periods_empty:,} period(s) of {human_step(cadence)} with no row at all "
            f"between the first and last time (the first at {local:%Y-%m-%d %H:%M} "
            f"{spec.timezone}): a collection gap in the export? Nothing is scored for them")
    messages.insert(0, _summary(name, counters, cadence, spec, kpis))
    if skipped:
        messages.insert(1, "not KPIs: " + ", ".join(f"{c!r} ({why})" for c, why in
                                                   skipped.items()))
    kpi_info = {k: infer_kpi_info(k, **_overrides(spec, k)) for k in kpis}
    flags.mark_read(frame)  # their rows are blanked: a replay of the frame reads them no more
    return LoadedSource(frame=frame, spec=spec, kpis=kpis, kpi_info=kpi_info, cadence=cadence,
                        counters=counters, messages=messages, skipped_columns=skipped,
                        sites_missing=sites_missing,
                        file_rows={p.name: n for p, n in zip(raw_set.files, raw_set.rows,
                                                             strict=True)})


# --------------------------------------------------------------------------- columns


def _roles(raw: pd.DataFrame, spec: SourceSpec, files: list[Path]) -> dict:
    """Input column per role (None: absent); one error naming every missing column (and a
    workbook's other sheet that has them: the first sheet is often a summary)."""
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
        names = [c for c, _ in missing]
        sheet = other_sheets(files[0], names) if spec.sheet is None and files else ""
        if sheet:
            raise KpiInputError(f"column(s) {', '.join(map(repr, names))} not in the first "
                                f"sheet (its columns: {', '.join(columns)}){sheet}")
        raise KpiInputError(missing_columns_message(missing, columns))
    if sector is not None and sector in spec.timestamp:
        raise KpiInputError(f"column {sector!r} is mapped as both timestamp and sector")
    used = {*spec.timestamp, *(c for c in (sector, *found.values()) if c is not None)}
    return {"sector": sector, **found, "used": used, "coords_invalid": 0,
            "sector_hint": None if sector else suggest("Cell Name", "sector", columns)}


def _choose_kpis(
    raw: pd.DataFrame, spec: SourceSpec, roles: dict, flags: dict[str, str]
) -> tuple[list[str], dict[str, str]]:
    columns = list(raw.columns)
    # a misspelt [kpi."..."] section is named as the spec's, not as a mapping of the export's
    named = {**dict.fromkeys(spec.kpi, "KPI by a [kpi] section of the source spec"),
             **dict.fromkeys([*(spec.kpis or ()), *spec.exclude], "KPI")}
    unknown = [(c, role) for c, role in named.items() if c not in columns]
    if unknown:
        raise KpiInputError(missing_columns_message(unknown, columns))
    if spec.kpis is not None:
        clash = [k for k in spec.kpis if k in roles["used"]]
        if clash:
            raise KpiInputError(f"KPI column(s) {', '.join(clash)} are time/sector/position "
                                "columns")
        kpis, skipped = list(spec.kpis), {}
    else:
        cells = raw[roles["sector"]] if roles["sector"] is not None else None
        kpis, skipped = classify(raw, roles["used"], cells)
        for column, why in {**flags, **dict.fromkeys(spec.exclude,
                                                     "excluded in the source spec")}.items():
            if column in kpis:
                kpis.remove(column)
            skipped[column] = why
    if not kpis:
        raise KpiInputError(
            "no KPI column found: no numeric column besides time/sector/position/identifier/"
            f"label columns (columns are: {', '.join(columns)}); name them with kpis = [...]"
        )
    # a described column left out by exclude is left out (as --exclude does), not an error
    not_kpis = [k for k in spec.kpi if k not in kpis and k not in spec.exclude]
    if not_kpis:
        raise KpiInputError(f"[kpi.{not_kpis[0]!r}] describes a column that is not a KPI "
                            f"(KPIs: {', '.join(kpis)})")
    return kpis, skipped


def _overrides(spec: SourceSpec, kpi: str) -> dict[str, str | None]:
    meta = spec.kpi.get(kpi)
    return {} if meta is None else {"label": meta.label, "unit": meta.unit, "bad": meta.bad}


# --------------------------------------------------------------------------- rows


def _row_fate(
    raw: pd.DataFrame, spec: SourceSpec, roles: dict, name: str, messages: list[str],
    raw_set: RawSet, files: np.ndarray | None,
) -> RowFate:
    label = " + ".join(repr(c) for c in spec.timestamp)
    try:
        times, notes = joined_times(raw, spec.timestamp, strict=spec.time_format is None,
                                    hour_ending=spec.hour_ending)
        parsed = parse_times(times, column=spec.timestamp[0] if len(spec.timestamp) == 1
                             else label, time_format=spec.time_format,
                             time_unit=spec.time_unit, other_columns=list(raw.columns))
    except KpiInputError as exc:
        raise KpiInputError(f"{name}: {exc}") from None
    messages.extend(notes + parsed.notes + offsets_without_zone(times, parsed, spec.timezone))
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
        footer=footer_rows(parsed.bad, raw_set.ends, times, sectors),
        where=raw_set.where if len(raw_set.files) > 1 else None, first_cell=raw.iloc[:, 0],
        files=files,
        header=_header_lines(raw, spec.timestamp, parsed.bad),
    )


def _header_lines(raw: pd.DataFrame, columns: list[str], bad: np.ndarray) -> np.ndarray | None:
    """Rows without a readable time whose time fields are the column names: the header
    line of each export joined by ``cat`` (not data, never a loss)."""
    if not bad.any():
        return None
    rows = np.flatnonzero(bad)
    same = np.ones(rows.size, dtype=bool)
    for column in columns:
        same &= (raw[column].iloc[rows].astype("str").str.strip() == column).to_numpy()
    out = np.zeros(len(raw), dtype=bool)
    out[rows[same]] = True
    return out


def _schema_frame(raw: pd.DataFrame, fate: RowFate, roles: dict) -> pd.DataFrame:
    kept = fate.kept
    frame = pd.DataFrame({
        schema.TIMESTAMP: fate.stamps[kept].reset_index(drop=True),
        schema.SECTOR: fate.sectors[kept].reset_index(drop=True),
    })
    province = roles[schema.PROVINCE]
    # ``.array``, not ``to_numpy()``: a Python string per row (~130 MB at 2M rows, freed
    # and left resident: the load's peak) made back into the same Arrow strings
    frame[schema.PROVINCE] = (
        raw.loc[kept, province].astype("str").fillna(schema.UNKNOWN_PROVINCE).array
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


def _summary(name: str, c: LoadCounters, cadence: pd.Timedelta | None, spec: SourceSpec,
             kpis: list[str]) -> str:
    every = f", every {human_step(cadence)}" if cadence is not None else ""
    zone = f"; times in {spec.timezone} stored as UTC" if spec.timezone != "UTC" else ""
    dropped = f" ({c.rows_dropped:,} dropped)" if c.rows_dropped else ""
    return (f"{name}: loaded {c.rows_loaded:,} of {c.rows_read:,} rows{dropped}, "
            f"{c.sectors:,} sector(s), {c.timestamps:,} timestamp(s){every}{zone}; "
            f"KPIs: {', '.join(kpis)}")
