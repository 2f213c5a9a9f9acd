"""bqplot charts: network-wide KPI small multiples + anomaly count, and a sector drill-down.

Marks are created once; each refresh assigns new ``x``/``y`` arrays in place (bqplot
ships them as binary buffers; ``y`` as float32, half the bytes), over a bounded sliding
window. The network charts share one time scale (one message per tick moves every time
axis) and their value scales only change when the data leaves a rounded domain, so a
tick costs about one message per chart. Times are the network's wall clock
(:class:`~telecom_nb.ui.clock.NetworkClock`), value axes carry the KPI's unit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import bqplot as bq
import ipywidgets as widgets
import numpy as np
import pandas as pd

from telecom_nb.schema import IS_ANOMALY, TIMESTAMP
from telecom_nb.ui.axes import (
    NO_TIMES,
    fit_axis,
    fit_time_scale,
    fit_value_axes,
    must_widen,
    new_time_scale,
    set_time_ticks,
)
from telecom_nb.ui.clock import AXIS_FORMAT, NetworkClock
from telecom_nb.ui.kpis import MAX_CHARTS, KpiMeta

FIG_LAYOUT = {"height": "200px", "width": "100%"}
#: the right margin holds half of the last time label ("01-06 12:00" centred on the
#: domain's end is ~64 px wide at 10 px): 12 px clipped it
FIG_MARGIN = {"top": 30, "bottom": 42, "left": 60, "right": 40}
#: points per chart line at most; longer time ranges are averaged into this many bins
#: (each point costs 12 bytes per tick on the wire: the whole line is resent)
MAX_POINTS = 72
#: a chart at least this wide fits d3's hourly "01-05 03:00" labels of a 6-hour span
CHART_MIN_WIDTH = "560px"
PLACEHOLDER = ("<div class='tnb-drill-placeholder' style='height:60px;padding:12px;color:#555;"
               "border:1px dashed #bbb'>Click a sector on the map, or search for one above, "
               "to see its recent KPIs (the ticks it keeps); red points are the ticks it was "
               "flagged.</div>")
TITLE_LABEL_MAX = 60  # characters of a KPI label in a chart title (~360 px at 12 px)
NO_VALUES = "no values in this range"  # a KPI blank in every tick shown
DRILL_BUTTONS_MAX = 4  # more KPIs (or long names) than this: a dropdown, not buttons
DRILL_LABEL_MAX = 18


def clip_label(label: str, limit: int = TITLE_LABEL_MAX) -> str:
    """A KPI label cut to ``limit`` characters with "…" for a chart's title: bqplot draws
    the title as one SVG line, and a vendor's 90-character KPI name ran off both edges
    (the whole name stays in the KPI pickers and the hover table)."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def to_naive_utc(times: pd.Series | pd.Index) -> np.ndarray:
    """datetime64[ms] without tz, in UTC (the wall clock of a monitor with no zone)."""
    return NetworkClock().wall(times)


def set_label(axis: bq.Axis, label: str) -> None:
    """Assign only a change (a widget message each)."""
    if axis.label != label:
        axis.label = label


def _time_axis(x: bq.DateScale, clock: NetworkClock) -> bq.Axis:
    return bq.Axis(scale=x, tick_format=AXIS_FORMAT, label=clock.axis_label(),
                   label_offset="32px", tick_values=NO_TIMES)


def _axes(x: bq.DateScale, y: bq.LinearScale, clock: NetworkClock,
          unit: str, time_axis: bq.Axis | None = None) -> list[bq.Axis]:
    """Time axis (shared by the network charts: one message moves all their labels) and a
    value axis."""
    return [time_axis or _time_axis(x, clock),
            bq.Axis(scale=y, side="left", label=unit, label_offset="42px",
                    tick_format=",~f")]  # 99.45, 0.5, 1,500: the digits the ticks need


