"""One definition of a data source: which file, which columns, which clock, which KPIs.

A ``source.toml`` next to an operator export (one file, a glob such as
``exports/*.csv``, a folder, or a list of them) says once what every tool (CLI, notebook,
dashboard) needs to read it; the same :class:`SourceSpec` can be built in code. Paths are
relative to the toml file; an unknown key is an error naming the key and the file, so a
typo (``timstamp``) never silently falls back to a default.
"""

from __future__ import annotations

import difflib
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from telecom_nb.errors import KpiInputError, ParameterError
from telecom_nb.local_dates import WEEKDAYS, LocalDates
from telecom_nb.sources.files import describe_paths, expand
from telecom_nb.sources.kpiinfo import BAD_DIRECTIONS
from telecom_nb.sources.textfile import check_encoding
from telecom_nb.sources.timeparse import EPOCH_UNITS


@dataclass(frozen=True)
class KpiSpec:
    """``[kpi."E-RAB Drop Rate (%)"]``: what the name alone may not say."""

    label: str | None = None
    unit: str | None = None
    bad: str | None = None  # up | down | both


@dataclass(frozen=True)
class SitesSpec:
    """A site/cell inventory joined by sector id; column names are matched when omitted."""

    path: Path
    sector: str | None = None
    lat: str | None = None
    lon: str | None = None
    azimuth: str | None = None
    site: str | None = None
    province: str | None = None


def _validate_zone(zone: str) -> None:
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise KpiInputError(
            f"timezone {zone!r} is not an IANA time zone name (e.g. 'Asia/Tehran', 'UTC')"
        ) from exc


