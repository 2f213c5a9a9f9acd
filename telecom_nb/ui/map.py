"""The sector map: province outlines + all sectors (drawn once) + a small per-tick overlay.

Design measured in ``shared/NOTES.md``: one static GeoJSON of every sector and overlays
holding only the anomalous / recovering ones cost ~4 KB per tick at 500 sectors and
~170 KB at 20,000, where per-sector widgets cost megabytes and drop messages.

Sectors that appear after start-up go to a second, normally small base layer ("added"),
so a new site costs a message the size of the new sectors, not a resend of the whole
network; once the added layer outgrows the first one, both are merged (amortised).

Each sector is drawn where :mod:`~telecom_nb.ui.fan` puts it: fanned out from its site by
azimuth, a few pixels at the map's current zoom, so co-located sectors can each be hovered
and clicked at every zoom. When the map's ``zoom`` changes every layer is redrawn at that
zoom's fan (base, added, the filter's and the alerts alike: one set of positions, which the
overlays, the filter's view and the search's zoom-to read too). The first view fits the
data; sectors without a position are listed under the map instead of silently missing.
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Callable, Mapping, Sequence

import ipyleaflet
import ipywidgets as widgets
import numpy as np
import pandas as pd
from traitlets import Float, HasTraits, Unicode

from telecom_nb.schema import LAT, LON, SECTOR
from telecom_nb.ui.clock import NetworkClock
from telecom_nb.ui.fan import coord_decimals, fan_at, fan_geometry, where_drawn
from telecom_nb.ui.geojson import EMPTY_COLLECTION, points_collection
from telecom_nb.ui.kpis import KpiMeta
from telecom_nb.ui.page_view import PageView
from telecom_nb.ui.placement import IRAN_CENTER, IRAN_ZOOM, initial_view, unplaced_ids
from telecom_nb.ui.sector_info import frame_states, info_html

__all__ = ["COLORS", "IRAN_CENTER", "IRAN_ZOOM", "SectorMap", "frame_states"]

COLORS = {"normal": "#2e9e44", "anomalous": "#d62728", "recovering": "#ff9f1c",
          "acknowledged": "#5468d4"}
#: the whole network's dots while a filter is on: grey, small, behind the matching ones
DIMMED = {"radius": 3, "color": "#9a9a9a", "fillColor": "#9a9a9a", "weight": 0,
          "opacity": 0.35, "fillOpacity": 0.35}
STATE_FILTERS = ("all", "anomalous", "recovering", "acknowledged")
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
DOT_RADIUS = 5  # px: big enough to hover and click (the overlays draw 1 px larger)
SHOWN_UNPLACED = 5
#: an export of 40 KPIs: the hover table scrolls in the side panel (the controls stay in
#: view; ``sector_info.INFO_TOP_FIRST`` puts the KPI that drove the flag first)
INFO_MAX_HEIGHT = "480px"
#: the alert overlay's drawing order (later on top) and each state's dot over the layer's
#: red ``point_style`` (None: red itself, the commonest, so it carries no style)
ALERT_ORDER = ("acknowledged", "recovering", "anomalous")
#: (a dark rim on every alert dot, so a fill colour is all a state changes: ~25 B a dot)
OVERLAY_STYLES: dict[str, dict | None] = {
    "acknowledged": {"fillColor": COLORS["acknowledged"]},
    "recovering": {"fillColor": COLORS["recovering"]},
    "anomalous": None,
}
ALERT_RIM = "#3a3a3a"
#: a zoom's redraw waits for a newer zoom (a scroll wheel's several steps, Leaflet's
#: animation 0.25 s each) as long as the last redraw took, at most this: one redraw for the
#: last step, where a 100k-sector map spent ~1 s and sent 13 MB per step
ZOOM_SETTLE_S = 0.3


def _dot(color: str, radius: int, opacity: float) -> dict:
    return {"radius": radius, "color": color, "fillColor": color, "weight": 1,
            "opacity": opacity, "fillOpacity": opacity}


def _same_ids(a: pd.Index | None, b: pd.Index | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return len(a) == len(b) and bool(a.equals(b))


class SectorMap(HasTraits):
    """ipyleaflet map of the network; ``selected`` is the clicked sector's id."""

    selected = Unicode("", help="sector id chosen by a click (drives the drill-down chart)")
    fan_zoom = Float(help="the zoom every layer's dots are drawn for (follows the map's)")

    def __init__(self, sectors: pd.DataFrame, provinces: dict | None = None, *,
                 kpis: Sequence[str] = (), kpi_labels: Mapping[str, str] | None = None,
                 meta: Mapping[str, KpiMeta] | None = None, clock: NetworkClock | None = None,
                 history: Callable[[str], pd.DataFrame] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.kpis = tuple(kpis)  # shown on hover, from the monitor (the data's own KPIs)
        self.kpi_labels = dict(kpi_labels or {})
        self.meta = dict(meta or {k: KpiMeta(k, self.kpi_labels.get(k, k)) for k in self.kpis})
        self.clock = clock or NetworkClock()
        self._history = history  # sector id -> its recent ticks (for normal values)
        self.matching: pd.Index | None = None  # sector ids the filter keeps (None: all)
        self.state_filter = "all"
        self.acknowledged: pd.Index = pd.Index([], dtype=object)  # sectors in acked incidents
        if provinces is None:
            from telecom_nb.geo.provinces import provinces_geojson

            provinces = provinces_geojson()
        self._latest: pd.DataFrame | None = None
        self.n_base = len(sectors)  # sectors drawn by ``base``; the rest by ``added``
        self.n_sectors = len(sectors)  # sectors drawn in all
        center, zoom = initial_view(sectors)
        self._fan = fan_geometry(sectors)  # each placed sector's site, direction and cap
        self.fan_zoom = float(zoom)
        self._drawn = fan_at(self._fan, zoom)  # where each dot is at ``fan_zoom``
        self._n_base_dots = len(self._drawn)  # the first rows of _drawn are the base's
        self.unplaced: list[str] = unplaced_ids(sectors)
        self.map = ipyleaflet.Map(
            center=center, zoom=zoom, prefer_canvas=True, scroll_wheel_zoom=True,
            attribution_control=False, layers=(),  # no tile server needed: we draw our own base
        )
        self.map.add(ipyleaflet.AttributionControl(position="bottomright",
                                                   prefix=f"ipyleaflet | {OSM_ATTRIBUTION}"))
        self.provinces = ipyleaflet.GeoJSON(
            data=provinces, name="provinces",
            style={"color": "#555", "weight": 1, "fillColor": "#e9e4d8", "fillOpacity": 0.6},
        )
        self.base = ipyleaflet.GeoJSON(
            data=self._points(self._drawn), name="sectors",
            point_style=_dot(COLORS["normal"], DOT_RADIUS, 0.7),
            hover_style={"weight": 3, "fillOpacity": 1.0},
        )
        self.added = ipyleaflet.GeoJSON(
            data=EMPTY_COLLECTION, name="sectors (added)",
            point_style=_dot(COLORS["normal"], DOT_RADIUS, 0.7),
            hover_style={"weight": 3, "fillOpacity": 1.0},
        )
        self.alerts = ipyleaflet.GeoJSON(  # anomalous (red), recovering, acknowledged
            data=EMPTY_COLLECTION, name="alerts",
            point_style={**_dot(COLORS["anomalous"], DOT_RADIUS + 1, 0.9), "color": ALERT_RIM},
        )
        self.highlight = ipyleaflet.GeoJSON(  # the sectors a filter keeps, over the dimmed
            data=EMPTY_COLLECTION, name="filtered sectors",
            point_style=_dot(COLORS["normal"], DOT_RADIUS, 0.8),
            hover_style={"weight": 3, "fillOpacity": 1.0},
        )
        self.layers = (self.base, self.added, self.highlight, self.alerts)
        for layer in (self.provinces, *self.layers):
            self.map.add(layer)
        for layer in self.layers:
            layer.on_click(self._on_click)
            layer.on_hover(self._on_hover)
        self._pending_redraw: asyncio.TimerHandle | None = None
        self._redraw_s = ZOOM_SETTLE_S  # what the last redraw took (the wait after a zoom)
        self.map.observe(self._zoomed, names="zoom")
        # JupyterLab 4 sends the page's zoom and centre only through links (page_view)
        self._view = PageView(self.map)
        self.zoom_seen, self.center_seen = self._view.zoom_seen, self._view.center_seen
        self.tiles = ipyleaflet.TileLayer(
            url="https://tile.openstreetmap.org/{z}/{x}/{y}.png", name="OpenStreetMap tiles",
            attribution=OSM_ATTRIBUTION, max_zoom=19,
        )
        self.tiles_toggle = widgets.Checkbox(
            value=False, description="OSM tiles (needs internet)", indent=False
        )
        self.tiles_toggle.observe(self._toggle_tiles, names="value")
        self.tiles_toggle.add_class("tnb-tiles")
        self.info = widgets.HTML("<i>Hover or click a sector for its KPIs, each beside its "
                                 "normal value at this hour.</i>",
                                 layout=widgets.Layout(max_height=INFO_MAX_HEIGHT,
                                                       overflow="auto"))
        self.info.add_class("tnb-info")
        # the panel follows the trait, so code setting ``selected`` shows what a click shows
        self.observe(self._selected_changed, names="selected")
        self.legend = widgets.HTML(
            " ".join(f'<span style="color:{c}">●</span> {s}' for s, c in COLORS.items())
            + ' <span style="color:#9a9a9a">●</span> outside the filter'
        )
        self.unplaced_note = widgets.HTML(self._unplaced_text())
        self.unplaced_note.add_class("tnb-unplaced")
        self.map.layout = widgets.Layout(height="480px", width="100%")
        self.map.add_class("tnb-map")
        self.widget = widgets.VBox([self.map, widgets.HBox([self.legend, self.tiles_toggle]),
                                    self.unplaced_note])

    # -- per tick ---------------------------------------------------------------------
    def update(self, frame: pd.DataFrame | None = None) -> None:
        """Replace the alert overlay with this tick's anomalous / recovering / acknowledged
        sectors, as far as the filter keeps them (``frame``: the latest batch).

        One layer for the three states (a colour per feature, red on top): one message
        per tick instead of one per state, which kept the 500-sector budget at its limit.
        """
        if frame is not None:
            self._latest = frame
        frame = self._latest
        if frame is None:
            return
        states = frame_states(frame).to_numpy()
        ids = frame[SECTOR].to_numpy(dtype=object)
        keep = np.ones(len(frame), bool) if self.matching is None else pd.Index(ids).isin(
            self.matching)
        acked = pd.Index(ids).isin(self.acknowledged) & (states != "normal")
        shown = {name: keep & ~acked & (states == name) for name in ("anomalous", "recovering")}
        shown["acknowledged"] = keep & acked
        for name in shown:
            if self.state_filter not in ("all", name):
                shown[name][:] = False
        rows = [np.flatnonzero(shown[name]) for name in ALERT_ORDER]
        styles = [OVERLAY_STYLES[name] for name, at in zip(ALERT_ORDER, rows, strict=True)
                  for _ in range(len(at))]
        shown_rows = where_drawn(self._drawn, frame.iloc[np.concatenate(rows)])
        data = points_collection(shown_rows, styles, decimals=coord_decimals(self.fan_zoom))
        if data != self.alerts.data:
            self.alerts.data = data
        if self.selected:
            self.info.value = self.describe(self.selected)

    def set_filter(self, matching: pd.Index | None, state: str = "all",
                   acknowledged: pd.Index | None = None) -> None:
        """Dim every sector but ``matching`` (None: no filter) and show only overlays of
        ``state``; the view moves to the matching sectors (back to the first view when
        cleared). One style message and one layer of the matching sectors per change."""
        if state not in STATE_FILTERS:
            raise ValueError(f"state filter must be one of {', '.join(STATE_FILTERS)}; "
                             f"got {state!r}")
        if acknowledged is not None:
            self.acknowledged = pd.Index(acknowledged, dtype=object)
        changed = not _same_ids(matching, self.matching)
        self.matching, self.state_filter = matching, state
        if changed:
            dim = matching is not None
            style = DIMMED if dim else _dot(COLORS["normal"], DOT_RADIUS, 0.7)
            kept = self._drawn.index.isin(matching) if dim else np.zeros(len(self._drawn), bool)
            with self.base.hold_sync(), self.added.hold_sync(), self.highlight.hold_sync():
                self.base.style = self.added.style = style
                self.highlight.data = self._points(self._drawn[kept])
            self._move_to(kept if kept.any() else None)
        self.update()

    def _move_to(self, kept: np.ndarray | None) -> None:
        """View the sites of the ``kept`` dots (all when None): their sites, not their dots
        as drawn now, since the dots move to the new zoom's fan (a country view's dot
        is kilometres from its site, which the zoomed-in view would leave off-screen)."""
        sites = self._fan if kept is None else self._fan[kept]
        center, zoom = initial_view(pd.DataFrame({LAT: sites["site_lat"].to_numpy(),
                                                  LON: sites["site_lon"].to_numpy()}))
        self._view.move_to(list(center), zoom)

    def _zoomed(self, change: dict) -> None:
        """Redraw for the map's new zoom once no newer zoom came for as long as a redraw
        takes (at most ``ZOOM_SETTLE_S``; a small map's redraw is soon, a 100k one's
        coalesces a wheel's steps); at once where no event loop runs (scripts, tests)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.redraw(float(change["new"]))
            return
        if self._pending_redraw is not None:
            self._pending_redraw.cancel()
        self._pending_redraw = loop.call_later(min(self._redraw_s, ZOOM_SETTLE_S),
                                              self._settled)

    def _settled(self) -> None:
        self._pending_redraw = None
        self.redraw(float(self.map.zoom))

    def redraw(self, zoom: float) -> None:
        """Every layer's dots at ``zoom``'s fan, in one batch of messages (the map's zoom
        changed: a fan of the old zoom is one dot when zoomed out, far off when zoomed in)."""
        if zoom == self.fan_zoom:
            return
        t0 = time.perf_counter()
        self.fan_zoom = zoom
        self._drawn = fan_at(self._fan, zoom)
        with self.base.hold_sync(), self.added.hold_sync(), self.highlight.hold_sync(), \
                self.alerts.hold_sync():
            self.base.data = self._points(self._drawn.iloc[:self._n_base_dots])
            if self._n_base_dots < len(self._drawn):
                self.added.data = self._points(self._drawn.iloc[self._n_base_dots:])
            if self.matching is not None:
                self.highlight.data = self._points(
                    self._drawn[self._drawn.index.isin(self.matching)])
            self.update()
        self._redraw_s = time.perf_counter() - t0

    def _points(self, drawn: pd.DataFrame) -> dict:
        """``drawn`` (index sector id) as a layer's GeoJSON at the current zoom's precision."""
        return points_collection(drawn.reset_index(), decimals=coord_decimals(self.fan_zoom))

    def show_sectors(self, sectors: pd.DataFrame) -> bool:
        """Draw sectors that appeared since start-up; True when a layer changed.

        ``sectors`` is the monitor's sector table, which only grows by appending rows, so
        the new ones are the rows past those already drawn (a length check per tick).
        """
        n = len(sectors)
        if n <= self.n_sectors:
            return False
        geometry = fan_geometry(sectors)
        # dots already drawn keep their site and direction; every cap is the new table's
        # (a new site near an old one shrinks the old site's: its dots stay nearer it)
        geometry.update(self._fan.drop(columns="reach_m"))
        self._fan = geometry
        based = self._drawn.iloc[:self._n_base_dots]
        self._drawn = fan_at(geometry, self.fan_zoom)
        late = n - self.n_base
        if late > self.n_base:  # the added layer would outweigh the base: merge once
            with self.base.hold_sync(), self.added.hold_sync():
                self.base.data = self._points(self._drawn)
                self.added.data = EMPTY_COLLECTION
            self.n_base = n
            self._n_base_dots = len(self._drawn)
        else:
            if not self._drawn.iloc[:self._n_base_dots].equals(based):  # a cap shrank
                self.base.data = self._points(self._drawn.iloc[:self._n_base_dots])
            self.added.data = self._points(self._drawn.iloc[self._n_base_dots:])
        self.n_sectors = n
        unplaced = unplaced_ids(sectors)
        if unplaced != self.unplaced:
            self.unplaced = unplaced
            self.unplaced_note.value = self._unplaced_text()
        return True

    def _unplaced_text(self) -> str:
        """"3 sectors have no position (not on the map): a, b, c" (empty when none)."""
        n = len(self.unplaced)
        if not n:
            return ""
        # each id in its own <code>: an export's cell names hold commas ("Tehran, Azadi 1")
        shown = ", ".join(f"<code>{html.escape(s)}</code>" for s in self.unplaced[:SHOWN_UNPLACED])
        more = f" and {n - SHOWN_UNPLACED:,} more" if n > SHOWN_UNPLACED else ""
        noun = "sector has" if n == 1 else "sectors have"
        return (f'<span style="font-size:12px;color:#8a5a00">⚠ {n:,} {noun} no position '
                f"(not on the map; check the sites inventory): {shown}{more}</span>")

    def alert_states(self) -> dict[str, str]:
        """Sector id -> state ("anomalous", "recovering", "acknowledged") of each dot the
        alert overlay draws now (read back from the layer: what the browser shows)."""
        by_color = {st["fillColor"]: name for name, st in OVERLAY_STYLES.items() if st}
        return {f["properties"]["sector_id"]:
                by_color.get(f["properties"].get("style", {}).get("fillColor"), "anomalous")
                for f in self.alerts.data["features"]}

    # -- interaction ------------------------------------------------------------------
    def select(self, sector_id: str) -> None:
        """Select a sector as a click would (for code and tests); the panel follows the
        trait (:meth:`_selected_changed`), and is redrawn here only when the same sector is
        chosen again (no change, no event)."""
        if sector_id == self.selected:
            self.info.value = self.describe(sector_id)
        self.selected = sector_id

    def describe(self, sector_id: str) -> str:
        """HTML for the info panel (:func:`~telecom_nb.ui.sector_info.info_html`)."""
        return info_html(str(sector_id), self._latest, self._history, self.kpis, self.meta,
                         self.clock, COLORS)

    def _selected_changed(self, change: dict) -> None:
        if change["new"]:
            self.info.value = self.describe(change["new"])

    def _on_click(self, **event) -> None:
        sid = (event.get("properties") or {}).get("sector_id")
        if sid:
            self.select(str(sid))

    def _on_hover(self, **event) -> None:
        sid = (event.get("properties") or {}).get("sector_id")
        if sid:
            self.info.value = self.describe(str(sid))

    def _toggle_tiles(self, change) -> None:
        if change["new"] and self.tiles not in self.map.layers:
            self.map.layers = (self.tiles, *self.map.layers)
        elif not change["new"] and self.tiles in self.map.layers:
            self.map.remove(self.tiles)
