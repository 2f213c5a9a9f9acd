"""bqplot charts: network-wide KPI small multiples + anomaly count, and a sector drill-down.

Marks are created once; each refresh assigns new ``x``/``y`` arrays in place (bqplot
ships them as binary buffers), over a bounded sliding window.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import bqplot as bq
import ipywidgets as widgets
import numpy as np
import pandas as pd

from telecom_nb.schema import IS_ANOMALY, TIMESTAMP

#: network charts drawn by default (the first KPIs of the stream, in its order)
MAX_CHARTS = 6
FIG_LAYOUT = {"height": "190px", "width": "100%"}
FIG_MARGIN = {"top": 30, "bottom": 30, "left": 55, "right": 10}


def to_naive_utc(times: pd.Series | pd.Index) -> np.ndarray:
    """datetime64[ms] without tz (what bqplot's DateScale serialises)."""
    t = pd.to_datetime(pd.Series(times))
    if t.dt.tz is not None:
        t = t.dt.tz_convert("UTC").dt.tz_localize(None)
    return t.to_numpy(dtype="datetime64[ms]")


def fit_scale(scale: bq.LinearScale, y: np.ndarray) -> None:
    """Set an explicit, never-empty domain (5% headroom; ±1 around flat data).

    bqplot's axis cannot format the ticks of an empty domain (one point, flat data, no
    data) nor survive switching ``min``/``max`` back to automatic in place (browser
    console: "invalid format: .undefinedg", then a blank axis), so we always give one.
    """
    finite = y[np.isfinite(y)]
    if not finite.size:
        low, high = 0.0, 1.0
    else:
        low, high = float(finite.min()), float(finite.max())
        pad = 0.05 * (high - low) if high > low else 1.0
        low, high = low - pad, high + pad
    _set_domain(scale, low, high)


def _set_domain(scale: bq.Scale, low, high) -> None:
    """Set both ends in one message (one at a time can reverse the domain for a moment)."""
    if scale.min == low and scale.max == high:
        return
    with scale.hold_sync():
        scale.min, scale.max = low, high


EPOCH_HOUR = (np.datetime64("2026-01-01T00:00"), np.datetime64("2026-01-01T01:00"))


def fit_time_scale(scale: bq.DateScale, t: np.ndarray) -> None:
    """Same as :func:`fit_scale` for the time axis (half an hour around a single tick)."""
    if t.size >= 2 and t[0] != t[-1]:
        _set_domain(scale, t[0], t[-1])
    else:
        start = t[0] if t.size else EPOCH_HOUR[0]
        _set_domain(scale, start - np.timedelta64(30, "m"), start + np.timedelta64(30, "m"))


def _small_figure(title: str, color: str) -> tuple[bq.Figure, bq.Lines]:
    x, y = bq.DateScale(min=EPOCH_HOUR[0], max=EPOCH_HOUR[1]), bq.LinearScale(min=0.0, max=1.0)
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
    """Mean KPIs and anomaly count per tick over the last ``window`` ticks.

    ``kpis`` and ``labels`` come from the monitor (the data's own KPIs); the first
    ``max_charts`` are drawn.
    """

    COLORS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")

    def __init__(self, kpis: Sequence[str], labels: Mapping[str, str] | None = None,
                 window: int = 120, max_charts: int = MAX_CHARTS):
        self.window = window
        self.figures: dict[str, bq.Figure] = {}
        self.lines: dict[str, bq.Lines] = {}
        self.columns: dict[str, str] = {}  # chart -> column of ``NetworkHistory.frame()``
        labels = labels or {}
        for i, kpi in enumerate(list(kpis)[:max_charts]):
            title = f"{labels.get(kpi, kpi)}, mean"
            color = self.COLORS[i % len(self.COLORS)]
            self.figures[kpi], self.lines[kpi] = _small_figure(title, color)
            self.columns[kpi] = f"{kpi}_mean"
        self.figures["n_anomalies"], self.lines["n_anomalies"] = _small_figure(
            "Anomalous sectors per tick", "#d62728"
        )
        self.widget = widgets.GridBox(
            list(self.figures.values()),
            layout=widgets.Layout(grid_template_columns="repeat(auto-fill, minmax(300px, 1fr))"),
        )
        self.widget.add_class("tnb-charts")

    def update(self, history: pd.DataFrame) -> None:
        """Show the last ``window`` ticks of the engine's network history.

        ``history`` is ``monitor.history_frame(last=window)`` (``<kpi>_mean`` columns and
        ``n_anomalies``); a KPI the stream does not carry is drawn empty.
        """
        recent = history.tail(self.window)
        x = to_naive_utc(recent[TIMESTAMP])
        for name, line in self.lines.items():
            column = self.columns.get(name, name)
            y = (recent[column].to_numpy(dtype=float, na_value=np.nan) if column in recent
                 else np.full(len(recent), np.nan))
            with line.hold_sync():
                fit_scale(line.scales["y"], y)
                fit_time_scale(line.scales["x"], x)
                line.x = x
                line.y = y


class SectorChart:
    """One sector's KPI history with its anomalous points marked (red dots)."""

    def __init__(self, history: Callable[[str], pd.DataFrame], kpis: Sequence[str],
                 labels: Mapping[str, str] | None = None, window: int = 240):
        self._history = history
        self.window = window
        self.sector_id = ""
        labels = labels or {}
        options = [(labels.get(k, k), k) for k in kpis]
        self.kpi = widgets.ToggleButtons(options=options, value=options[0][1],
                                         style={"button_width": "150px"})
        self.kpi.add_class("tnb-drill-kpi")
        x = bq.DateScale(min=EPOCH_HOUR[0], max=EPOCH_HOUR[1])
        y = bq.LinearScale(min=0.0, max=1.0)  # see fit_scale
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
            label = self.kpi.label or kpi
            self.figure.title = f"{self.sector_id} · {label} ({int(flagged.sum())} anomalous)"
            fit_scale(self.line.scales["y"], y)
            fit_time_scale(self.line.scales["x"], t)
            self.line.x, self.line.y = t, y
            self.points.x, self.points.y = t[flagged], y[flagged]
