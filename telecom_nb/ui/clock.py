"""Times as the network's people read them: local wall clock, 24-hour, date, zone named.

The engine keeps every time in UTC; an operator reads "14:00" as 14:00 in Tehran. The zone
comes from the monitor (``monitor.timezone``, an IANA name or tzinfo); without one the
dashboard says "UTC" rather than pretend. bqplot's date axes format in UTC (d3
``utcFormat``), so charts are given local wall-clock times with the zone stripped: the axis
then shows local time whatever the browser's own zone is.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import numpy as np
import pandas as pd

TIME_FORMAT = "%Y-%m-%d %H:%M"
#: Date axes of the charts: day and 24-hour time (the zone is the axis label).
AXIS_FORMAT = "%m-%d %H:%M"


def _zone(value: Any) -> dt.tzinfo | None:
    """A tzinfo from an IANA name or tzinfo; None for missing or unknown names."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.tzinfo):
        return value
    try:
        return zoneinfo.ZoneInfo(str(value))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class NetworkClock:
    """Formats UTC instants in the network's zone (UTC when it has none)."""

    def __init__(self, zone: Any = None):
        self.zone: dt.tzinfo = _zone(zone) or dt.timezone.utc
        self.is_utc = _zone(zone) is None or str(self.zone) in ("UTC", "Etc/UTC")

    @classmethod
    def of(cls, monitor: Any) -> NetworkClock:
        """The clock of ``monitor.timezone`` (read defensively: older monitors have none)."""
        return cls(getattr(monitor, "timezone", None))

    @property
    def name(self) -> str:
        """``Asia/Tehran``; ``UTC`` when the monitor has no zone."""
        return "UTC" if self.is_utc else str(getattr(self.zone, "key", self.zone))

    def offset(self, when: Any = None) -> str:
        """``+0330`` at ``when`` (now when omitted); zones with daylight saving vary."""
        stamp = pd.Timestamp.now(tz="UTC") if when is None else _utc(when)
        return stamp.tz_convert(self.zone).strftime("%z")

    def axis_label(self, when: Any = None) -> str:
        """What a date axis is in: ``Asia/Tehran (+0330)`` or ``UTC``."""
        return "UTC" if self.is_utc else f"{self.name} ({self.offset(when)})"

    def span_label(self, times: Any) -> str:
        """The label of an axis showing these UTC instants: the offset they were read in
        (``Europe/Warsaw (+0100 → +0200)`` across a daylight-saving change), not today's:
        a replayed spring export was labelled with December's offset."""
        if self.is_utc or len(times) == 0:
            return self.axis_label()
        first, last = self.offset(times.iloc[0]), self.offset(times.iloc[-1])
        return f"{self.name} ({first if first == last else f'{first} → {last}'})"

    def format(self, value: Any) -> str:
        """``2026-04-05 14:00 +0330`` (``... UTC`` without a zone); ``–`` when missing."""
        if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
            return "–"
        try:
            stamp = _utc(value)
        except (TypeError, ValueError):
            return str(value)
        if pd.isna(stamp):
            return "–"
        suffix = "UTC" if self.is_utc else "%z"
        return stamp.tz_convert(self.zone).strftime(f"{TIME_FORMAT} {suffix}")

    def date(self, value: Any) -> str:
        """The local date of ``value`` (``2027-03-20``); "" when missing or unreadable."""
        try:
            stamp = _utc(value)
        except (TypeError, ValueError):
            return ""
        return "" if pd.isna(stamp) else stamp.tz_convert(self.zone).strftime("%Y-%m-%d")

    def format_many(self, values: pd.Series, fmt: str = TIME_FORMAT) -> pd.Series:
        """Vectorised :meth:`format` without the zone (a table names it in its header)."""
        stamps = pd.to_datetime(values, utc=True)
        return stamps.dt.tz_convert(self.zone).dt.strftime(fmt)

    def wall(self, times: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
        """Local wall-clock times as tz-less ``datetime64[ms]`` (what bqplot's axes show)."""
        t = pd.to_datetime(pd.Series(times), utc=True)
        return t.dt.tz_convert(self.zone).dt.tz_localize(None).to_numpy(dtype="datetime64[ms]")


def _utc(value: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
