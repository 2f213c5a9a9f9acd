"""Time-of-day slots: the unit of "usual for this sector at this time"."""

from __future__ import annotations

import numpy as np
import pandas as pd


def n_slots(slots_per_day: int, weekly: bool) -> int:
    return slots_per_day * (2 if weekly else 1)


def time_slots(timestamps: pd.Series | pd.DatetimeIndex | np.ndarray, slots_per_day: int,
               weekly: bool) -> np.ndarray:
    """Slot of each timestamp: its part of the day, plus an offset on weekends if ``weekly``.

    Works on any timestamps (irregular ones too); UTC-naive values are taken as UTC.
    """
    ts = pd.DatetimeIndex(timestamps)
    if ts.tz is not None:
        ts = ts.tz_convert("UTC")
    ns = ts.as_unit("ns").asi8
    day_ns = 86_400 * 10**9
    seconds_in_day = np.mod(ns, day_ns)
    slot = (seconds_in_day * slots_per_day // day_ns).astype(np.int64)
    if weekly:
        weekday = (ns // day_ns + 3) % 7  # 1970-01-01 was a Thursday (3)
        slot = slot + slots_per_day * (weekday >= 5)
    return slot
