"""Join a site/cell inventory (positions, azimuths, provinces) onto a KPI export.

PM exports rarely carry coordinates; the operator's inventory does, keyed by cell name.
Column names vary between inventories ("Latitude", "LAT", "lat"), so they are matched by
normalised name. A sector missing from the inventory is kept (without a position) and
listed: a new cell the inventory has not caught up with is not a reason to lose its data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.errors import KpiInputError
from telecom_nb.sources.columns import (
    AZIMUTH_NAMES,
    LAT_NAMES,
    LON_NAMES,
    PROVINCE_NAMES,
    SECTOR_NAMES,
    SITE_NAMES,
    bare_name,
    match_column,
    missing_columns_message,
    normalise,
)
from telecom_nb.sources.degrees import read_degrees
from telecom_nb.sources.reading import read_file, string_columns
from telecom_nb.sources.spec import SitesSpec
from telecom_nb.sources.values import sector_ids

AZIMUTH: str = "azimuth"
SITE: str = "site"
#: Columns an inventory contributes, in output order.
SITE_COLUMNS: tuple[str, ...] = (schema.PROVINCE, schema.LAT, schema.LON, AZIMUTH, SITE)
_SHOWN_MISSING = 5


@dataclass
class Inventory:
    """One row per sector id (index), columns of :data:`SITE_COLUMNS` (NaN when unknown)."""

    table: pd.DataFrame
    name: str
    messages: list[str] = field(default_factory=list)
    coords_invalid: int = 0
    by_site: bool = False  # one row per site (no cell column): cells found by name prefix


def coordinates(values: pd.Series, limit: float) -> tuple[np.ndarray, int]:
    """Degrees within ±limit (others NaN; ``35°41'22"N`` read too) and how many values were
    out of range or unreadable."""
    coords, unreadable = read_degrees(values)
    bad = ~(np.abs(coords) <= limit) & ~np.isnan(coords)
    coords[bad] = np.nan
    return coords, int(bad.sum()) + unreadable


def read_inventory(spec: SitesSpec, export_sector: str | None = None) -> Inventory:
    """Read the inventory; lat/lon and the sector column must be found, the rest is optional."""
    name = spec.path.name
    sector_candidates = ((normalise(export_sector),) if export_sector else ()) + SECTOR_NAMES
    named = {normalise(spec.sector)} if spec.sector else set(sector_candidates)
    # read once, an id column named like one as text ("040110231" keeps its zero)
    raw = string_columns(read_file(Path(spec.path), text_like=lambda c: bare_name(c) in named
                                   or c == spec.sector).frame, name)
    columns = list(raw.columns)
    chosen = {
        "sector": spec.sector or match_column(columns, sector_candidates),
        schema.LAT: spec.lat or match_column(columns, LAT_NAMES),
        schema.LON: spec.lon or match_column(columns, LON_NAMES),
        AZIMUTH: spec.azimuth or match_column(columns, AZIMUTH_NAMES),
        SITE: spec.site or match_column(columns, SITE_NAMES),
        schema.PROVINCE: spec.province or match_column(columns, PROVINCE_NAMES),
    }
    by_site = chosen["sector"] is None and chosen[SITE] is not None and not spec.sector
    if by_site:  # a site database: a position per site, its cells named after it
        chosen["sector"] = chosen[SITE]
    wanted = {"sector": spec.sector or export_sector or "Cell Name",
              schema.LAT: spec.lat or "lat", schema.LON: spec.lon or "lon"}
    missing = [(wanted[role], f"sites {role}") for role in wanted
               if chosen[role] is None or chosen[role] not in columns]
    missing += [(col, f"sites {role}") for role, col in chosen.items()
                if role not in wanted and col is not None and col not in columns]
    if missing:
        raise KpiInputError(f"{name}: {missing_columns_message(missing, columns)}")
    if raw.empty:
        raise KpiInputError(f"{name}: the site inventory has a header but no rows")

    ids = raw[chosen["sector"]]
    table = pd.DataFrame(index=pd.Index(sector_ids(ids), name=schema.SECTOR))
    invalid = 0
    for role, limit in ((schema.LAT, 90.0), (schema.LON, 180.0), (AZIMUTH, 360.0)):
        column = chosen[role]
        if column is None:
            table[role] = np.nan
            continue
        values, bad = coordinates(raw[column], limit)
        table[role] = values
        invalid += bad
    for role in (SITE, schema.PROVINCE):
        column = chosen[role]
        table[role] = raw[column].astype("str").to_numpy() if column else np.nan
    inventory = Inventory(table=table, name=name, coords_invalid=invalid, by_site=by_site)
    if by_site:
        inventory.messages.append(
            f"{name} has a site column ({chosen[SITE]!r}) but no cell column: each cell is "
            "placed at the site its id starts with")
    unnamed = table.index.isna()
    dup = table.index.duplicated(keep="first") & ~unnamed
    if unnamed.any() or dup.any():
        inventory.messages.append(
            f"{name}: ignored {int(unnamed.sum())} row(s) without a sector id and "
            f"{int(dup.sum())} repeated sector id(s) (kept the first)"
        )
    inventory.table = table[~unnamed & ~dup]
    if invalid:
        inventory.messages.append(f"{name}: {invalid} coordinate/azimuth value(s) out of "
                                  "range or unreadable read as unknown")
    return inventory


def join_inventory(frame: pd.DataFrame, inventory: Inventory) -> tuple[pd.DataFrame, list[str]]:
    """Fill the frame's site columns from the inventory (its values win; the export's fill
    gaps) and return the sector ids the inventory lacks, sorted. A sector id that is an
    object path (``eNodeB=X, Cell Name=X_1`` or ``X/Cell=X_1``) and is not an inventory id
    is looked up by the one part of its path that is."""
    sectors = frame[schema.SECTOR]
    distinct = pd.Index(pd.unique(sectors))
    site_finder = (("the site id their name starts with", prefix_keys),) if inventory.by_site \
        else ()
    for how, find in (*site_finder, ("a part of their object path", path_keys),
                      ("number (leading zeros aside)", digit_keys),
                      ("name written otherwise (case, Arabic/Persian letter forms)",
                       spelling_keys)):
        keys = find(distinct, inventory.table.index)
        if not len(keys):
            continue
        example = f"{keys.index[0]!r} -> {keys.iloc[0]!r}"
        inventory.messages.append(
            f"{inventory.name}: {len(keys):,} sector id(s) found by {how}, e.g. {example}")
        mapped = sectors.map(keys)
        sectors = mapped.where(mapped.notna(), sectors)
        distinct = pd.Index(pd.unique(sectors))
    looked_up = inventory.table.reindex(sectors.to_numpy())
    for column in SITE_COLUMNS:
        ours = pd.Series(looked_up[column].to_numpy(), index=frame.index)
        if column in frame.columns:
            existing = frame[column]
            if column == schema.PROVINCE:
                existing = existing.where(existing != schema.UNKNOWN_PROVINCE)
            ours = ours.where(ours.notna(), existing)
        frame[column] = ours
    frame[schema.PROVINCE] = frame[schema.PROVINCE].fillna(schema.UNKNOWN_PROVINCE)
    known = sectors.isin(inventory.table.index).to_numpy()
    missing = sorted(pd.unique(frame.loc[~known, schema.SECTOR]).tolist())
    return frame, missing


#: what separates an object path's parts, and a part's ``key=`` (or ``key:``) prefix
_PATH_SEPARATORS = r"\s*[,/;]\s*"
_PATH_KEY = r"^[^=:]*[=:]\s*"


def path_keys(sectors: pd.Index, known: pd.Index) -> pd.Series:
    """Inventory id per export sector id that is not one itself but has exactly one
    part of its object path that is (parts split at ``,`` ``/`` ``;``, ``key=`` dropped);
    one vectorised pass over the distinct ids."""
    unknown = sectors[~sectors.isin(known)].dropna()
    unknown = unknown[unknown.str.contains(r"[=,/;]", regex=True)]
    if not len(unknown):
        return pd.Series(dtype=object)
    parts = pd.Series(unknown, index=unknown).str.split(_PATH_SEPARATORS, regex=True).explode()
    parts = parts.str.replace(_PATH_KEY, "", regex=True).str.strip()
    hits = parts[parts.isin(known)]
    single = hits.groupby(level=0).nunique() == 1  # two different ids: ambiguous, not used
    hits = hits[~hits.index.duplicated(keep="first")]
    return hits[single.reindex(hits.index).to_numpy()].astype(object)


def digit_keys(sectors: pd.Index, known: pd.Index) -> pd.Series:
    """Inventory id per export sector id that is not one itself but is the same number
    (``040110231`` and ``40110231``: one file kept the zero a spreadsheet dropped);
    only when one inventory id is that number."""
    unknown = sectors[~sectors.isin(known)].dropna()
    unknown = unknown[unknown.astype("str").str.fullmatch(r"\d+")]
    if not len(unknown):
        return pd.Series(dtype=object)
    ids = known[known.astype("str").str.fullmatch(r"\d+")].astype("str")
    by_number = pd.Series(ids.to_numpy(dtype=object), index=ids.str.lstrip("0"))
    by_number = by_number[~by_number.index.duplicated(keep=False)]
    found = pd.Series(unknown.astype("str").str.lstrip("0").to_numpy(), index=unknown)
    return found.map(by_number).dropna().astype(object)


#: one spelling of letters that inventories and OSS exports write differently: Arabic
#: yeh/kaf/alef maksura as Persian ones, zero-width non-joiner and tatweel dropped
_SPELLING = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9",
                           "\u200c": None, "\u0640": None})


def spelled(ids: pd.Index) -> pd.Index:
    """Ids in one spelling: Unicode-compatible forms (NFKC: presentation forms, full-width
    digits), case folded, spaces collapsed, Arabic and Persian letter forms as one."""
    text = pd.Series(ids.astype("str"), dtype=object).str.normalize("NFKC").str.casefold()
    text = text.str.translate(_SPELLING).str.replace(r"\s+", " ", regex=True).str.strip()
    return pd.Index(text.to_numpy())


def spelling_keys(sectors: pd.Index, known: pd.Index) -> pd.Series:
    """Inventory id per export sector id that is not one itself but is spelled the same
    way (``THR002_1`` / ``thr002_1``, ``کرج_1`` with Persian kaf / ``كرج_1`` with Arabic
    kaf); only when one inventory id has that spelling."""
    unknown = sectors[~sectors.isin(known)].dropna()
    if not len(unknown):
        return pd.Series(dtype=object)
    by_spelling = pd.Series(known.to_numpy(dtype=object), index=spelled(known))
    by_spelling = by_spelling[~by_spelling.index.duplicated(keep=False)]
    found = pd.Series(spelled(unknown).to_numpy(), index=unknown)
    return found.map(by_spelling).dropna().astype(object)


def prefix_keys(sectors: pd.Index, known: pd.Index, longest: int = 4) -> pd.Series:
    """Site id per export cell id that starts with it and ends in a short sector part
    (``ISF01_1``, ``ISF01-2``, ``TH1234A`` -> ``ISF01``/``TH1234``): the longest such id,
    found by cutting 1..``longest`` characters (and a ``_``/``-``/space) off the end;
    compared as :func:`spelled` (a site database in Arabic letters, cells in Persian)."""
    unknown = pd.Series(sectors[~sectors.isin(known)].dropna(), dtype=object)
    by_spelling = pd.Series(known.to_numpy(dtype=object), index=spelled(known))
    by_spelling = by_spelling[~by_spelling.index.duplicated(keep=False)]
    found = pd.Series(np.nan, index=unknown.to_numpy(), dtype=object)
    for cut in range(1, longest + 1):
        stem = unknown.str[:-cut].str.rstrip("_- ")
        site = pd.Series(spelled(pd.Index(stem)), dtype=object).map(by_spelling)
        hit = found.isna().to_numpy() & site.notna().to_numpy() & (stem != "").to_numpy()
        found[hit] = site[hit].to_numpy()
    return found.dropna()


def missing_message(missing: list[str], n_sectors: int, inventory: str) -> str:
    """``3 of 120 sector(s) are not in sites.csv (kept, without a position): a, b, c``."""
    shown = ", ".join(missing[:_SHOWN_MISSING])
    more = f" and {len(missing) - _SHOWN_MISSING} more" if len(missing) > _SHOWN_MISSING else ""
    return (f"{len(missing):,} of {n_sectors:,} sector(s) are not in {inventory} "
            f"(kept, without a position): {shown}{more}")
