"""The sector map: province outlines + all sectors (drawn once) + a small per-tick overlay.

Design measured in ``shared/NOTES.md``: one static GeoJSON of every sector and overlays
holding only the anomalous / recovering ones cost ~4 KB per tick at 500 sectors and
~170 KB at 20,000, where per-sector widgets cost megabytes and drop messages.

Sectors that appear after start-up go to a second, normally small base layer ("added"),
so a new site costs a message the size of the new sectors, not a resend of the whole
network; once the added layer outgrows the first one, both are merged (amortised).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import ipyleaflet
import ipywidgets as widgets
import pandas as pd
from traitlets import HasTraits, Unicode

from telecom_nb.schema import PROVINCE, SCORE, SECTOR, STATE, TOP_KPI
from telecom_nb.ui.geojson import EMPTY_COLLECTION, points_collection

IRAN_CENTER = (32.5, 54.0)
IRAN_ZOOM = 5
COLORS = {"normal": "#2e9e44", "anomalous": "#d62728", "recovering": "#ff9f1c"}
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"


def _dot(color: str, radius: int, opacity: float) -> dict:
    return {"radius": radius, "color": color, "fillColor": color, "weight": 1,
            "opacity": opacity, "fillOpacity": opacity}


def frame_states(frame: pd.DataFrame) -> pd.Series:
    """The per-row state, derived from ``is_anomaly`` when the frame has no ``state``."""
    if STATE in frame:
        return frame[STATE]
    return frame["is_anomaly"].map({True: "anomalous", False: "normal"})


class SectorMap(HasTraits):
    """ipyleaflet map of the network; ``selected`` is the clicked sector's id."""

    selected = Unicode("", help="sector id chosen by a click (drives the drill-down chart)")

    def __init__(self, sectors: pd.DataFrame, provinces: dict | None = None, *,
                 kpis: Sequence[str] = (), kpi_labels: Mapping[str, str] | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.kpis = tuple(kpis)  # shown on hover, from the monitor (the data's own KPIs)
        self.kpi_labels = dict(kpi_labels or {})
        if provinces is None:
            from telecom_nb.geo.provinces import provinces_geojson

            provinces = provinces_geojson()
        self._latest: pd.DataFrame | None = None
        self.n_base = len(sectors)  # sectors drawn by ``base``; the rest by ``added``
        self.n_sectors = len(sectors)  # sectors drawn in all
        self.map = ipyleaflet.Map(
            center=IRAN_CENTER, zoom=IRAN_ZOOM, prefer_canvas=True, scroll_wheel_zoom=True,
            attribution_control=False, layers=(),  # no tile server needed: we draw our own base
        )
        self.map.add(ipyleaflet.AttributionControl(position="bottomright",
                                                   prefix=f"ipyleaflet | {OSM_ATTRIBUTION}"))
        self.provinces = ipyleaflet.GeoJSON(
            data=provinces, name="provinces",
            style={"color": "#555", "weight": 1, "fillColor": "#e9e4d8", "fillOpacity": 0.6},
        )
        self.base = ipyleaflet.GeoJSON(
            data=points_collection(sectors), name="sectors",
            point_style=_dot(COLORS["normal"], 3, 0.7),
            hover_style={"weight": 3, "fillOpacity": 1.0},
        )
        self.added = ipyleaflet.GeoJSON(
            data=EMPTY_COLLECTION, name="sectors (added)",
            point_style=_dot(COLORS["normal"], 3, 0.7),
            hover_style={"weight": 3, "fillOpacity": 1.0},
        )
        self.recovering = ipyleaflet.GeoJSON(
            data=EMPTY_COLLECTION, name="recovering", point_style=_dot(COLORS["recovering"], 5, 0.9)
        )
        self.anomalous = ipyleaflet.GeoJSON(
            data=EMPTY_COLLECTION, name="anomalous", point_style=_dot(COLORS["anomalous"], 5, 0.9)
        )
        for layer in (self.provinces, self.base, self.added, self.recovering, self.anomalous):
            self.map.add(layer)
        for layer in (self.base, self.added, self.recovering, self.anomalous):
            layer.on_click(self._on_click)
            layer.on_hover(self._on_hover)
        self.tiles = ipyleaflet.TileLayer(
            url="https://tile.openstreetmap.org/{z}/{x}/{y}.png", name="OpenStreetMap tiles",
            attribution=OSM_ATTRIBUTION, max_zoom=19,
        )
        self.tiles_toggle = widgets.Checkbox(
            value=False, description="OSM tiles (needs internet)", indent=False
        )
        self.tiles_toggle.observe(self._toggle_tiles, names="value")
        self.tiles_toggle.add_class("tnb-tiles")
        self.info = widgets.HTML("<i>Hover or click a sector for its KPIs.</i>")
        self.info.add_class("tnb-info")
        self.legend = widgets.HTML(
            " ".join(f'<span style="color:{c}">●</span> {s}' for s, c in COLORS.items())
        )
        self.map.layout = widgets.Layout(height="480px", width="100%")
        self.map.add_class("tnb-map")
        self.widget = widgets.VBox([self.map, widgets.HBox([self.legend, self.tiles_toggle])])

    # -- per tick ---------------------------------------------------------------------
    def update(self, frame: pd.DataFrame) -> None:
        """Replace the overlays with this tick's anomalous / recovering sectors."""
        self._latest = frame
        states = frame_states(frame).to_numpy()
        with self.anomalous.hold_sync(), self.recovering.hold_sync():
            self.anomalous.data = points_collection(frame[states == "anomalous"])
            self.recovering.data = points_collection(frame[states == "recovering"])
        if self.selected:
            self.info.value = self.describe(self.selected)

    def show_sectors(self, sectors: pd.DataFrame) -> bool:
        """Draw sectors that appeared since start-up; True when a layer changed.

        ``sectors`` is the monitor's sector table, which only grows by appending rows, so
        the new ones are the rows past those already drawn (a length check per tick).
        """
        n = len(sectors)
        if n <= self.n_sectors:
            return False
        late = n - self.n_base
        if late > self.n_base:  # the added layer would outweigh the base: merge once
            with self.base.hold_sync(), self.added.hold_sync():
                self.base.data = points_collection(sectors)
                self.added.data = EMPTY_COLLECTION
            self.n_base = n
        else:
            self.added.data = points_collection(sectors.iloc[self.n_base:])
        self.n_sectors = n
        return True

    # -- interaction ------------------------------------------------------------------
    def select(self, sector_id: str) -> None:
        """Select a sector as a click would (for code and tests)."""
        self.info.value = self.describe(sector_id)
        self.selected = sector_id

    def describe(self, sector_id: str) -> str:
        """HTML for the info panel: id, province, current KPIs, score, state."""
        sid = html.escape(str(sector_id))
        if self._latest is None:
            return f"<b>{sid}</b>: no data yet"
        rows = self._latest[self._latest[SECTOR].astype(str) == str(sector_id)]
        if rows.empty:
            return f"<b>{sid}</b>: not in the latest batch"
        row = rows.iloc[0]
        state = str(frame_states(rows).iloc[0])
        kpis = "".join(
            f"<tr><td>{html.escape(self.kpi_labels.get(k, k))}</td><td>{row[k]:.2f}</td></tr>"
            for k in self.kpis if k in row.index
        )
        top = html.escape(str(row.get(TOP_KPI, "")) or "–")
        return (
            f'<div class="tnb-info-body"><b>{sid}</b> · {html.escape(str(row[PROVINCE]))}<br>'
            f'state <span style="color:{COLORS.get(state, "#000")}">{state}</span> · '
            f"score {row[SCORE]:.3f} · top KPI {top}"
            f"<table>{kpis}</table></div>"
        )

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
