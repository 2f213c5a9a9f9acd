"""Explanations a person reads: each KPI beside its unit, its normal value and its bad
direction, and the score as a severity word and odds.

"payload 0.0" only alarms someone who knows the cell carries 400 MB at this hour. The
*normal* value is the median of the sector's own non-anomalous values at the same local
hour of day in the engine's sector history (``monitor.sector_history``: the last day at
15-minute ticks); with fewer than ``MIN_SAME_HOUR`` such values it is the sector's median
over all the hours it keeps (at least ``MIN_ANY_HOUR`` normal ticks), else the fleet's
median of the latest tick (normal rows only); the table says which one it shows, and
marks a value as bad only against the sector's own normal (a rural cell is not "low"
next to the fleet's median).
No widgets here: pure pandas, tested on its own.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from telecom_nb.alarms.severity import SEVERITY_COLORS, explain_score, severity
from telecom_nb.schema import IS_ANOMALY, SCORE, TIMESTAMP
from telecom_nb.ui.clock import NetworkClock
from telecom_nb.ui.kpis import KpiMeta

MIN_SAME_HOUR = 3
MIN_ANY_HOUR = 8
BAD_ARROWS = {"up": "bad when ↑", "down": "bad when ↓", "both": "bad either way"}
#: a value this far (relative) from normal in the bad direction is marked
MARK_SHARE = 0.1


@dataclass(frozen=True)
class Normals:
    """Normal value per KPI and what it is (shown beside the numbers)."""

    values: pd.Series  # KPI -> normal value (NaN when unknown)
    basis: str
    own: bool = True  # the sector's own history (False: the fleet's)


def local_hours(times: pd.Series, clock: NetworkClock) -> np.ndarray:
    """Hour of day (0-23) of UTC times on the network's wall clock."""
    return pd.DatetimeIndex(clock.wall(times)).hour.to_numpy()


def sector_normals(history: pd.DataFrame, kpis: Sequence[str], at: pd.Timestamp,
                   clock: NetworkClock) -> Normals | None:
    """Median of the sector's normal ticks at ``at``'s local hour, before ``at``; None
    with fewer than :data:`MIN_SAME_HOUR` of them."""
    if history is None or history.empty or TIMESTAMP not in history:
        return None
    times = pd.to_datetime(history[TIMESTAMP], utc=True)
    at = pd.Timestamp(at)
    at = at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")
    hour = int(local_hours(pd.Series([at]), clock)[0])
    normal = (~history[IS_ANOMALY].to_numpy(dtype=bool) if IS_ANOMALY in history
              else np.ones(len(history), bool))
    before = normal & (times < at).to_numpy()
    ok = before & (local_hours(times, clock) == hour)
    present = [k for k in kpis if k in history]
    n = int(ok.sum())
    if n >= MIN_SAME_HOUR:
        values = history.loc[ok, present].median().reindex(list(kpis))
        return Normals(values, f"this sector's median at {hour:02d}:00 ({n} normal ticks)")
    n = int(before.sum())
    if n >= MIN_ANY_HOUR:
        values = history.loc[before, present].median().reindex(list(kpis))
        return Normals(values, f"this sector's median over all hours kept ({n} normal ticks; "
                               f"too few at {hour:02d}:00 yet)")
    return None


def fleet_normals(latest: pd.DataFrame | None, kpis: Sequence[str]) -> Normals | None:
    """The fleet's median of the latest tick's normal rows."""
    if latest is None or latest.empty:
        return None
    rows = latest[~latest[IS_ANOMALY].to_numpy(dtype=bool)] if IS_ANOMALY in latest else latest
    present = [k for k in kpis if k in rows]
    if rows.empty or not present:
        return None
    return Normals(rows[present].median().reindex(list(kpis)),
                   "fleet median now (too little of this sector's own history yet)", own=False)


def normals_for(history: pd.DataFrame | None, latest: pd.DataFrame | None,
                kpis: Sequence[str], at: pd.Timestamp | None, clock: NetworkClock) -> Normals:
    """The sector's normal at this hour, else the fleet's, else unknown."""
    found = sector_normals(history, kpis, at, clock) if at is not None else None
    found = found or fleet_normals(latest, kpis)
    return found or Normals(pd.Series(np.nan, index=list(kpis)), "no normal known yet")


def is_bad(now: float, normal: float, bad: str) -> bool:
    """Whether ``now`` is off ``normal`` in the KPI's bad direction by > ``MARK_SHARE``."""
    if not (np.isfinite(now) and np.isfinite(normal)):
        return False
    margin = MARK_SHARE * max(abs(normal), 1e-9)
    if bad == "down":
        return now < normal - margin
    if bad == "up":
        return now > normal + margin
    return abs(now - normal) > margin


def _num(value: float) -> str:
    if not np.isfinite(value):
        return "–"
    return f"{value:,.1f}" if abs(value) >= 100 else f"{value:,.2f}"


def kpi_table(row: Mapping[str, float], normals: Normals, kpis: Sequence[str],
              meta: Mapping[str, KpiMeta], top_kpi: str = "") -> str:
    """HTML table: KPI | now | normal | unit | bad direction (bad values marked red)."""
    lines = []
    for k in kpis:
        m = meta.get(k) or KpiMeta(k, k)
        now = float(row.get(k, np.nan)) if row.get(k) is not None else np.nan
        normal = float(normals.values.get(k, np.nan))
        bad = normals.own and is_bad(now, normal, m.bad)
        style = ' style="color:#b00;font-weight:bold"' if bad else ""
        name = html.escape(m.label)
        if k == top_kpi:
            name = f"<b>{name}</b> ◀"
        lines.append(f"<tr><td>{name}</td><td{style}>{_num(now)}</td><td>{_num(normal)}</td>"
                     f"<td>{html.escape(m.unit)}</td><td>{BAD_ARROWS.get(m.bad, '')}</td></tr>")
    head = "<tr><th>KPI</th><th>now</th><th>normal</th><th>unit</th><th></th></tr>"
    return (f'<table class="tnb-kpi-table">{head}{"".join(lines)}</table>'
            f'<div class="tnb-normal-basis" style="font-size:11px;color:#666">normal = '
            f"{html.escape(normals.basis)}</div>")


def score_html(score: float) -> str:
    """``critical (score 8.7): about 1 in 500 million normal ticks score this high``,
    coloured by severity."""
    if score is None or not np.isfinite(score):
        return "<span>no score yet</span>"
    color = SEVERITY_COLORS.get(severity(score), "#000")
    text = html.escape(explain_score(score))
    return f'<span class="tnb-severity" style="color:{color}">{text}</span>'


def score_from_row(row: Mapping[str, float]) -> float:
    value = row.get(SCORE)
    return float(value) if value is not None else float("nan")
