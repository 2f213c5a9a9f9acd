"""The anomaly feed: the latest flagged sectors, newest first, bounded."""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np
import pandas as pd

from telecom_nb.pipeline.batch import ScoredBatch
from telecom_nb.schema import IS_ANOMALY, KPIS, PROVINCE, SCORE, SECTOR, TOP_KPI

FEED_COLUMNS = ["time", SECTOR, PROVINCE, *KPIS, SCORE, TOP_KPI]
HEADERS = ["time (UTC)", "sector", "province", "payload MB", "thr. Mbps", "PRB %", "avail. %",
           "score", "top KPI"]
STYLE = (
    "<style>.tnb-feed-table{border-collapse:collapse;font-size:12px}"
    ".tnb-feed-table td,.tnb-feed-table th{padding:1px 6px;border-bottom:1px solid #ddd;"
    "text-align:right}</style>"
)


def _text(values: pd.Series) -> np.ndarray:
    return np.array([html.escape(str(v)) for v in values], dtype=object)


def _number(values: pd.Series) -> np.ndarray:
    return np.char.mod("%.2f", values.to_numpy(dtype=float)).astype(object)


class AnomalyFeed:
    """Keeps at most ``max_rows`` anomalies (one concat per tick); renders on refresh."""

    def __init__(self, max_rows: int = 200):
        if max_rows < 1:
            raise ValueError(f"max_rows must be >= 1; got {max_rows}")
        self.max_rows = max_rows
        self.rows = pd.DataFrame(columns=FEED_COLUMNS)
        self._dirty = False
        self.widget = widgets.HTML(self._render(), layout=widgets.Layout(
            max_height="320px", overflow="auto"))
        self.widget.add_class("tnb-feed")

    def add(self, batch: ScoredBatch) -> None:
        """Prepend this batch's anomalies, highest score first."""
        frame = batch.frame
        new = frame.loc[frame[IS_ANOMALY].to_numpy(dtype=bool)]
        if new.empty:
            return
        new = new.nlargest(self.max_rows, SCORE)
        new = new.reindex(columns=FEED_COLUMNS).assign(time=batch.timestamp)
        if self.rows.empty:
            self.rows = new.reset_index(drop=True)
        else:
            self.rows = pd.concat([new, self.rows], ignore_index=True).head(self.max_rows)
        self._dirty = True

    def refresh(self) -> None:
        """Redraw the table if anomalies arrived since the last refresh."""
        if self._dirty:
            self.widget.value = self._render()
            self._dirty = False

    def _render(self) -> str:
        rows = self.rows
        if rows.empty:
            return "<i>No anomalies yet.</i>"
        times = pd.to_datetime(rows["time"], utc=True).dt.strftime("%Y-%m-%d %H:%M")
        cells = [times.to_numpy(dtype=object), _text(rows[SECTOR]), _text(rows[PROVINCE]),
                 *(_number(rows[k]) for k in KPIS), _number(rows[SCORE]),
                 _text(rows[TOP_KPI].fillna(""))]
        body = cells[0].copy()
        body = "<tr><td>" + body
        for column in cells[1:]:
            body = body + "</td><td>" + column
        body = body + "</td></tr>"
        head = "".join(f"<th>{h}</th>" for h in HEADERS)
        return (f'{STYLE}<table class="tnb-feed-table"><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(body)}</tbody></table>")
