"""From ``detect``'s flags to one :class:`~telecom_nb.sources.spec.SourceSpec`, and back to
what a person should read about the load.

The CLI, Python (``load_source``, ``Monitor.from_source``) and the notebook read an export
through the same spec; the flags only override fields of the ``source.toml`` (or of the
default recipe for a plain file), so a recipe tried on the command line is the recipe the
notebook runs.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telecom_nb.errors import KpiInputError

if TYPE_CHECKING:
    import pandas as pd

    from telecom_nb.sources.ingest import LoadedSource
    from telecom_nb.sources.spec import SourceSpec

#: how the counters of a load read in a sentence
_DROPS = (("rows_bad_time", "no readable time"), ("rows_dst_gap",
                                                "skipped wall time written beside its hour after"),
          ("rows_missing_sector", "no sector id"), ("rows_duplicate", "duplicate (kept the last)"),
          ("rows_footer", "footer line(s)"),
          ("rows_redelivered", "re-delivered by a later file (kept the later)"),
          ("rows_header", "repeated header line(s)"))
#: rows loaded that needed a decision, in a sentence
_KEPT = (("rows_dst_shifted", "at a wall time the clock skipped, read as the hour after"),
         ("rows_unreliable", "flagged unreliable by the export (KPI values blank)"),
         ("times_dst_ambiguous", "at a wall time the clock repeated (clocks back), read in "
          "order: daylight time first, then standard"))
#: a KPI's bad direction in ``--check``'s words
_BAD = {"up": "when it rises", "down": "when it falls", "both": "either way"}


def names(text: str | None) -> tuple[str, ...] | None:
    """``"Date, Time"`` -> ``("Date", "Time")``; None when the flag was not given."""
    if text is None:
        return None
    out = tuple(n.strip() for n in text.split(",") if n.strip())
    if not out:
        raise KpiInputError(f"expected comma-separated column names; got {text!r}")
    return out


def source_spec(args: argparse.Namespace) -> SourceSpec:
    """The spec of ``--source`` (or the plain file's default) with every given flag applied."""
    from telecom_nb.sources.spec import SitesSpec, SourceSpec, read_holidays

    inputs = [args.input] if isinstance(args.input, str) else list(args.input or [])
    if args.source:
        base = SourceSpec.from_toml(args.source)
        if inputs:
            base = base.with_path(inputs)  # the same recipe for another export
    elif inputs:
        base = SourceSpec(path=tuple(Path(p) for p in inputs))
    else:
        raise KpiInputError("give the KPI file to read, or --source source.toml")
    changes: dict[str, Any] = {}
    if (stamp := names(args.timestamp_col)) is not None:
        changes["timestamp"] = stamp
    if args.time_format:
        changes.update(time_format=args.time_format, time_unit=None)
    if args.time_unit:
        changes.update(time_unit=args.time_unit, time_format=None)
    if getattr(args, "hour_ending", None) is not None:
        changes["hour_ending"] = args.hour_ending
    if args.timezone:
        changes["timezone"] = args.timezone
    if getattr(args, "holidays", None):
        given = Path(args.holidays)
        # a text of dates is split and checked where a toml's list is (SourceSpec)
        changes["holidays"] = read_holidays(given) if given.is_file() else args.holidays
    if getattr(args, "holiday_like", None):
        changes["holiday_like"] = args.holiday_like
    if args.sector_col:
        changes["sector"] = args.sector_col
    kpis, exclude = names(args.kpis), names(args.exclude)
    if kpis is not None:  # the flag's KPI choice replaces the file's
        changes.update(kpis=kpis, exclude=exclude or (),
                       kpi={k: v for k, v in base.kpi.items() if k in kpis})
    elif exclude is not None:
        changes.update(exclude=exclude, kpis=None,
                       kpi={k: v for k, v in base.kpi.items() if k not in exclude})
    if args.sites:
        changes["sites"] = SitesSpec(path=Path(args.sites))
    if args.allow_drops:
        changes["allow_drops"] = True
    if getattr(args, "encoding", None):
        changes["encoding"] = args.encoding
    if getattr(args, "sheet", None):
        changes["sheet"] = args.sheet
    if not changes:
        return base
    if base.origin:  # messages still name the file the rest came from
        changes["origin"] = f"{base.origin} + flags"
    return replace(base, **changes)


def load_notes(loaded: LoadedSource) -> list[str]:
    """What was loaded and what was not: the loader's messages plus its counters."""
    c = loaded.counters
    dropped = ", ".join(f"{getattr(c, key):,} {what}" for key, what in _DROPS
                        if getattr(c, key))
    rows = (f"rows: {c.rows_read:,} read = {c.rows_loaded:,} loaded + {c.rows_dropped:,} "
            f"dropped" + (f" ({dropped})" if dropped else ""))
    kept = ", ".join(f"{getattr(c, key):,} {what}" for key, what in _KEPT if getattr(c, key))
    if kept:
        rows += f"; loaded: {kept}"
    if c.files > 1 or c.lines_above_header:
        rows += (f"; {c.files:,} file(s), {c.lines_above_header:,} title line(s) above the "
                 "header skipped")
    values = "KPI values: none missing"
    if c.values_missing:
        nulls = f"{c.values_null_token:,} vendor nulls, " if c.values_null_token else ""
        values = (f"KPI values: {c.values_missing:,} missing (of which {nulls}"
                  f"{c.values_non_numeric:,} non-numeric, {c.values_infinite:,} infinite): kept "
                  "blank, read by the detector as no evidence")
    cadence = "n/a (no sector has two rows)" if loaded.cadence is None else _step(loaded.cadence)
    sites = ""
    if loaded.spec.sites is not None:
        sites = (f"; {c.sectors_without_site:,} without a site in "
                 f"{loaded.spec.sites.path.name}")
    sectors = (f"sectors: {c.sectors:,}{sites}; timestamps: {c.timestamps:,}; cadence: "
               f"{cadence}; time zone: {loaded.spec.timezone}")
    return [*loaded.messages, rows, values, sectors]


def check_report(loaded: LoadedSource) -> list[str]:
    """``detect --check``'s report: :func:`load_notes`, the time span on both clocks, and
    each KPI as the detector and dashboard will read it (label, unit, bad direction)."""
    from telecom_nb import schema

    path = loaded.spec.path
    shown = ", ".join(map(str, path)) if isinstance(path, tuple) else str(path)
    lines = [f"source: {shown}" + (f" ({loaded.spec.origin})"
                                              if loaded.spec.origin else ""),
             *load_notes(loaded)]
    stamps = loaded.frame[schema.TIMESTAMP]
    if len(stamps):
        first, last = stamps.min(), stamps.max()
        local = [t.tz_convert(loaded.spec.timezone).isoformat(sep=" ", timespec="minutes")
                 for t in (first, last)]
        lines.append(f"time span: {local[0]} to {local[1]} ({loaded.spec.timezone}); "
                     f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC")
        spec = loaded.spec
        if spec.holidays:
            inside = sum(local[0][:10] <= day <= local[1][:10] for day in spec.holidays)
            lines.append(f"holidays: {len(spec.holidays):,} declared ({inside:,} in the time "
                         f"span), each expected like a {spec.holiday_like}")
    for kpi in loaded.kpis:
        info = loaded.kpi_info.get(kpi)
        if info is not None:
            shown = f"; shown as {info.display!r}" if info.display != kpi else ""
            lines.append(f"KPI {kpi!r}: bad {_BAD[info.bad]}{shown}")
    return lines


def _step(step: pd.Timedelta) -> str:
    seconds = step.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def drop_hint(exc: KpiInputError) -> KpiInputError:
    """The loader's 1 % error, its fix spelt for the command line."""
    text = str(exc).replace("set allow_drops = true",
                            "pass --allow-drops (or allow_drops = true in source.toml)")
    return KpiInputError(text, reason=exc.reason)
