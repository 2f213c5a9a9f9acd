"""Episodes and incidents written to CSV or Parquet, for tickets, reports and pandas.

Times stay UTC (what the engine and the store use) and, when the network's zone is known,
a ``<column>_local`` twin in its wall clock is added, since a ticket quotes local time.
Durations are written in minutes (a spreadsheet cannot read ``0 days 01:45:00``).
Files go to ``TELECOM_NB_EXPORT_DIR`` or ``./artifacts/exports`` (next to the notebook:
the kernel's working directory), named by what and when, never overwriting.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pandas as pd

EXPORT_DIR_VAR = "TELECOM_NB_EXPORT_DIR"
FORMATS = ("csv", "parquet")
KINDS = ("episodes", "incidents")
_TIME_COLUMNS = ("start", "end", "last_seen", "peak_time", "ack_time")


def export_dir(directory: str | Path | None = None) -> Path:
    """Where exports go: ``directory``, else ``$TELECOM_NB_EXPORT_DIR``, else
    ``./artifacts/exports``."""
    chosen = directory or os.environ.get(EXPORT_DIR_VAR) or Path.cwd() / "artifacts" / "exports"
    return Path(chosen)


def prepare(frame: pd.DataFrame, zone: Any = None) -> pd.DataFrame:
    """The table as written: durations in minutes, local-time twins of UTC times."""
    out = frame.copy()
    for column in list(out.columns):
        if pd.api.types.is_timedelta64_dtype(out[column]):
            out[f"{column}_min"] = out.pop(column).dt.total_seconds() / 60.0
    if zone is not None:
        for column in _TIME_COLUMNS:
            if column in out:
                stamps = pd.to_datetime(out[column], utc=True)
                local = stamps.dt.tz_convert(zone).dt.strftime("%Y-%m-%d %H:%M")
                out.insert(out.columns.get_loc(column) + 1, f"{column}_local",
                           local.where(stamps.notna(), ""))
    return out


def write_table(frame: pd.DataFrame, kind: str, fmt: str = "csv",
                directory: str | Path | None = None, zone: Any = None) -> Path:
    """Write ``frame`` as ``<kind>-<UTC time>.<fmt>`` under :func:`export_dir`; the path."""
    if fmt not in FORMATS:
        raise ValueError(f"export format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    folder = export_dir(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(f"cannot create the export folder {folder}: {exc}; set "
                      f"{EXPORT_DIR_VAR} to a writable folder") from exc
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    path = folder / f"{kind}-{stamp}.{fmt}"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{kind}-{stamp}-{n}.{fmt}"
    table = prepare(frame, zone)
    if fmt == "csv":
        table.to_csv(path, index=False)
    else:
        table.to_parquet(path, index=False)
    return path
