"""Which columns of an export are KPIs, which are identity, position or labels.

Operator exports carry numeric columns that are *not* KPIs: cell and node ids, TAC, PCI,
coordinates, calendar fields, and sometimes a 0/1 label. Taking them as KPIs makes the
detector flag a new TAC as an anomaly, so the default KPI choice skips them *by rule* and
reports each skipped column with its reason.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.sources.values import null_tokens, ungrouped

#: Columns that carry labels or scoring output: never auto-detected as KPIs.
LABEL_COLUMNS: frozenset[str] = frozenset(
    {schema.FAULT, "label", "blank", "imputed", *schema.SCORED_COLUMNS}
)
#: Whole names (lower case, separators removed) of network identifiers.
_ID_NAMES = frozenset({
    "tac", "lac", "rac", "pci", "psc", "ci", "eci", "ecgi", "nci", "ncgi", "cgi", "lcid",
    "earfcn", "arfcn", "nrarfcn", "uarfcn", "mcc", "mnc", "plmn", "rnc", "bsc", "bts",
    "enodeb", "gnodeb", "nodeb", "enb", "gnb", "site", "cell", "sector", "node", "nrcell",
    "eutrancell", "localcellid", "cellindex", "band", "bandwidth", "freqband",
    # 3GPP network resource model classes (TS 28.622/28.658/28.541) as export columns
    "ne", "me", "managedelement", "mecontext", "subnetwork", "enbfunction", "gnbdufunction",
    "gnbcucpfunction", "eutrancellfdd", "eutrancelltdd", "nrcelldu", "nrcellcu", "utrancell",
    "gsmcell",
})
#: A last word meaning the column names a thing rather than measures it.
_ID_SUFFIXES = frozenset({"id", "name", "code", "key", "index", "idx", "no", "number"})
#: Words that make "number"/"index" a measurement, not an id ("Number of Users", "Avg CQI Index").
_COUNT_WORDS = frozenset({"of", "avg", "average", "mean", "max", "min", "total", "sum"})
_POSITION_NAMES = frozenset({
    "lat", "latitude", "lon", "lng", "long", "longitude", "azimuth", "azi", "az", "bearing",
    "tilt", "etilt", "mtilt", "height", "antennaheight",
})
_CALENDAR_NAMES = frozenset({
    "year", "month", "day", "hour", "minute", "week", "weekday", "dayofweek", "dow", "period",
    "granularity", "granularityperiod", "interval", "resultperiod", "reliability", "quarter",
    "periodduration", "periodlength",
})
_LABEL_WORDS = frozenset({
    "label", "labels", "unusual", "anomaly", "anomalous", "isanomaly", "fault", "faulty",
    "isfault", "outlier", "isoutlier", "target", "groundtruth", "gt", "attack", "incident",
    "abnormal", "isabnormal", "class", "y",
})


#: a unit in brackets after a name: ``Period(min)``, ``Azimuth [deg]``
_UNIT = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def normalise(name: str) -> str:
    """``"Cell ID"``, ``"cell_id"``, ``"CellId"`` -> ``"cellid"``, ``"Région"`` ->
    ``"region"`` for name matching (accents dropped, not the letter under them)."""
    plain = unicodedata.normalize("NFKD", str(name).lower())
    return re.sub(r"[^0-9a-z]", "", "".join(c for c in plain if not unicodedata.combining(c)))


def bare_name(name: str) -> str:
    """:func:`normalise` of the name with its unit in brackets left out
    (``"Period(min)"`` -> ``"period"``, ``"Cell ID [text]"`` -> ``"cellid"``)."""
    return normalise(_UNIT.sub("", str(name)))


def words(name: str) -> list[str]:
    """Lower-case words of a column name, camelCase and units in brackets split off."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    spaced = _UNIT.sub(" ", spaced)
    return [w for w in re.split(r"[^0-9a-z]+", spaced.lower()) if w]


def numeric_share(values: pd.Series) -> float:
    """Share of the non-missing values that read as numbers (1.0 for numeric dtypes); a
    vendor's null token counts as missing."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return 0.0
    if pd.api.types.is_numeric_dtype(values.dtype):
        return 1.0
    if not (pd.api.types.is_string_dtype(values.dtype) or values.dtype == object):
        return 0.0
    sample = values.dropna().iloc[:10_000]
    sample = sample[~null_tokens(sample)]  # NIL, /0, #DIV/0!: missing, not text
    if sample.empty:
        return 0.0
    try:
        return float(ungrouped(sample).notna().mean())
    except (TypeError, ValueError, OverflowError):
        return 0.0


def _binary(values: pd.Series) -> bool:
    """Only 0/1 (or booleans) among the non-missing values: a label, not a measurement."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return True
    present = pd.to_numeric(values.dropna().iloc[:50_000], errors="coerce")
    return bool(len(present)) and bool(np.isin(present.dropna().unique(), (0, 1)).all())


def _measured(values: pd.Series, groups: pd.Series | None) -> bool:
    """Values that are not ids: some not whole, and (``groups``: each row's cell) changing
    over time within a cell. An id is a whole number and one value per cell."""
    sample = values.iloc[:50_000]
    numbers = pd.to_numeric(ungrouped(sample), errors="coerce").to_numpy(dtype=float)
    present = np.isfinite(numbers)
    if not present.any() or np.all(numbers[present] == np.round(numbers[present])):
        return False
    if groups is None:
        return True
    cells = pd.Series(numbers[present], index=np.asarray(groups.iloc[:50_000])[present])
    return bool((cells.groupby(level=0, sort=False).nunique() > 1).any())


