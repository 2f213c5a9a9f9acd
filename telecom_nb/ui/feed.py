"""The anomaly feed: the latest flagged sectors, newest first, bounded."""

from __future__ import annotations

import re

import ipywidgets as widgets
import pandas as pd

from telecom_nb.pipeline.batch import ScoredBatch
from telecom_nb.schema import IS_ANOMALY, KPIS, PROVINCE, SCORE, SECTOR, TOP_KPI

_BETWEEN_TAGS = re.compile(r">\s+<")
FEED_COLUMNS = ["time", SECTOR, PROVINCE, *KPIS, SCORE, TOP_KPI]
STYLE = (
    "<style>.tnb-feed-table{border-collapse:collapse;font-size:12px}"
    ".tnb-feed-table td,.tnb-feed-table th{padding:1px 6px;border-bottom:1px solid #ddd;"
    "text-align:right}</style>"
)


class AnomalyFeed:
    """Keeps at most ``max_rows`` anomalies (vectorised concat per tick), renders on refresh."""

    def __init__(self, max_rows: int = 200):
        if max_rows < 1:
            raise ValueError(f"max_rows must be >= 1; got {max_rows}")
        self.max_rows = max_rows
        self.rows = pd.DataFrame(columns=FEED_COLUMNS)
        self.widget = widgets.HTML(self._render(), layout=widgets.Layout(
            max_height="320px", overflow="auto"))
        self.widget.add_class("tnb-feed")

    def add(self, batch: ScoredBatch) -> None:
        """Prepend this batch's anomalies, highest score first."""
        frame = batch.frame
        new = frame.loc[frame[IS_ANOMALY].to_numpy(dtype=bool)]
        if new.empty:
            return
        new = new.sort_values(SCORE, ascending=False).head(self.max_rows)
        new = new.reindex(columns=FEED_COLUMNS).assign(time=batch.timestamp)
        if self.rows.empty:
            self.rows = new.reset_index(drop=True)
        else:
            self.rows = pd.concat([new, self.rows], ignore_index=True).head(self.max_rows)

    def refresh(self) -> None:
        self.widget.value = self._render()

    def _render(self) -> str:
        if self.rows.empty:
            return "<i>No anomalies yet.</i>"
        shown = self.rows.copy()
        shown["time"] = pd.to_datetime(shown["time"]).dt.strftime("%Y-%m-%d %H:%M")
        table = shown.to_html(index=False, classes="tnb-feed-table", border=0,
                              float_format=lambda v: f"{v:.2f}", escape=True, na_rep="")
        return STYLE + _BETWEEN_TAGS.sub("><", table)  # indentation is ~30% of the bytes