def read_holidays(path: Path) -> tuple[str, ...]:
    """A holiday list file: one local date per line (the first comma- or
    semicolon-separated field; a header line and ``#`` comments are skipped)."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise KpiInputError(f"holidays: {path}: no such file") from None
    dates = []
    for number, line in enumerate(lines, start=1):
        field_ = line.split("#", 1)[0].replace(";", ",").split(",", 1)[0].strip()
        if not field_:
            continue
        try:
            dates.append(_DATES.validate(None, field_)[0])
        except ParameterError:
            if dates or any(ch.isdigit() for ch in field_):  # only a header may be text
                raise KpiInputError(f"{path.name} line {number}: {field_!r} is not a date "
                                    f"like 2026-10-14") from None
    return tuple(sorted(set(dates)))


_DATES = LocalDates()
_DATES.name = "holidays"


@dataclass(frozen=True)
class SourceSpec:
    """Everything needed to read one KPI export into the project schema.

    ``timestamp`` is one column or several joined with a space (``("Date", "Time")``;
    ``time_format`` then describes the joined text). ``sector=None`` means the column
    ``sector_id`` if the file has one, else the file is one series. Naive times are wall
    clock times in ``timezone``; they are stored as UTC. ``holidays`` (local dates) are
    expected like ``holiday_like``'s weekday (``"Fri"`` in Iran, ``"Sun"`` in most of
    Europe): the detector cannot foretell a working day off. ``hour_ending``: an hour
    number beside a date (``("Date", "Hour")``) runs 1-24 (True) or 0-23 (False); None
    reads it by its range (1-24 only when a 24 is in the file).
    """

    path: Path | tuple[Path, ...]  # a file, a glob, a folder, or several of these
    timestamp: tuple[str, ...] = ("timestamp",)
    time_format: str | None = None
    time_unit: str | None = None
    hour_ending: bool | None = None  # an hour number beside a date: 1-24 / 0-23 / by range
    sector: str | None = None
    timezone: str = "UTC"
    holidays: tuple[str, ...] = ()
    holiday_like: str | None = None  # required with holidays: which weekday they resemble
    sites: SitesSpec | None = None
    kpis: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    allow_drops: bool = False
    kpi: Mapping[str, KpiSpec] = field(default_factory=lambda: MappingProxyType({}))
    province: str | None = None  # export columns; matched by name when omitted
    lat: str | None = None
    lon: str | None = None
    encoding: str | None = None  # None: from a BOM, else UTF-8, else cp1252 (reported)
    sheet: str | None = None  # an Excel workbook's sheet (default: the first)
    origin: str = ""  # the toml file this came from, for messages

    def __post_init__(self) -> None:
        where = f"{self.origin}: " if self.origin else ""
        stamp = (self.timestamp,) if isinstance(self.timestamp, str) else tuple(self.timestamp)
        object.__setattr__(self, "timestamp", stamp)
        object.__setattr__(self, "path", _paths(self.path))
        object.__setattr__(self, "exclude", tuple(self.exclude))
        if self.kpis is not None:
            object.__setattr__(self, "kpis", tuple(self.kpis))
        try:
            self._coerce_tables()
            if not stamp or not all(isinstance(c, str) and c for c in stamp):
                raise KpiInputError("timestamp must be a column name or a list of them")
            if self.time_unit is not None and self.time_unit not in EPOCH_UNITS:
                raise KpiInputError(
                    f"time_unit must be one of {', '.join(EPOCH_UNITS)}; got {self.time_unit!r}"
                )
            if self.time_unit is not None and self.time_format is not None:
                raise KpiInputError("give time_format or time_unit, not both")
            _validate_zone(self.timezone)
            self._check_holidays()
            if self.encoding is not None:
                check_encoding(self.encoding)
            if self.kpis is not None and self.exclude:
                raise KpiInputError("give kpis (the KPI columns) or exclude, not both")
            if self.kpis is not None and not self.kpis:
                raise KpiInputError("kpis is empty; name at least one KPI column")
            for name, meta in self.kpi.items():
                if meta.bad is not None and meta.bad not in BAD_DIRECTIONS:
                    raise KpiInputError(
                        f"kpi {name!r}: bad must be one of up, down, both; got {meta.bad!r}"
                    )
        except KpiInputError as exc:
            raise KpiInputError(f"{where}{exc}") from None

    def _coerce_tables(self) -> None:
        """``sites="sites.csv"`` and ``kpi={"X": {"bad": "up"}}`` in code, as in a toml
        (they raised AttributeError deep in the loader); a wrong key named as the toml's."""
        origin = self.origin or "SourceSpec"
        sites = self.sites
        if isinstance(sites, (str, Path)):
            sites = SitesSpec(path=Path(sites))
        elif isinstance(sites, Mapping):
            sites = _sites(dict(sites), Path("."), origin)
        elif sites is not None and not isinstance(sites, SitesSpec):
            raise KpiInputError(f"sites must be a path, a SitesSpec or a table of "
                                f"{', '.join(_SITES_KEYS)}; got {type(sites).__name__}")
        object.__setattr__(self, "sites", sites)
        kpi = dict(self.kpi)
        tables = {k: dict(v) for k, v in kpi.items() if isinstance(v, Mapping)}
        kpi.update(_kpi_tables(tables, origin) if tables else {})
        odd = [k for k, v in kpi.items() if not isinstance(v, KpiSpec)]
        if odd:
            raise KpiInputError(f"kpi {odd[0]!r}: give a KpiSpec or a table of label, unit, "
                                "bad")
        object.__setattr__(self, "kpi", MappingProxyType(kpi))

    def _check_holidays(self) -> None:
        try:
            object.__setattr__(self, "holidays", _DATES.validate(None, self.holidays))
        except ParameterError as exc:
            raise KpiInputError(str(exc)) from None
        if self.holiday_like is not None and self.holiday_like not in WEEKDAYS:
            raise KpiInputError(f"holiday_like must be one of {', '.join(WEEKDAYS)}; "
                                f"got {self.holiday_like!r}")
        if self.holidays and self.holiday_like is None:
            raise KpiInputError("holidays needs holiday_like: the weekday a holiday resembles "
                                "(e.g. 'Fri' in Iran, 'Sun' in most of Europe)")

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The network's time zone, for showing local times."""
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def name(self) -> str:
        return self.origin or self.path_name

    @property
    def path_name(self) -> str:
        """The export's name in messages (``export.csv``, ``*.csv``, ``a.csv + 2 more``)."""
        return describe_paths(self.path)

    @property
    def files(self) -> list[Path]:
        """The export's files in reading order (globs and folders expanded)."""
        return expand(self.path)

    def with_path(self, path: str | Path | Sequence[str | Path]) -> SourceSpec:
        """The same recipe for another export (e.g. next week's file, or a day's files)."""
        return replace(self, path=_paths(path))

    @classmethod
    def from_toml(cls, path: str | Path) -> SourceSpec:
        """Read a ``source.toml``; relative paths in it are relative to its folder."""
        import tomllib  # Python 3.11+; imported here so the package still imports on 3.10

        from telecom_nb.sources.reading import SUFFIXES

        path = Path(path)
        if path.name.lower().endswith(SUFFIXES):
            raise KpiInputError(
                f"{path.name} is an export, not a source.toml: pass it as an input "
                f"(telecom-nb detect {path.name} --timestamp-col ... --sector-col ...) or "
                f'name it in a source.toml (path = "{path.name}")')
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise FileNotFoundError(f"{path}: no such file") from None
        except tomllib.TOMLDecodeError as exc:
            raise KpiInputError(f"{path.name}: not valid TOML: {exc}") from None
        except UnicodeDecodeError:
            raise KpiInputError(f"{path.name}: not a text file (bytes are not UTF-8)") from None
        return cls.from_dict(data, base=path.parent, origin=path.name)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, base: str | Path = ".", origin: str = "<dict>"
    ) -> SourceSpec:
        """Build from parsed toml (or a plain dict); every key is checked."""
        base = Path(base)
        _check_keys(data, _TOP_KEYS, origin, "")
        if "path" not in data:
            raise KpiInputError(f"{origin}: missing key 'path' (the export file)")
        kwargs: dict[str, Any] = {"origin": origin}
        for key, kind in _TOP_KEYS.items():
            if key in data and kind is not None:
                kwargs[key] = _typed(data[key], kind, origin, key)
        given = kwargs["path"]
        kwargs["path"] = (base / given if isinstance(given, str)
                          else tuple(base / p for p in given))
        if isinstance(kwargs["path"], tuple) and not kwargs["path"]:
            raise KpiInputError(f"{origin}: path is an empty list; name the export file(s)")
        if "sites" in data:
            kwargs["sites"] = _sites(data["sites"], base, origin)
        if "holidays" in data:
            kwargs["holidays"] = _holidays(data["holidays"], base, origin)
        if "kpi" in data:
            kwargs["kpi"] = _kpi_tables(data["kpi"], origin)
        return cls(**kwargs)


