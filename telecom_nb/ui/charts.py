"""bqplot charts: network-wide KPI small multiples + anomaly count, and a sector drill-down.

Marks are created once; each refresh assigns new ``x``/``y`` arrays in place (bqplot
ships them as binary buffers), over a bounded sliding window.
"""

from __future__ import annotations

from collections.abc import Callable

import bqplot as bq
import ipywidgets as widgets
import numpy as np
import pandas as pd

from telecom_nb.schema import IS_ANOMALY, KPIS, TIMESTAMP

KPI_TITLES = {
    "payload_mb": "Payload (MB, mean)",
    "throughput_mbps": "Throughput (Mbps, mean)",
    "prb_pct": "PRB utilisation (%, mean)",
    "availability_pct": "Availability (%, mean)",
}
FIG_LAYOUT = {"height": "190px", "width": "100%"}
FIG_MARGIN = {"top": 30, "bottom": 30, "left": 55, "right": 10}


def to_naive_utc(times: pd.Series | pd.Index) -> np.ndarray:
    """datetime64[ms] without tz (what bqplot's DateScale serialises)."""
    t = pd.to_datetime(pd.Series(times))
    if t.dt.tz is not None:
        t = t.dt.tz_convert("UTC").dt.tz_localize(None)
    return t.to_numpy(dtype="datetime64[ms]")


def _small_figure(title: str, color: str) -> tuple[bq.Figure, bq.Lines]:
    x, y = bq.DateScale(), bq.LinearScale()
    line = bq.Lines(x=np.array([], dtype="datetime64[ms]"), y=np.array([]),
                    scales={"x": x, "y": y}, colors=[color], stroke_width=2)
    fig = bq.Figure(
        marks=[line], title=title, fig_margin=FIG_MARGIN,
        axes=[bq.Axis(scale=x, num_ticks=4), bq.Axis(scale=y, side="left",
                                                      num_ticks=4)],
        layout=widgets.Layout(**FIG_LAYOUT), title_style={"font-size": "12px"},
    )
    return fig, line


class NetworkCharts:
    """Mean KPIs and anomaly count per tick over the last ``window`` ticks."""

    COLORS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b")

    def __init__(self, window: int = 120):
        self.window = window
        self.figures: dict[str, bq.Figure] = {}
        self.lines: dict[str, bq.Lines] = {}
        for kpi, color in zip(KPIS, self.COLORS, strict=True):
            self.figures[kpi], self.lines[kpi] = _small_figure(KPI_TITLES[kpi], color)
        self.figures["n_anomalies"], self.lines["n_anomalies"] = _small_figure(
            "Anomalous sectors per tick", "#d62728"
        )
        self.widget = widgets.GridBox(
            list(self.figures.values()),
            layout=widgets.Layout(grid_template_columns="repeat(auto-fill, minmax(300px, 1fr))"),
        )
        self.widget.add_class("tnb-charts")

    def update(self, ticks: pd.DataFrame) -> None:
        """Show the last ``window`` rows of a :class:`TickLog` frame."""
        recent = ticks.tail(self.window)
        x = to_naive_utc(recent["timestamp"])
        for name, line in self.lines.items():
            with line.hold_sync():
                line.x = x
                line.y = recent[name].to_numpy(dtype=float)


class SectorChart:
    """One sector's KPI history with its anomalous points marked (red dots)."""

    def __init__(self, history: Callable[[str], pd.DataFrame], window: int = 240):
        self._history = history
        self.window = window
        self.sector_id = ""
        self.kpi = widgets.ToggleButtons(options=list(KPIS), value=KPIS[1],
                                         style={"button_width": "130px"})
        self.kpi.add_class("tnb-drill-kpi")
        x, y = bq.DateScale(), bq.LinearScale()
        empty_t, empty_y = np.array([], dtype="datetime64[ms]"), np.array([])
        self.line = bq.Lines(x=empty_t, y=empty_y, scales={"x": x, "y": y}, colors=["#1f77b4"])
        self.points = bq.Scatter(x=empty_t, y=empty_y, scales={"x": x, "y": y},
                                 colors=["#d62728"], default_size=40)
        self.figure = bq.Figure(
            marks=[self.line, self.points], title="Click a sector on the map",
            axes=[bq.Axis(scale=x, num_ticks=5),
                  bq.Axis(scale=y, side="left", num_ticks=4)],
            fig_margin=FIG_MARGIN, layout=widgets.Layout(height="240px", width="100%"),
        )
        self.kpi.observe(lambda _: self.refresh(), names="value")
        self.widget = widgets.VBox([self.kpi, self.figure])
        self.widget.add_class("tnb-drilldown")

    def show(self, sector_id: str) -> None:
        self.sector_id = sector_id
        self.refresh()

    def refresh(self) -> None:
        """Reload the selected sector's history (cheap: one sector, bounded window)."""
        if not self.sector_id:
            return
        hist = self._history(self.sector_id).tail(self.window)
        kpi = self.kpi.value
        t = to_naive_utc(hist[TIMESTAMP]) if len(hist) else np.array([], "datetime64[ms]")
        y = hist[kpi].to_numpy(dtype=float) if len(hist) else np.array([])
        flagged = hist[IS_ANOMALY].to_numpy(dtype=bool) if len(hist) else np.array([], bool)
        with self.figure.hold_sync(), self.line.hold_sync(), self.points.hold_sync():
            self.figure.title = f"{self.sector_id} · {kpi} ({int(flagged.sum())} anomalous)"
            self.line.x, self.line.y = t, y
            self.points.x, self.points.y = t[flagged], y[flagged]
