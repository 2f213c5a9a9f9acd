"""The live dashboard: one widget tree fed by the monitor as a sink.

The dashboard keeps no state of its own: charts read the engine's network history (or a
filtered subset's, from its sector history), the feed reads its incidents (grouped alert
episodes, with their acknowledgements), the map the latest batch and the sector table;
the triage bar narrows all three to a province, a state or a searched sector. The sink
only remembers the latest batch and schedules a redraw, at most once per tick and at most
every ``min_refresh_s`` seconds (1 s: a person reads a NOC screen no faster, and a fast
replay's every-tick redraw cost the browser and the kernel 2-3x the CPU), on the loop
thread; when ticks come faster than that the intermediate batches are coalesced (latest
state wins; the engine's history still has every tick), so a slow front end never slows
the detector. No ``with output:`` capture is used from the background task.
"""

from __future__ import annotations

import asyncio
import html
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from telecom_nb.alarms.incidents import IncidentBook
from telecom_nb.engine.exports import write_table
from telecom_nb.engine.scored import ScoredBatch
from telecom_nb.engine.sinks import CoalescingSink
from telecom_nb.params import short_duration
from telecom_nb.schema import PROVINCE, SECTOR, STATE
from telecom_nb.ui.charts import NetworkCharts, SectorChart
from telecom_nb.ui.clock import NetworkClock
from telecom_nb.ui.controls import Controls
from telecom_nb.ui.heartbeat import Heartbeat
from telecom_nb.ui.incident_feed import STYLE as FEED_STYLE
from telecom_nb.ui.incident_feed import TITLE as FEED_TITLE
from telecom_nb.ui.incident_feed import IncidentFeed
from telecom_nb.ui.kpis import MAX_CHARTS, choose_chart_kpis, kpi_meta
from telecom_nb.ui.map import SectorMap
from telecom_nb.ui.on_loop import serve_on_loop, widget_ids, widgets_since
from telecom_nb.ui.status import STYLE as STATUS_STYLE
from telecom_nb.ui.status import StatusLine
from telecom_nb.ui.triage import (
    DEFAULT_RANGE_H,
    Filter,
    TriageBar,
    filter_incidents,
    incident_sectors,
    match_sectors,
)

#: incidents listed (the scroll box shows ~15; the full list is
#: ``monitor.incidents_frame()``): every redraw resends the table, and open incidents
#: change on most ticks, so its length is most of the dashboard's bytes per tick
FEED_ROWS = 15
DEFAULT_CADENCE = pd.Timedelta("15min")

TITLE = (
    f"<style>{STATUS_STYLE}</style>"
    "<h3 style='margin:4px 0'>Network KPI monitor</h3>"
    "<div style='font-size:12px;color:#555'>Green dots: sectors behaving normally · "
    "red: anomalous now · orange: recovering (alert episode still open) · blue: "
    "acknowledged. Hover a dot for its KPIs beside their normal values, click it for its "
    "history below; filter, search and acknowledge with the bar above the map.</div>"
)


def _example_id(sectors: pd.DataFrame) -> str:
    """A sector id of this network for the search's hint (the simulator's style when none)."""
    ids = sectors[SECTOR].dropna().astype(str) if SECTOR in sectors else pd.Series(dtype=str)
    return str(ids.iloc[0]) if len(ids) else "THR-00012"


