"""Wall-clock times of an export placed in the network's time zone, daylight saving
included: a repeated hour (clocks back) read by order of appearance, a skipped one (clocks
forward, written by tools that switch late) read with the offset before the change. Kept
apart from :mod:`.timeparse`, which reads the text, so each says one thing."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass

import numpy as np
import pandas as pd

from telecom_nb.sources.timeparse import UTC_DTYPE, ParsedTimes


@dataclass
class Localized:
    """UTC instants after placing wall-clock times in a zone, with what needed a decision."""

    utc: pd.Series
    gap: np.ndarray  # wall times the clock skipped (spring-forward), placed by the offset
    # in force before the change (02:30 in a +1 -> +2 zone is 01:30 UTC, i.e. 03:30)
    ambiguous: int  # repeated (fall-back) wall times resolved by order of appearance


def localize(parsed: ParsedTimes, zone: str, groups: pd.Series | None = None) -> Localized:
    """Place naive wall times in ``zone`` and convert to UTC.

    DST, deliberately: a wall time that occurs twice (clocks going back) is the daylight
    instant on its first appearance within a sector and the standard one on the second, as
    an export sorted by cell then time writes them. A wall time the clock skipped is
    written by tools that switch an hour late: it is read with the offset in force before
    the change (02:30 as 03:30 in most zones, pandas' ``nonexistent=timedelta`` by the
    transition's own size, 30 min on Lord Howe) and marked ``gap`` (the caller counts it
    and keeps it unless its period also has an on-clock row).
    """
    utc = parsed.utc
    n = len(utc)
    naive = parsed.naive & ~parsed.bad
    if zone == "UTC" or not naive.any():
        return Localized(utc, np.zeros(n, bool), 0)
    wall = utc.dt.tz_localize(None)
    keys = [wall] if groups is None else [groups, wall]
    first = ~pd.DataFrame(dict(enumerate(keys))).duplicated(keep="first").to_numpy()
    local = wall.dt.tz_localize(zone, ambiguous=first, nonexistent="NaT")
    converted = local.dt.tz_convert("UTC").astype(UTC_DTYPE)
    gap = naive & converted.isna().to_numpy()
    if gap.any():
        converted[gap] = _before_change(wall[gap], zone)
    out = utc.copy()
    out[naive] = converted[naive]
    dst_zone = wall.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").isna().to_numpy()
    ambiguous = int((naive & dst_zone & ~gap).sum())
    return Localized(out, gap, ambiguous)


def _before_change(wall: pd.Series, zone: str) -> pd.Series:
    """UTC instants of skipped wall times under the offset before the change (PEP 495's
    ``fold=0``); one zone lookup per distinct time (a handful a year), not per row."""
    tz = zoneinfo.ZoneInfo(zone)
    codes, distinct = pd.factorize(wall)
    utc = pd.DatetimeIndex([t.to_pydatetime().replace(tzinfo=tz) for t in distinct],
                           tz="UTC") if len(distinct) else pd.DatetimeIndex([], tz="UTC")
    return pd.Series(utc.take(codes), index=wall.index).astype(UTC_DTYPE)


#: zones worth suggesting (not ``Etc/GMT-1``, ``SystemV/...`` or old aliases like ``Iran``)
_AREAS = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/",
          "Europe/", "Indian/", "Pacific/")
_OFFSET = r"([+-])(\d{2}):?(\d{2})\s*$"


def offsets_without_zone(values: pd.Series, parsed: ParsedTimes, zone: str) -> list[str]:
    """One note when times carry their own UTC offsets (``...+03:30``, or an aware column)
    but no time zone was given: instants are right, but the hours and days the detector
    learns and the dashboard shows are UTC's, not the network's. Names the zones whose
    offsets match every distinct offset seen (a handful of instants, ~400 zones)."""
    aware = ~parsed.naive & ~parsed.bad
    if zone != "UTC" or not aware.any():
        return []
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        name = str(values.dt.tz)
        if name in ("UTC", "UTC+00:00"):
            return []
        return [f"times carry their zone ({name}) but no timezone is set: hours and "
                f"weekdays are read in UTC; set timezone = '{name}' for the network's own"]
    first = ~pd.Series(values[aware].astype("str")).duplicated().to_numpy()  # distinct
    text = values[aware][first].astype("str")
    found = text.str.extract(_OFFSET)
    sign = found[0].map({"+": 1, "-": -1})
    minutes = sign * (pd.to_numeric(found[1]) * 60 + pd.to_numeric(found[2]))
    samples = pd.DataFrame({"utc": parsed.utc[aware][first], "minutes": minutes}).dropna()
    samples = samples[samples["minutes"] != 0].drop_duplicates("minutes", keep="first")
    if samples.empty:
        return []
    seen = ", ".join(f"{'+' if m > 0 else '-'}{abs(int(m)) // 60:02d}:{abs(int(m)) % 60:02d}"
                     for m in samples["minutes"])
    matching = [name for name in sorted(zoneinfo.available_timezones())
                if name.startswith(_AREAS) and all(
                    t.to_pydatetime().astimezone(zoneinfo.ZoneInfo(name)).utcoffset()
                    == pd.Timedelta(minutes=m)
                    for t, m in zip(samples["utc"], samples["minutes"], strict=True))]
    hint = (f" (zones with these offsets: {', '.join(matching[:4])}"
            f"{f' and {len(matching) - 4} more' if len(matching) > 4 else ''})"
            if matching else "")
    return [f"times carry UTC offsets ({seen}) but no timezone is set: hours and weekdays "
            f"are read in UTC, not the network's; set timezone = '...'{hint}"]