# --------------------------------------------------------------------------- toml checks

_STR, _STRS, _BOOL, _STR_OR_STRS = "a string", "a list of strings", "true or false", "str|list"
_TOP_KEYS: dict[str, str | None] = {
    "path": _STR_OR_STRS, "timestamp": _STR_OR_STRS, "time_format": _STR, "time_unit": _STR,
    "hour_ending": _BOOL,
    "sector": _STR, "timezone": _STR, "holidays": None, "holiday_like": _STR, "sites": None,
    "kpis": _STRS, "exclude": _STRS,
    "allow_drops": _BOOL, "kpi": None, "province": _STR, "lat": _STR, "lon": _STR,
    "encoding": _STR, "sheet": _STR,
}
_SITES_KEYS = {f.name: _STR for f in fields(SitesSpec)}
_KPI_KEYS = {f.name: _STR for f in fields(KpiSpec)}


def _paths(value: Any) -> Path | tuple[Path, ...]:
    """One path as a Path; several as a tuple (one element: the Path itself)."""
    if isinstance(value, (str, Path)):
        return Path(value)
    paths = tuple(Path(v) for v in value)
    return paths[0] if len(paths) == 1 else paths


def _check_keys(data: Any, known: Mapping[str, Any], origin: str, where: str) -> None:
    if not isinstance(data, Mapping):
        raise KpiInputError(f"{origin}: {where.rstrip('.') or 'the file'} must be a table")
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(known)}"
            raise KpiInputError(f"{origin}: unknown key '{where}{key}'{hint}")


def _typed(value: Any, kind: str, origin: str, key: str) -> Any:
    ok = {
        _STR: isinstance(value, str),
        _BOOL: isinstance(value, bool),
        _STRS: isinstance(value, list) and all(isinstance(v, str) for v in value),
        _STR_OR_STRS: isinstance(value, str)
        or (isinstance(value, list) and all(isinstance(v, str) for v in value)),
    }[kind]
    if not ok:
        expected = "a string or a list of strings" if kind == _STR_OR_STRS else kind
        raise KpiInputError(f"{origin}: {key} must be {expected}; got {value!r}")
    return tuple(value) if isinstance(value, list) else value


def _sites(value: Any, base: Path, origin: str) -> SitesSpec:
    if isinstance(value, str):
        return SitesSpec(path=base / value)
    _check_keys(value, _SITES_KEYS, origin, "sites.")
    if "path" not in value:
        raise KpiInputError(f"{origin}: [sites] needs a path")
    kwargs = {k: _typed(v, _STR, origin, f"sites.{k}") for k, v in value.items()}
    kwargs["path"] = base / kwargs["path"]
    return SitesSpec(**kwargs)


def _holidays(value: Any, base: Path, origin: str) -> tuple[str, ...]:
    """A list of local dates, or a file of them (one a line) relative to the toml."""
    if isinstance(value, str):
        try:
            return read_holidays(base / value)
        except KpiInputError as exc:
            raise KpiInputError(f"{origin}: {exc}") from None
    return _typed([str(v) for v in value] if isinstance(value, list) else value, _STRS,
                  origin, "holidays")


def _kpi_tables(value: Any, origin: str) -> dict[str, KpiSpec]:
    _check_keys(value, {k: None for k in value} if isinstance(value, Mapping) else {},
                origin, "kpi.")
    out = {}
    for name, meta in value.items():
        _check_keys(meta, _KPI_KEYS, origin, f'kpi."{name}".')
        out[name] = KpiSpec(**{k: _typed(v, _STR, origin, f"kpi.{name}.{k}")
                               for k, v in meta.items()})
    return out
