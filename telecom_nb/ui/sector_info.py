"""The map's info panel for one sector: what a person reads on hover or click.

Its id, province, time, state, the score as a severity and odds, and each KPI beside its
unit, normal value and bad direction. Apart from the map's widgets (``ui/map.py`` draws,
this says), and tested through ``SectorMap.describe``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from telecom_nb.schema import PROVINCE, SCORE, SECTOR, STATE, TOP_KPI, UNKNOWN_PROVINCE
from telecom_nb.ui.clock import NetworkClock
from telecom_nb.ui.explain import kpi_table, normals_for, score_html
from telecom_nb.ui.kpis import KpiMeta

#: past this many KPIs the one that drove the flag is the table's first row (an export of
#: 40 KPIs: its table scrolls in the side panel)
INFO_TOP_FIRST = 12


def frame_states(frame: pd.DataFrame) -> pd.Series:
    """The per-row state, derived from ``is_anomaly`` when the frame has no ``state``."""
    if STATE in frame:
        return frame[STATE]
    return frame["is_anomaly"].map({True: "anomalous", False: "normal"})


def info_html(sector_id: str, latest: pd.DataFrame | None,
              history: Callable[[str], pd.DataFrame] | None, kpis: Sequence[str],
              meta: Mapping[str, KpiMeta], clock: NetworkClock,
              colors: Mapping[str, str]) -> str:
    """HTML for ``sector_id`` in the ``latest`` batch, its normals from its ``history``."""
    sid = html.escape(sector_id)
    if latest is None:
        return f"<b>{sid}</b>: no data yet"
    rows = latest[latest[SECTOR].astype(str) == sector_id]
    if rows.empty:
        return f"<b>{sid}</b>: not in the latest batch"
    row = rows.iloc[0]
    state = str(frame_states(rows).iloc[0])
    own = None
    if history is not None:
        try:
            own = history(sector_id)
        except KeyError:
            own = None
    at = row.get("timestamp")
    normals = normals_for(own, latest, kpis, at, clock)
    top = str(row.get(TOP_KPI, "") or "")
    shown = [k for k in kpis if k in row.index]
    if len(shown) > INFO_TOP_FIRST and top in shown:
        shown = [top, *[k for k in shown if k != top]]
    table = kpi_table(row.to_dict(), normals, shown, meta, top)
    when = html.escape(clock.format(at)) if at is not None else ""
    # an export without a province column: no "unknown" beside every sector's id
    province = str(row.get(PROVINCE, UNKNOWN_PROVINCE))
    where = "" if province == UNKNOWN_PROVINCE else f" · {html.escape(province)}"
    return (
        f'<div class="tnb-info-body"><b>{sid}</b>{where}'
        f' · {when}<br>state <span style="color:{colors.get(state, "#000")}">{state}</span>'
        f" · {score_html(float(row[SCORE]))}{table}</div>"
    )
