"""Coordinates as inventories write them: decimal degrees, or degrees-minutes-seconds.

Planning tools and site databases often keep positions as ``35°41'22.5"N`` or
``51 24 30.2 E``; read only as numbers they were blank, every sector of the inventory off
the map with nothing said. Here each such value is read to decimal degrees (southern and
western hemispheres negative), and a value that is neither form is counted, not dropped
in silence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb.sources.values import kpi_to_float

#: degrees, optional minutes and seconds (separated by °, ', ", :, spaces or d/m/s), and a
#: hemisphere letter before or after
_DMS = (r"^\s*(?P<pre>[NSEWnsew])?\s*(?P<deg>[+-]?\d+(?:[.,]\d+)?)\s*(?:°|º|d|:|\s)\s*"
        r"(?:(?P<min>\d+(?:[.,]\d+)?)\s*(?:'|′|’|m|:|\s)?\s*)?"
        r"(?:(?P<sec>\d+(?:[.,]\d+)?)\s*(?:\"|″|''|”|s)?\s*)?(?P<post>[NSEWnsew])?\s*$")


def read_degrees(values: pd.Series) -> tuple[np.ndarray, int]:
    """Decimal degrees (NaN when blank or unreadable) and how many non-blank values were
    unreadable; decimal numbers as they are, degrees-minutes-seconds text converted."""
    out, _ = kpi_to_float(values)
    where = np.flatnonzero(np.isnan(out) & values.notna().to_numpy())
    text = values.iloc[where].astype("str").str.strip()
    where, text = where[(text != "").to_numpy()], text[(text != "").to_numpy()]
    if text.empty:
        return out, 0
    parts = text.str.extract(_DMS)
    number = {k: pd.to_numeric(parts[k].str.replace(",", ".", regex=False), errors="coerce")
              for k in ("deg", "min", "sec")}
    minutes, seconds = number["min"].fillna(0.0), number["sec"].fillna(0.0)
    ok = number["deg"].notna() & (minutes <= 60) & (seconds <= 60)  # 60.0: a rounding
    ok &= ~(parts["pre"].notna() & parts["post"].notna())
    deg = number["deg"].abs() + minutes / 60 + seconds / 3600
    hemisphere = parts["pre"].fillna(parts["post"]).fillna("").str.upper()
    negative = hemisphere.isin(["S", "W"]) | parts["deg"].str.startswith("-").fillna(False)
    deg = deg.where(~negative, -deg).where(ok)
    out[where] = deg.to_numpy(dtype=float, na_value=np.nan)
    return out, int((~ok).sum())