def skip_reason(name: str, values: pd.Series, groups: pd.Series | None = None) -> str | None:
    """Why a numeric column is not a KPI (None: it is one). A name ending in an id word
    (``Weird Index``, ``... Name``) is an identifier only when its values look like ids:
    "Interference Index" or "CQI Index" with fractional values changing over time within a
    cell (``groups``: each row's cell) is a KPI; whole names (``TAC``, ``Cell ID``) always
    are identifiers."""
    if name in LABEL_COLUMNS or name in schema.ID_COLUMNS:
        return "label or scoring column" if name in LABEL_COLUMNS else "schema id column"
    flat = normalise(name)
    tokens = words(name)
    bare = bare_name(name)  # "Period(min)", "Azimuth (deg)": the unit aside
    if flat in _POSITION_NAMES or bare in _POSITION_NAMES:
        return "position column"
    if flat in _CALENDAR_NAMES or bare in _CALENDAR_NAMES:
        return "calendar or period field"
    if flat in _ID_NAMES or (len(tokens) > 1 and set(tokens) <= _ID_NAMES):  # "LAC/TAC"
        return "identifier"
    if (tokens and tokens[-1] in _ID_SUFFIXES and not _COUNT_WORDS & set(tokens)
            and not _measured(values, groups)):
        return "identifier"
    if (flat in _LABEL_WORDS or (tokens and tokens[0] in {"is", "has"})
            or _LABEL_WORDS & set(tokens[:1])) and _binary(values):
        return "label-like 0/1 column"
    return None


def classify(
    raw: pd.DataFrame, used: set[str], groups: pd.Series | None = None
) -> tuple[list[str], dict[str, str]]:
    """Default KPIs (numeric, not skipped) and each other column's reason for skipping
    (``groups``: each row's cell, when the export has a cell column)."""
    kpis: list[str] = []
    skipped: dict[str, str] = {}
    for column in map(str, raw.columns):
        if column in used:
            continue
        if not raw[column].notna().any():  # a counter not collected: nothing to learn
            skipped[column] = "blank in every row"
            continue
        if numeric_share(raw[column]) < 0.5:
            skipped[column] = "not numeric"
            continue
        reason = skip_reason(column, raw[column], groups)
        if reason is None:
            kpis.append(column)
        else:
            skipped[column] = reason
    return kpis, skipped


# --------------------------------------------------------------------------- names


#: Name fragments that usually mean a column plays this role (for suggestions).
ROLE_HINTS: dict[str, tuple[str, ...]] = {
    "timestamp": ("time", "date", "ts", "when"),
    "sector": ("sector", "cell", "site", "enb", "node"),
}


def suggest(column: str, role: str, columns: list[str]) -> str | None:
    """The likeliest intended column for a name that is not there."""
    close = difflib.get_close_matches(column, columns, n=1, cutoff=0.6)
    if close:
        return close[0]
    lowered = {c.lower(): c for c in columns}
    if column.lower() in lowered:
        return lowered[column.lower()]
    # A mistyped start of a long vendor name ("DL Trafic" for "DL Traffic Volume (GB)").
    prefixes = {c[: len(column) + 1].lower(): c for c in columns}
    close = difflib.get_close_matches(column.lower(), list(prefixes), n=1, cutoff=0.8)
    if close:
        return prefixes[close[0]]
    hinted = [c for c in columns if any(h in c.lower() for h in ROLE_HINTS.get(role, ()))]
    return hinted[0] if len(hinted) == 1 else None


def missing_columns_message(missing: list[tuple[str, str]], columns: list[str]) -> str:
    """``column 'ts' not found (mapped as timestamp); columns are: a, b`` (+ suggestions)."""
    parts = [f"column {column!r} not found (mapped as {role})" for column, role in missing]
    message = "; ".join(parts) + f"; columns are: {', '.join(columns)}"
    for column, role in missing:
        if (close := suggest(column, role, columns)) is not None:
            message += f"; did you mean {close!r} for {column!r}?"
    return message


def match_column(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    """First column whose normalised name is one of ``candidates`` (in candidate order);
    failing that, the same with a unit in brackets dropped (``Azimuth (deg)``, ``LAT [°]``)."""
    for strip in (False, True):
        names = (re.sub(r"\([^)]*\)|\[[^\]]*\]", "", c) if strip else c for c in columns)
        by_name = {normalise(n): c for n, c in reversed(list(zip(names, columns, strict=True)))}
        for candidate in candidates:
            if candidate in by_name:
                return by_name[candidate]
    return None


LAT_NAMES = ("lat", "latitude")
LON_NAMES = ("lon", "lng", "long", "longitude")
PROVINCE_NAMES = ("province", "region", "state", "ostan", "area", "governorate", "provincia",
                  "provincie", "regiao")
AZIMUTH_NAMES = ("azimuth", "azi", "az", "bearing", "direction")
SITE_NAMES = ("site", "siteid", "sitename", "sitecode", "enodebname", "enodebid", "enodeb",
              "gnodebname", "gnodebid", "gnodeb", "enb", "gnb", "nodeb", "nodebname")
SECTOR_NAMES = ("sectorid", "sector", "cellname", "cell", "cellid", "eutrancell", "nrcell")