def _small_figure(title: str, color: str, x: bq.DateScale, clock: NetworkClock,
                  unit: str, time_axis: bq.Axis | None = None) -> tuple[bq.Figure, bq.Lines]:
    y = bq.LinearScale(min=0.0, max=1.0, allow_padding=False)
    line = bq.Lines(x=np.array([], dtype="datetime64[ms]"), y=np.array([], dtype=np.float32),
                    scales={"x": x, "y": y}, colors=[color], stroke_width=2)
    fig = bq.Figure(marks=[line], title=title, fig_margin=FIG_MARGIN,
                    axes=_axes(x, y, clock, unit, time_axis), layout=widgets.Layout(**FIG_LAYOUT),
                    title_style={"font-size": "12px"})
    return fig, line


def decimate(x: np.ndarray, columns: dict[str, np.ndarray], max_points: int = MAX_POINTS,
             peak: Sequence[str] = ()) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """At most ``max_points`` points: consecutive bins averaged (``peak`` columns keep the
    bin's maximum, so a spike of anomalies is not smoothed away); x is each bin's last
    time. Vectorised (one ``reduceat`` per column)."""
    n = len(x)
    if n <= max_points:
        return x, columns
    size = math.ceil(n / max_points)
    starts = np.arange(n - size * (n // size) if n % size else 0, n, size)  # newest bins full
    starts = np.concatenate([[0], starts]) if starts[0] != 0 else starts
    ends = np.append(starts[1:], n) - 1
    out = {}
    for name, y in columns.items():
        y = y.astype(np.float64)
        finite = np.isfinite(y)
        if name in peak:
            out[name] = np.fmax.reduceat(np.where(finite, y, -np.inf), starts)
            out[name][np.isinf(out[name])] = np.nan
        else:
            total = np.add.reduceat(np.where(finite, y, 0.0), starts)
            count = np.add.reduceat(finite.astype(np.int64), starts)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[name] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        out[name] = out[name].astype(np.float32)
    return x[ends], out


def _values(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as float32 (NaN where missing; all NaN when the frame lacks it)."""
    if column not in frame:
        return np.full(len(frame), np.nan, dtype=np.float32)
    return frame[column].to_numpy(dtype=float, na_value=np.nan).astype(np.float32)


class NetworkCharts:
    """Mean KPIs and anomaly count per tick over the last ``window`` ticks.

    ``kpis`` are the KPIs to chart (the dashboard chooses them, see
    :func:`~telecom_nb.ui.kpis.choose_chart_kpis`); ``meta`` gives titles and units.
    """

    COLORS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")

    def __init__(self, kpis: Sequence[str], labels: Mapping[str, str] | None = None,
                 window: int = 120, max_charts: int = MAX_CHARTS, *,
                 meta: Mapping[str, KpiMeta] | None = None, clock: NetworkClock | None = None):
        self.window = window
        self.clock = clock or NetworkClock()
        self.figures: dict[str, bq.Figure] = {}
        self.lines: dict[str, bq.Lines] = {}
        self.columns: dict[str, str] = {}  # chart -> column of ``NetworkHistory.frame()``
        self.time_scale = new_time_scale()  # shared: one message moves every time axis
        self.time_axis = _time_axis(self.time_scale, self.clock)  # shared too
        labels, meta = labels or {}, meta or {}
        for i, kpi in enumerate(list(kpis)[:max_charts]):
            title = f"{clip_label(str(labels.get(kpi, kpi)))}, mean"
            unit = meta[kpi].unit if kpi in meta else ""
            color = self.COLORS[i % len(self.COLORS)]
            self.figures[kpi], self.lines[kpi] = _small_figure(title, color, self.time_scale,
                                                               self.clock, unit, self.time_axis)
            self.columns[kpi] = f"{kpi}_mean"
        self.figures["n_anomalies"], self.lines["n_anomalies"] = _small_figure(
            "Anomalous sectors per tick", "#d62728", self.time_scale, self.clock, "sectors",
            self.time_axis)
        self.titles = {name: fig.title for name, fig in self.figures.items()}
        self.shown = set(self.figures)  # charts drawn (hidden ones cost nothing per tick)
        self.scope = ""  # e.g. "Tehran" when the dashboard is filtered
        self.blank: set[str] = set()  # charts with ticks but no value in them (said in title)
        self.widget = widgets.GridBox(
            list(self.figures.values()),
            layout=widgets.Layout(
                grid_template_columns=f"repeat(auto-fill, minmax({CHART_MIN_WIDTH}, 1fr))"),
        )
        self.widget.add_class("tnb-charts")

    def show_only(self, kpis: Sequence[str]) -> None:
        """Draw these KPIs' charts (and the anomaly count); hide the others."""
        self.shown = {*[k for k in kpis if k in self.figures], "n_anomalies"}
        # hidden charts leave the page (a figure drawn at width 0 makes bqplot draw
        # negative-width rects, console errors) and cost nothing per tick
        self.widget.children = [fig for name, fig in self.figures.items() if name in self.shown]

    def set_scope(self, scope: str) -> None:
        """Say in every title what the charts aggregate ("" = the whole network)."""
        if scope == self.scope:
            return
        self.scope = scope
        self._retitle(self.figures)

    def _retitle(self, names: Sequence[str]) -> None:
        """Title = label, the scope, and "no values" for a KPI blank over the range (a
        layer not launched yet, a counter missing from the export): an empty chart says
        why instead of looking broken. Assigned only when it changes (a message each)."""
        for name in names:
            title = self.titles[name]
            title = f"{title} · {self.scope}" if self.scope else title
            title = f"{title} · {NO_VALUES}" if name in self.blank else title
            if self.figures[name].title != title:
                self.figures[name].title = title

    def update(self, history: pd.DataFrame) -> None:
        """Show the last ``window`` ticks of ``history``, at most ``MAX_POINTS`` a line.

        ``history`` is ``monitor.history_frame(last=window)`` (``<kpi>_mean`` columns and
        ``n_anomalies``) or a filtered subset's aggregates with the same columns; a KPI
        the stream does not carry is drawn empty.
        """
        recent = history.tail(self.window)
        x = self.clock.wall(recent[TIMESTAMP]) if len(recent) else NO_TIMES
        shown = [name for name in self.lines if name in self.shown]
        x, ys = decimate(x, {name: _values(recent, self.columns.get(name, name))
                             for name in shown}, peak=("n_anomalies",))
        # the tick's budget (ten messages at 500 sectors): a value axis the data left moves
        # now and the time axis, if its domain still holds the newest point, a tick later;
        # a narrowing waits for a tick the time axis did not move
        pairs = [(self.figures[name].axes[1], ys[name]) for name in shown]
        widen = must_widen(pairs)
        time_moved = fit_time_scale(self.time_scale, x, wait=widen)
        if not widen or time_moved:
            set_time_ticks(self.time_axis, x)
            if len(recent):
                set_label(self.time_axis, self.clock.span_label(recent[TIMESTAMP]))
        fit_value_axes(pairs, narrow=not time_moved)
        blank = {name for name in shown if len(ys[name]) and not np.isfinite(ys[name]).any()}
        if blank != self.blank & set(shown):
            self.blank = (self.blank - set(shown)) | blank
            self._retitle(shown)
        for name in shown:
            line, y = self.lines[name], ys[name]
            with line.hold_sync():
                line.x = x
                line.y = y


class SectorChart:
    """One sector's KPI history with its anomalous points marked (red dots)."""

    def __init__(self, history: Callable[[str], pd.DataFrame], kpis: Sequence[str],
                 labels: Mapping[str, str] | None = None, window: int = 240, *,
                 meta: Mapping[str, KpiMeta] | None = None, clock: NetworkClock | None = None):
        self._history = history
        self.window = window
        self.sector_id = ""
        self.meta = dict(meta or {})
        self.clock = clock or NetworkClock()
        labels = labels or {}
        options = [(str(labels.get(k, k)), k) for k in kpis]
        buttons = (len(options) <= DRILL_BUTTONS_MAX
                   and all(len(label) <= DRILL_LABEL_MAX for label, _ in options))
        if buttons:
            self.kpi = widgets.ToggleButtons(options=options, value=options[0][1],
                                             style={"button_width": "150px"})
        else:
            self.kpi = widgets.Dropdown(options=options, value=options[0][1],
                                        description="KPI", layout=widgets.Layout(width="420px"))
        self.kpi.add_class("tnb-drill-kpi")
        x = new_time_scale()
        y = bq.LinearScale(min=0.0, max=1.0, allow_padding=False)  # see propose_domain
        empty_t, empty_y = np.array([], dtype="datetime64[ms]"), np.array([])
        self.line = bq.Lines(x=empty_t, y=empty_y, scales={"x": x, "y": y}, colors=["#1f77b4"])
        self.points = bq.Scatter(x=empty_t, y=empty_y, scales={"x": x, "y": y},
                                 colors=["#d62728"], default_size=40)
        self.axes = _axes(x, y, self.clock, self._unit(options[0][1]))
        self.figure = bq.Figure(
            marks=[self.line, self.points], title="Click a sector on the map",
            axes=self.axes, fig_margin=FIG_MARGIN,
            layout=widgets.Layout(height="250px", width="100%"),
        )
        self.kpi.observe(lambda _: self.refresh(), names="value")
        self.placeholder = widgets.HTML(PLACEHOLDER)
        # the chart joins the page when a sector is first shown: a figure drawn while
        # hidden (display: none) has no size, and bqplot does not redraw it when shown
        self.widget = widgets.VBox([self.placeholder])
        self.widget.add_class("tnb-drilldown")

    def _unit(self, kpi: str) -> str:
        return self.meta[kpi].unit if kpi in self.meta else ""

    def show(self, sector_id: str) -> None:
        """Chart this sector (the placeholder goes once one is chosen)."""
        self.sector_id = sector_id
        if sector_id and self.placeholder in self.widget.children:
            self.widget.children = (self.kpi, self.figure)
        self.refresh()

    def _sector_frame(self) -> pd.DataFrame:
        """The sector's history; empty for a sector the stream has not reached yet."""
        try:
            return self._history(self.sector_id).tail(self.window)
        except KeyError:  # known from the sites table, no data in the stream so far
            return pd.DataFrame()

    def refresh(self) -> None:
        """Reload the selected sector's history (cheap: one sector, bounded window)."""
        if not self.sector_id:
            return
        hist = self._sector_frame()
        kpi = self.kpi.value
        t = self.clock.wall(hist[TIMESTAMP]) if len(hist) else NO_TIMES
        y = _values(hist, kpi).astype(float)
        flagged = (hist[IS_ANOMALY].to_numpy(dtype=bool) if IS_ANOMALY in hist
                   else np.zeros(len(hist), bool))
        label = clip_label(self.kpi.label or kpi)
        note = f"{int(flagged.sum())} anomalous" if len(hist) else "no data yet"
        if len(hist) and not np.isfinite(y).any():
            note = f"{NO_VALUES} · {note}"
        with self.figure.hold_sync(), self.line.hold_sync(), self.points.hold_sync():
            self.figure.title = f"{self.sector_id} · {label} ({note})"
            self.axes[1].label = self._unit(kpi)
            fit_axis(self.axes[1], y)
            fit_time_scale(self.line.scales["x"], t)
            set_time_ticks(self.axes[0], t)
            if len(hist):
                set_label(self.axes[0], self.clock.span_label(hist[TIMESTAMP]))
            self.line.x, self.line.y = t, y
            self.points.x, self.points.y = t[flagged], y[flagged]
