"""An operator's own labelled incidents as the ``fault`` column the metrics read.

Labels come as a small table (a ticket export, a spreadsheet): the time of each faulty
period, the cell, and a label or fault kind. Its times are read like the export's (same
columns when it has them, same time zone), so a label lands on the scored row of that
cell and period. The metrics then run unchanged on ``fault``; a label that matches no
scored row is counted and reported, never silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.errors import KpiInputError
from telecom_nb.params import short_duration
from telecom_nb.sources.columns import SECTOR_NAMES, match_column
from telecom_nb.sources.local_time import localize
from telecom_nb.sources.reading import read_raw, string_columns
from telecom_nb.sources.spec import SourceSpec
from telecom_nb.sources.time_columns import time_text
from telecom_nb.sources.timeparse import parse_times
from telecom_nb.sources.values import examples, sector_ids

#: label column names (normalised), most specific first
LABEL_NAMES = ("fault", "faultkind", "faulttype", "kind", "label", "labels", "anomaly",
               "incident", "incidenttype", "class", "type")
#: single time column names (normalised) tried when the source's columns are absent
TIME_NAMES = ("timestamp", "time", "datetime", "starttime", "periodstarttime", "start")
#: label texts that mean "not a fault" (a 0/1 or true/false label column)
NORMAL_TEXTS = frozenset({"", "0", "0.0", "false", "no", "normal", "none", "ok", "nan"})
#: the kind given to a positive label that names no kind ("1", "true", "yes")
GENERIC_KIND = "labelled"


@dataclass
class Labels:
    """Labelled rows in the project schema: timestamp (UTC), sector_id, fault (its kind)."""

    frame: pd.DataFrame
    rows_read: int
    messages: list[str] = field(default_factory=list)


def _time_columns(columns: list[str], spec: SourceSpec | None, name: str) -> tuple[str, ...]:
    if spec is not None and all(c in columns for c in spec.timestamp):
        return spec.timestamp
    if {"Date", "Time"} <= set(columns):
        return ("Date", "Time")
    if found := match_column(columns, TIME_NAMES):
        return (found,)
    raise KpiInputError(f"{name}: no time column found (looked for "
                        f"{' + '.join(spec.timestamp) if spec else 'timestamp'}, Date + Time, "
                        f"time); columns are: {', '.join(columns)}")


def _pick(columns: list[str], given: str | None, names: tuple[str, ...], role: str,
          name: str) -> str:
    if given is not None and given in columns:
        return given
    if found := match_column(columns, names):
        return found
    raise KpiInputError(f"{name}: no {role} column found (looked for "
                        f"{given or names[0]!r} and usual names); columns are: "
                        f"{', '.join(columns)}")


def read_labels(path: str | Path, *, spec: SourceSpec | None = None,
                timezone: str | None = None) -> Labels:
    """Read ``labels.csv``; times in ``timezone`` (default: the spec's, else UTC)."""
    path = Path(path)
    name = path.name
    raw = string_columns(read_raw(path), name).reset_index(drop=True)
    columns = [str(c) for c in raw.columns]
    stamp_cols = _time_columns(columns, spec, name)
    sector = _pick(columns, spec.sector if spec else None, SECTOR_NAMES, "sector/cell", name)
    label = _pick([c for c in columns if c not in (*stamp_cols, sector)], None, LABEL_NAMES,
                  "label or fault kind", name)
    zone = timezone or (spec.timezone if spec else "UTC")
    same = spec is not None and stamp_cols == spec.timestamp
    try:
        parsed = parse_times(time_text(raw, stamp_cols, spec.hour_ending if same else None),
                             column=" + ".join(stamp_cols),
                             time_format=spec.time_format if same else None,
                             time_unit=spec.time_unit if same else None,
                             other_columns=columns)
    except KpiInputError as exc:
        raise KpiInputError(f"{name}: {exc}") from None
    sectors = sector_ids(raw[sector])
    stamps = localize(parsed, zone, groups=sectors).utc
    kinds = raw[label].astype("str").str.strip().fillna("")
    normal = kinds.str.lower().isin(NORMAL_TEXTS).to_numpy() | raw[label].isna().to_numpy()
    positive = kinds.str.lower().isin(("1", "1.0", "true", "yes")).to_numpy()
    kinds = kinds.where(~positive, GENERIC_KIND)
    unusable = stamps.isna().to_numpy() | sectors.isna().to_numpy()
    messages = []
    if unusable.any():
        rows = np.flatnonzero(unusable)
        messages.append(f"{name}: {rows.size:,} label row(s) without a readable time or "
                        f"cell were not used: {examples(rows, raw[stamp_cols[0]])}")
    keep = ~unusable & ~normal
    frame = pd.DataFrame({schema.TIMESTAMP: stamps[keep], schema.SECTOR: sectors[keep],
                          schema.FAULT: kinds[keep]}).reset_index(drop=True)
    return Labels(frame, len(raw), messages)


def apply_labels(scored: pd.DataFrame, labels: Labels, name: str = "labels") -> tuple[
        pd.DataFrame, list[str]]:
    """``scored`` with ``fault`` from the labels ('' elsewhere), and what did not match."""
    keys = labels.frame.drop_duplicates([schema.TIMESTAMP, schema.SECTOR], keep="last")
    stamps = pd.to_datetime(scored[schema.TIMESTAMP], utc=True)
    left = pd.DataFrame({schema.TIMESTAMP: stamps,
                         schema.SECTOR: scored[schema.SECTOR].astype("str")})
    right = keys.assign(**{schema.SECTOR: keys[schema.SECTOR].astype("str")})
    merged = left.merge(right, on=[schema.TIMESTAMP, schema.SECTOR], how="left")
    out = scored.copy()
    out[schema.FAULT] = merged[schema.FAULT].fillna("").to_numpy(dtype=object)
    matched = int((out[schema.FAULT] != "").sum())
    unmatched = len(keys) - matched
    messages = [*labels.messages,
                f"{name}: {labels.rows_read:,} label row(s), {len(keys):,} faulty "
                f"(cell, time) pair(s); {matched:,} matched a scored row"]
    if unmatched:
        messages.append(f"{name}: {unmatched:,} faulty label(s) match no scored row (a cell "
                        "not in the data, a time outside it or dropped at loading, or "
                        "another time zone: check --timezone)")
    return out, messages


def parse_skip(text: str) -> pd.Timedelta:
    """``--skip 7D``: a non-negative duration, checked before any work."""
    try:
        span = pd.Timedelta(text)
    except (TypeError, ValueError):
        raise KpiInputError(f"--skip {text!r}: expected a duration such as 7D or 36h") from None
    if pd.isna(span) or span < pd.Timedelta(0):
        raise KpiInputError(f"--skip {text!r}: expected a positive duration such as 7D")
    return span


def skip_warmup(scored: pd.DataFrame, span: pd.Timedelta,
                timezone: str | None = None) -> tuple[pd.DataFrame, str]:
    """Rows after the first ``span`` of data time (the detector's warm-up) only; the note
    says where evaluation starts on the network's clock (``timezone``) as well as in UTC."""
    stamps = pd.to_datetime(scored[schema.TIMESTAMP], utc=True)
    start = stamps.min() + span
    keep = (stamps >= start).to_numpy()
    if not keep.any():
        raise KpiInputError(f"--skip {short_duration(span)}: the data spans only "
                            f"{short_duration(stamps.max() - stamps.min())}; nothing left to "
                            "evaluate")
    utc = f"{start:%Y-%m-%d %H:%M} UTC"
    when = f"{start.tz_convert(timezone):%Y-%m-%d %H:%M} {timezone} ({utc})" if (
        timezone and timezone != "UTC") else utc
    note = (f"skipped {int((~keep).sum()):,} row(s) of the first {short_duration(span)} "
            f"(warm-up); evaluating from {when}")
    return scored.loc[keep].reset_index(drop=True), note
