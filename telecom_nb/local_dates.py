"""Local calendar dates as a parameter: the public holidays a network's operator declares.

Kept at the package's base (not in :mod:`telecom_nb.features`) because a source's recipe
(``source.toml``'s ``holidays``) and the seasonal features both read them.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd

from telecom_nb.errors import ParameterError
from telecom_nb.params import TextTrait

#: weekday names as ``holiday_like`` takes them (Monday = 0)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_NS = 86_400 * 10**9
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


class LocalDates(TextTrait):
    """Local calendar dates as sorted ISO texts ('2026-10-14'); a text may list several,
    comma-separated (what ``--set holidays=...`` and a text box give)."""

    default_value = ()
    info_text = "local dates such as '2026-10-14,2026-11-05'"

    def validate(self, obj, value):
        items = value.split(",") if isinstance(value, str) else value
        try:  # ISO text only: '01/02/2026' is January or February depending on who wrote it
            texts = [v.strip() if isinstance(v, str) else pd.Timestamp(v).strftime("%Y-%m-%d")
                     for v in items]
            dates = {pd.Timestamp(t) for t in texts if t}
            ok = all(_ISO.fullmatch(t) for t in texts if t)
        except (TypeError, ValueError):
            ok = False
        if not ok or any(pd.isna(d) for d in dates):
            raise ParameterError(f"{self.name} must be local dates like '2026-10-14' "
                                 f"(YYYY-MM-DD, comma-separated); got {value!r}")
        return tuple(sorted(d.strftime("%Y-%m-%d") for d in dates))


@functools.lru_cache(maxsize=8)
def local_days(dates: tuple[str, ...]) -> np.ndarray:
    """ISO dates as local day numbers (days since 1970-01-01 on the wall clock). Cached: the
    seasonal part asks every tick (~10 us a date), and a list changes rarely; read-only."""
    days = np.array([pd.Timestamp(d).value // _DAY_NS for d in dates], dtype=np.int64)
    days.flags.writeable = False
    return days
