"""The local calendar: time-of-day and day-of-week slots on the network's wall clock.

Traffic follows people: the daily peak, the night trough and the weekend happen at local
times, and which days are the weekend depends on the country. Slots are therefore cut on
the local wall clock of ``timezone`` (an IANA name; DST days are 23 or 25 h long but
every slot keeps its wall-clock meaning). Nothing here says *which* weekdays differ: the
seasonal features learn that from the data (see :mod:`telecom_nb.features.weekly`). What
the data cannot foretell is a public holiday on a working day: its local dates
(``holidays``) take the week slots of the weekday they resemble (``holiday_like``), so a
Wednesday off is expected like a Friday (and teaches the Friday), not flagged fleet-wide.
"""

from __future__ import annotations

import datetime
import zoneinfo

import numpy as np
import pandas as pd
from traitlets import TraitType

from telecom_nb.errors import ParameterError
from telecom_nb.local_dates import WEEKDAYS, local_days

HOUR_NS = 3_600 * 10**9
DAY_NS = 24 * HOUR_NS
DAYS_PER_WEEK = 7
#: 1970-01-01 (local day 0) was a Thursday; Monday = 0 as in pandas' ``day_of_week``
_EPOCH_WEEKDAY = 3


#: texts that mean "no zone given": UTC
_UTC_TEXTS = ("", "none", "null", "utc")


def check_timezone(name: str, value: object) -> str:
    """``value`` as a valid IANA zone name (None means UTC); ParameterError otherwise."""
    if value is None or (isinstance(value, str) and value.strip().lower() in _UTC_TEXTS):
        return "UTC"
    if isinstance(value, zoneinfo.ZoneInfo):
        value = value.key
    if not isinstance(value, str) or not value.strip():
        raise ParameterError(f"{name} must be an IANA time zone name (e.g. 'Asia/Tehran', "
                             f"'UTC'); got {value!r}")
    try:
        zoneinfo.ZoneInfo(value.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ParameterError(f"{name} must be an IANA time zone name (e.g. 'Asia/Tehran', "
                             f"'UTC'); got {value!r}") from exc
    return value.strip()


class TimeZone(TraitType):
    """A trait holding an IANA time zone name; None (or 'none') means UTC."""

    default_value = "UTC"
    info_text = "an IANA time zone name such as 'Asia/Tehran' (None = UTC)"

    def validate(self, obj, value):
        return check_timezone(self.name, value)


def local_ns(timestamps: pd.Series | pd.DatetimeIndex | np.ndarray,
             timezone: str = "UTC") -> np.ndarray:
    """Wall-clock time in ``timezone`` as int64 ns since 1970-01-01 (naive values are UTC).

    A batch holds one timestamp (a replay segment a few): only distinct values are
    converted.
    """
    ts = pd.DatetimeIndex(timestamps)
    if ts.tz is None:
        ts = ts.tz_localize("UTC")
    ns = ts.as_unit("ns").asi8
    if timezone == "UTC" or len(ns) == 0:
        return ns
    if one_time(ns):
        uniq, inv = ns[:1], np.zeros(len(ns), dtype=np.intp)
    else:
        uniq, inv = np.unique(ns, return_inverse=True)
    wall = (pd.DatetimeIndex(uniq, tz="UTC").tz_convert(timezone).tz_localize(None)
            .as_unit("ns").asi8)
    return wall[inv.ravel()]


def one_time(ns: np.ndarray) -> bool:
    """Whether every row of a batch (int64 ns) is the same time: a live tick, read once."""
    return len(ns) > 0 and ns[0] == ns[-1] and bool((ns == ns[0]).all())


def n_slots(slots_per_day: int) -> int:
    """Week slots: one per (weekday, time-of-day slot)."""
    return DAYS_PER_WEEK * slots_per_day


def time_slots(timestamps: pd.Series | pd.DatetimeIndex | np.ndarray, slots_per_day: int,
               timezone: str = "UTC", holidays: tuple[str, ...] = (),
               holiday_like: str = "Fri",
               day_type: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(time-of-day slot, week slot) of each timestamp on the local wall clock.

    The week slot is ``weekday * slots_per_day + slot`` (Monday = 0); on a local date in
    ``holidays`` the weekday is ``holiday_like``'s, and on ``day_type``'s (local day number,
    weekday: the day type read from the fleet, :mod:`~telecom_nb.features.day_type`) that
    weekday unless the day is a declared holiday. A slot is a duration (1 day /
    ``slots_per_day``), so 5-minute, 15-minute and hourly data share one slot structure.
    """
    ns = local_ns(timestamps, timezone)
    # the fleet's reading first, the declared holidays over it: what the user listed wins
    off = [] if day_type is None else [(np.array([day_type[0]], dtype=np.int64), day_type[1])]
    if holidays:
        off.append((local_days(holidays), WEEKDAYS.index(holiday_like)))
    if one_time(ns):  # a live tick: one time,
        slot, week = _slots(ns[:1], slots_per_day, off)  # computed once (~3 ms at 100k)
        return np.full(len(ns), slot[0], dtype=slot.dtype), np.full(len(ns), week[0],
                                                                    dtype=week.dtype)
    return _slots(ns, slots_per_day, off)


def _slots(ns: np.ndarray, slots_per_day: int,
           off: list[tuple[np.ndarray, int]] = ()) -> tuple[np.ndarray, np.ndarray]:
    slot = (np.mod(ns, DAY_NS) * slots_per_day // DAY_NS).astype(np.int64)
    day = np.floor_divide(ns, DAY_NS)
    weekday = (day + _EPOCH_WEEKDAY) % DAYS_PER_WEEK
    for days, like in off:
        weekday = np.where(np.isin(day, days), like, weekday)
    return slot, weekday * slots_per_day + slot


def local_day(ns: np.ndarray, timezone: str = "UTC") -> int:
    """The local day number (days since 1970-01-01 on the wall clock) of UTC ns ``ns[0]``
    (the zone's offset from ``zoneinfo``: a live tick asks once, pandas' conversion ~0.1 ms)."""
    first = int(ns[0])
    when = datetime.datetime.fromtimestamp(first // 10**9, datetime.UTC)
    offset = when.astimezone(zoneinfo.ZoneInfo(timezone)).utcoffset()
    return (first + int(offset.total_seconds()) * 10**9) // DAY_NS


def utc_days(ns: np.ndarray) -> np.ndarray:
    """Each time's (int64 ns, :meth:`BatchView.ns`) UTC day since the epoch (a weekly
    recurrence is 7 of them apart)."""
    return ns // DAY_NS