class Dashboard:
    """Map, charts, feed, status and controls for one monitor.

    It reads the monitor only through :class:`~telecom_nb.engine.view.MonitorView`: KPI
    names, labels, units (``kpi_info``) and the network's time zone (``timezone``) all
    come from it. ``chart_kpis`` picks the network charts (default: up to
    ``max_charts``, one of each kind of KPI first).
    """

    def __init__(self, monitor: Any, *, provinces: dict | None = None,
                 chart_window: int | None = None, feed_rows: int = FEED_ROWS,
                 min_refresh_s: float = 1.0, chart_kpis: Sequence[str] | None = None,
                 max_charts: int = MAX_CHARTS):
        mark = widget_ids()  # every widget built below answers the page on this loop
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
        self.map = SectorMap(monitor.sectors, provinces=provinces, kpis=kpis, kpi_labels=labels,
                             meta=self.kpi_meta, clock=self.clock, history=self._sector_history)
        self.fixed_window = chart_window  # ticks; None = the triage bar's time range
        self.charts = NetworkCharts(kpis, labels, window=chart_window or 96,
                                    max_charts=len(kpis), meta=self.kpi_meta, clock=self.clock)
        self.charts.show_only(self.chart_kpis)
        self.drill = SectorChart(self._sector_history, kpis, labels, meta=self.kpi_meta,
                                 clock=self.clock)
        # incidents: the monitor's book when it has one (acknowledgements are its state)
        self._own_book = getattr(monitor, "incidents_frame", None) is None
        self.book: IncidentBook = (IncidentBook() if self._own_book else monitor.incidents)
        self._incident_cache: tuple[object, pd.DataFrame] | None = None
        self.filter = Filter()
        self.matching: pd.Index | None = None
        self.feed = IncidentFeed(labels=labels, clock=self.clock, max_rows=feed_rows,
                                 on_acknowledge=self.acknowledge, on_pick=self._picked)
        self.triage = TriageBar(monitor.sectors[PROVINCE].dropna().astype(str).unique(), kpis,
                                labels, self.chart_kpis, on_filter=self.set_filter,
                                on_view=self._view_changed, on_export=self.export,
                                example_id=_example_id(monitor.sectors))
        self.heartbeat = Heartbeat(monitor.heartbeat)
        self.status = StatusLine(monitor, extra=lambda: f"page heartbeats {self.heartbeat.beats}",
                                 incidents=self._incident_summary)
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
        serve_on_loop(widgets_since(mark))

    def _layout(self) -> widgets.Widget:
        side = widgets.VBox([self.map.info, self.controls.widget],
                            layout=widgets.Layout(width="380px", min_width="300px"))
        self.map.widget.layout = widgets.Layout(flex="1 1 0%", min_width="420px")
        main = widgets.HBox([self.map.widget, side], layout=widgets.Layout(width="100%"))
        drill_title = widgets.HTML("<b>Selected sector</b>")
        feed_title = widgets.HTML(
            f"{FEED_STYLE}<b>{FEED_TITLE}</b> (alert episodes grouped by site and "
            "province-wide event; open and not acknowledged first, worst first; the "
            "severity's tooltip gives its odds)")
        self.charts_title = widgets.HTML(self._charts_title())
        root = widgets.VBox([
            widgets.HTML(TITLE), self.status.widget, self.triage.widget, main,
            drill_title, self.drill.widget, feed_title, self.feed.widget, self.charts_title,
            self.charts.widget, self.heartbeat.widget,
        ])
        root.add_class("tnb-dashboard")
        return root

    def _charts_title(self) -> str:
        """What a filtered chart averages: the ticks each sector keeps, said as a span once
        the cadence is known (96 ticks are a day at 15 min, 8 h at 5 min, 4 days hourly)."""
        kept = getattr(getattr(self.monitor, "sector_buffer", None), "k", None)
        span = "the ticks each sector keeps"
        if kept:
            span = f"the last {kept} ticks each sector keeps"
            if len(self.monitor.history_frame(last=2)) == 2:
                span += f", {short_duration(kept * self._cadence())} here"
        return ("<b>Network KPIs</b> (means per tick; filtered: the matching sectors' means "
                f"over {span})")

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
        self._draw_incidents(batch.frame)
        self.map.update(batch.frame)
        self._draw_charts()
        if not self.charts_title.value.endswith(" here)"):  # once, when the cadence is known
            self.charts_title.value = self._charts_title()
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

    # -- incidents ----------------------------------------------------------------------
    def incidents_frame(self) -> pd.DataFrame:
        """Every incident, worst first (the monitor's, or grouped here for a monitor
        without an incident book)."""
        if not self._own_book:
            return self.monitor.incidents_frame()
        key = (self.monitor.episodes_version, self.book.version, len(self.monitor.sectors))
        if self.book.cadence is None and len(self.monitor.history_frame(last=2)) == 2:
            self.book.cadence = self._cadence()
        if self._incident_cache is None or self._incident_cache[0] != key:
            frame = self.book.frame(self.monitor.recent_episodes(1000), self.monitor.sectors)
            self._incident_cache = (key, frame)
        return self._incident_cache[1]

    def acknowledge(self, incident_id: int, comment: str = "", who: str = "") -> Any:
        """Acknowledge an incident (as the feed's button does) and redraw at once."""
        self.incidents_frame()  # grouped as shown
        ack = self.book.acknowledge(incident_id, comment, who)
        self._draw_incidents(None)
        self.map.update()
        self.status.refresh()
        return ack

    def _latest_frame(self) -> pd.DataFrame | None:
        latest = getattr(self.latest, "latest", None)
        return latest.frame if latest is not None else None

    def _draw_incidents(self, frame: pd.DataFrame | None) -> None:
        """Filter and rank the incidents for the feed; tell the map which sectors are
        acknowledged."""
        frame = frame if frame is not None else self._latest_frame()
        incidents = self.incidents_frame()
        states = frame[STATE] if frame is not None and STATE in frame else pd.Series(dtype=str)
        ids = frame[SECTOR].astype(str) if frame is not None else pd.Series(dtype=str)
        hot = pd.Index(ids[states.to_numpy() == "anomalous"].to_numpy(), dtype=object)
        shown = filter_incidents(incidents, self.filter, self.matching, hot)
        acked = incidents[incidents["acknowledged"].astype(bool)
                          & incidents["is_open"].astype(bool)] if len(incidents) else incidents
        self.map.acknowledged = pd.Index(incident_sectors(acked).to_numpy(), dtype=object) \
            if len(acked) else pd.Index([], dtype=object)
        picked = self.feed.picked
        members = self.book.members(picked) if picked is not None else None
        by_sector = (pd.Series(states.to_numpy(), index=ids.to_numpy())
                     if picked is not None and frame is not None else None)
        tick_key = getattr(self.monitor, "tick", 0) if self.filter.state in (
            "anomalous", "recovering") else None
        key = (getattr(self.monitor, "episodes_version", 0), self.book.version, self.filter,
               None if self.matching is None else len(self.matching), tick_key)
        self.feed.show(shown, key, members, by_sector)

    def _incident_summary(self) -> str:
        incidents = self.incidents_frame()
        if incidents.empty:
            return "no incidents"
        open_ = incidents["is_open"].astype(bool)
        waiting = int((open_ & ~incidents["acknowledged"].astype(bool)).sum())
        return f"{int(open_.sum())} open incidents ({waiting} not acknowledged)"

    def _picked(self, _incident: int | None) -> None:
        self._draw_incidents(None)

    # -- filter, charts, exports --------------------------------------------------------
    def set_filter(self, flt: Filter) -> None:
        """Narrow map, feed and charts (also what the triage bar calls)."""
        self.filter = flt
        self.matching = match_sectors(self.monitor.sectors, flt)
        self.map.set_filter(self.matching, flt.state)
        n = None if self.matching is None else len(self.matching)
        if n == 0:
            example = html.escape(self.triage.example_id)
            self.triage.note.value = ('<span style="color:#b00">no sector matches: the search '
                                      f"is part of a sector or site id, e.g. {example}</span>")
        elif n is not None:
            self.triage.note.value = f"{n:,} sector{'' if n == 1 else 's'} match"
            exact = [s for s in self.matching if s.lower() == flt.search.strip().lower()]
            if n == 1 or exact:
                self.map.select(exact[0] if exact else str(self.matching[0]))
        else:
            self.triage.note.value = ""
        self._draw_incidents(None)
        self._draw_charts()

    def _cadence(self) -> pd.Timedelta:
        times = self.monitor.history_frame(last=2)["timestamp"]
        step = (times.iloc[-1] - times.iloc[0]) if len(times) == 2 else DEFAULT_CADENCE
        return step if step > pd.Timedelta(0) else DEFAULT_CADENCE

    def _view_changed(self) -> None:
        self.charts.show_only(self.triage.kpis.value)
        self._draw_charts()

    def _draw_charts(self) -> None:
        """The chosen time range of the network (or the filtered sectors') history."""
        hours = self.triage.hours if self.triage is not None else DEFAULT_RANGE_H
        ticks = self.fixed_window or max(2, math.ceil(pd.Timedelta(hours=hours)
                                                      / self._cadence()))
        self.charts.window = ticks
        subset = getattr(self.monitor, "subset_history", None)
        if self.matching is not None and subset is not None:
            history = subset(self.matching).tail(ticks)
            self.charts.set_scope(f"{self.filter.describe()}, {len(self.matching):,} sectors")
        else:
            history = self.monitor.history_frame(last=ticks)
            self.charts.set_scope("" if self.matching is None else "whole network (no "
                                  "per-sector history in this monitor)")
        self.charts.update(history)

    def export(self, what: str = "episodes", fmt: str = "csv",
               directory: str | Path | None = None) -> Path:
        """Write episodes or incidents to CSV or Parquet; returns the path."""
        if getattr(self.monitor, "export", None) is not None:
            return self.monitor.export(what, fmt, directory)
        frame = (self.incidents_frame() if what == "incidents"
                 else self.monitor.recent_episodes(10_000))
        return write_table(frame, what, fmt, directory, getattr(self.monitor, "timezone", None))

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
