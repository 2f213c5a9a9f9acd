"""The live dashboard: one widget tree fed by the monitor as a sink.

The dashboard keeps no state of its own: charts read the engine's network history, the
feed reads its alert episodes, the map the latest batch and the sector table. The sink
only remembers the latest batch and schedules a redraw, at most once per tick and at most
every ``min_refresh_s`` seconds, on the loop thread; when ticks come faster than that the
intermediate batches are coalesced (latest state wins; the engine's history still has
every tick), so a slow front end never slows the detector. No ``with output:`` capture is
used from the background task.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import pandas as pd

from telecom_nb.engine.scored import ScoredBatch
from telecom_nb.engine.sinks import CoalescingSink
from telecom_nb.ui.charts import NetworkCharts, SectorChart
from telecom_nb.ui.clock import NetworkClock
from telecom_nb.ui.controls import Controls
from telecom_nb.ui.feed import STYLE as FEED_STYLE
from telecom_nb.ui.feed import TITLE as FEED_TITLE
from telecom_nb.ui.feed import EpisodeFeed
from telecom_nb.ui.heartbeat import Heartbeat
from telecom_nb.ui.kpis import MAX_CHARTS, choose_chart_kpis, kpi_meta
from telecom_nb.ui.map import SectorMap
from telecom_nb.ui.status import StatusLine

#: alert episodes listed (the scroll box shows ~15; the full list is
#: ``monitor.recent_episodes()``): every redraw resends the table, and open episodes change
#: on most ticks, so its length is most of the dashboard's bytes per tick
FEED_ROWS = 15

TITLE = (
    "<h3 style='margin:4px 0'>Network KPI monitor</h3>"
    "<div style='font-size:12px;color:#555'>Green dots: sectors behaving normally · "
    "red: anomalous now · orange: recovering (alert episode still open). "
    "Hover a dot for its KPIs, click it for its history below.</div>"
)


class Dashboard:
    """Map, charts, feed, status and controls for one monitor.

    It reads the monitor only through :class:`~telecom_nb.engine.view.MonitorView`: KPI
    names, labels, units (``kpi_info``) and the network's time zone (``timezone``) all
    come from it. ``chart_kpis`` picks the network charts (default: up to
    ``max_charts``, one of each kind of KPI first).
    """

    def __init__(self, monitor: Any, *, provinces: dict | None = None,
                 chart_window: int = 120, feed_rows: int = FEED_ROWS,
                 min_refresh_s: float = 0.25, chart_kpis: Sequence[str] | None = None,
                 max_charts: int = MAX_CHARTS):
        self.monitor = monitor
        self.min_refresh_s = min_refresh_s
        self.latest = CoalescingSink()
        self.refreshes = 0
        self._last_refresh = float("-inf")
        self._scheduled: asyncio.Handle | None = None
        self._scheduled_loop: asyncio.AbstractEventLoop | None = None

        kpis, labels = tuple(monitor.kpis), dict(monitor.kpi_labels)
        self.kpi_meta = kpi_meta(monitor)
        self.clock = NetworkClock.of(monitor)
        if chart_kpis is None:
            chart_kpis = choose_chart_kpis(kpis, self.kpi_meta, max_charts)
        unknown = [k for k in chart_kpis if k not in kpis]
        if unknown:
            raise ValueError(f"chart_kpis {unknown} are not KPIs of this stream; "
                             f"its KPIs are {list(kpis)}")
        self.chart_kpis = tuple(chart_kpis)
        self.map = SectorMap(monitor.sectors, provinces=provinces, kpis=kpis, kpi_labels=labels)
        self.charts = NetworkCharts(self.chart_kpis, labels, window=chart_window,
                                    max_charts=len(self.chart_kpis), meta=self.kpi_meta,
                                    clock=self.clock)
        self.drill = SectorChart(self._sector_history, kpis, labels, meta=self.kpi_meta,
                                 clock=self.clock)
        self.feed = EpisodeFeed(monitor.recent_episodes, lambda: monitor.episodes_version,
                                max_rows=feed_rows, kpis=kpis, labels=labels, clock=self.clock)
        self.heartbeat = Heartbeat(monitor.heartbeat)
        self.status = StatusLine(monitor, extra=lambda: f"page heartbeats {self.heartbeat.beats}")
        self.controls = Controls(monitor)
        self.map.observe(self._show_selected, names="selected")
        # Observers put on the model, kept so that close() can take them off again.
        self._alarms = monitor.alarms
        self._alarm_params = [p for p in self.status.SHOWN_PARAMS
                              if p in self._alarms.param_names()]
        self._monitor_traits = ["status", "paused", "error"]
        if self._alarm_params:
            self._alarms.observe(self._refresh_status, names=self._alarm_params)
        monitor.observe(self._refresh_status, names=self._monitor_traits)
        monitor.add_sink(self._on_batch)
        self._closed = False
        self.widget = self._layout()

    def _layout(self) -> widgets.Widget:
        side = widgets.VBox([self.map.info, self.controls.widget],
                            layout=widgets.Layout(width="340px", min_width="300px"))
        self.map.widget.layout = widgets.Layout(flex="1 1 0%", min_width="420px")
        main = widgets.HBox([self.map.widget, side], layout=widgets.Layout(width="100%"))
        drill_title = widgets.HTML("<b>Selected sector</b>")
        feed_title = widgets.HTML(f"{FEED_STYLE}<b>{FEED_TITLE}</b> (open first, most "
                                  "recently anomalous first; then the recently closed)")
        root = widgets.VBox([
            widgets.HTML(TITLE), self.status.widget, main, self.charts.widget,
            drill_title, self.drill.widget, feed_title, self.feed.widget, self.heartbeat.widget,
        ])
        root.add_class("tnb-dashboard")
        return root

    # -- the sink ---------------------------------------------------------------------
    def _on_batch(self, batch: ScoredBatch) -> None:
        """Called by the monitor for every scored batch: remember it, draw later."""
        self.latest(batch)
        self._schedule()

    def _schedule(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called synchronously (tests, step-by-step code)
            self.refresh()
            return
        if self._scheduled is not None and self._scheduled_loop is loop:
            return  # a refresh is already due; it will draw the latest batch
        # (a handle left on a loop that has ended since, e.g. by asyncio.run, never runs)
        self._scheduled_loop = loop
        delay = max(0.0, self._last_refresh + self.min_refresh_s - time.monotonic())
        if delay > 0:
            self._scheduled = loop.call_later(delay, self._scheduled_refresh)
        else:
            self._scheduled = loop.call_soon(self._scheduled_refresh)

    def _scheduled_refresh(self) -> None:
        self._scheduled = None
        self.refresh()

    def refresh(self) -> bool:
        """Draw the latest batch if there is a new one; True if widgets were updated."""
        batch = self.latest.take()
        if batch is None:
            return False
        self._last_refresh = time.monotonic()
        self.map.show_sectors(self.monitor.sectors)
        self.map.update(batch.frame)
        self.charts.update(self.monitor.history_frame(last=self.charts.window))
        self.feed.refresh()
        self.status.refresh()
        self.drill.refresh()
        if getattr(self.monitor, "running", False):
            self.heartbeat.kick()
        self.refreshes += 1
        return True

    def _sector_history(self, sector_id: str) -> pd.DataFrame:
        return self.monitor.sector_history(sector_id)

    def _show_selected(self, change: dict) -> None:
        self.drill.show(change["new"])

    def _refresh_status(self, _change: dict) -> None:
        self.status.refresh()

    # -- notebook helpers -------------------------------------------------------------
    def tick_table(self) -> pd.DataFrame:
        """Per-tick network aggregates: the engine's ``monitor.history_frame()``."""
        return self.monitor.history_frame()

    def close(self) -> None:
        """Detach from the monitor (sink and every trait observer) and close the widgets."""
        if self._closed:
            return
        self._closed = True
        remove = getattr(self.monitor, "remove_sink", None)
        if remove is not None:
            remove(self._on_batch)
        if self._scheduled is not None:
            self._scheduled.cancel()
            self._scheduled = None
        if self._alarm_params:
            self._alarms.unobserve(self._refresh_status, names=self._alarm_params)
        self.monitor.unobserve(self._refresh_status, names=self._monitor_traits)
        self.controls.close()
        self.heartbeat.close()
        self.map.unobserve(self._show_selected, names="selected")
        self.widget.close()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
        self._kick_after_display()

    def _kick_after_display(self) -> None:
        """Start the heartbeat once the page has had time to render the Play widget."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        for delay in (0.5, 2.0, 5.0):
            loop.call_later(delay, self.heartbeat.kick)


def show_dashboard(monitor: Any, **kwargs: Any) -> Dashboard:
    """Build a :class:`Dashboard` for ``monitor`` and display it."""
    from IPython.display import display

    dashboard = Dashboard(monitor, **kwargs)
    display(dashboard)
    return dashboard
