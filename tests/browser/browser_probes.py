"""Read what the dashboard really draws, from the DOM, without asserting anything.

Probes return plain numbers so a test can assert on them and a "teeth" test can check that a
deliberately broken page yields numbers the assertions would reject.

The map is read through Leaflet itself (see ``LEAFLET_HOOK_JS``): polygon layers are the
province outlines, circle markers the sectors (told apart by ``sector_id`` when they carry a
GeoJSON feature, so the red overlay drawn over a sector counts once); the painted pixels
of the overlay canvas confirm that what Leaflet holds was really drawn, in red when anomalous.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MAP = ".tnb-map"
STATUS = ".tnb-status"
FEED = ".tnb-feed"
CHARTS = ".tnb-charts"
CONTROLS = ".tnb-controls"
CONTAMINATION = ".tnb-contamination"

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"

# Runs before any page script: when Leaflet publishes itself as ``window.L`` (Leaflet 1.x
# always does), register an init hook that remembers every map, so probes can walk the
# layers Leaflet really has on each map whichever renderer (SVG or canvas) draws them.
LEAFLET_HOOK_JS = """
(() => {
  const maps = (window.__tnbLeafletMaps = []);
  const hooked = new WeakSet();
  let current;
  Object.defineProperty(window, 'L', {
    configurable: true,
    get() { return current; },
    set(value) {
      current = value;
      if (value && value.Map && value.Map.addInitHook && !hooked.has(value.Map)) {
        hooked.add(value.Map);
        value.Map.addInitHook(function () { maps.push(this); });
      }
    },
  });
})();
"""

_PROBE_JS = """
([sel]) => {
  const first = (s) => document.querySelector(s);
  const mapEl = first(`${sel.map}.leaflet-container, ${sel.map} .leaflet-container`);
  const probe = document.createElement('span');
  document.body.appendChild(probe);
  const rgb = (c) => {
    if (!c || c === 'none') return null;
    probe.style.color = '';
    probe.style.color = c;
    const m = getComputedStyle(probe).color.match(/\\d+(\\.\\d+)?/g);
    return m ? m.slice(0, 3).map(Number) : null;
  };
  const redish = (v) => !!v && v[0] >= 150 && v[1] <= 110 && v[2] <= 110;
  const map = (window.__tnbLeafletMaps || []).find(
    (m) => mapEl && (m.getContainer() === mapEl || mapEl.contains(m.getContainer())));
  const drawn = (l) => !!l._map && (
    (l._path && l._path.isConnected) ||
    (l._renderer && l._renderer._layers && l._renderer._layers[l._leaflet_id] === l));
  const sectors = new Set(), red = new Set();
  let provinces = 0;
  if (map) {
    map.eachLayer((l) => {
      if (typeof l.eachLayer === 'function' || !drawn(l)) return;  // groups, hidden layers
      const props = (l.feature && l.feature.properties) || {};
      if (typeof l.getRadius === 'function') {
        const key = props.sector_id !== undefined ? String(props.sector_id) : `#${l._leaflet_id}`;
        sectors.add(key);
        if (redish(rgb(l.options.fillColor || l.options.color))) red.add(key);
      } else if (typeof l.getLatLngs === 'function') {
        provinces += 1;
      }
    });
  }
  let redPixels = 0, inkPixels = 0;
  for (const c of mapEl ? mapEl.querySelectorAll('.leaflet-overlay-pane canvas') : []) {
    if (!c.width || !c.height) continue;
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 3] < 128) continue;
      inkPixels += 1;
      if (redish([px[i], px[i + 1], px[i + 2]])) redPixels += 1;
    }
  }
  for (const p of mapEl ? mapEl.querySelectorAll('.leaflet-overlay-pane svg path') : []) {
    inkPixels += 1;
    if (redish(rgb(p.getAttribute('fill')))) redPixels += 1;
  }
  probe.remove();
  const feedEl = first(sel.feed);
  const feedItems = feedEl ? feedEl.querySelectorAll('li, tbody tr, option').length : 0;
  let chartPathChars = 0, chartPoints = 0, charts = 0;
  for (const fig of document.querySelectorAll(`${sel.charts} .bqplot`)) {
    charts += 1;
    for (const p of fig.querySelectorAll('path')) {
      if (p.closest('.axis')) continue;
      chartPathChars += (p.getAttribute('d') || '').length;
    }
    chartPoints += fig.querySelectorAll('.dot, .bar, .rect').length;
  }
  return {
    mapRendered: !!mapEl && mapEl.getBoundingClientRect().height > 50,
    leafletMap: !!map,
    provincePaths: provinces, sectorPaths: sectors.size, redSectors: red.size,
    redPixels, inkPixels,
    status: (first(sel.status) || {innerText: ''}).innerText.trim(),
    feedEntries: feedItems,
    feedText: feedEl ? feedEl.innerText.trim().slice(0, 300) : '',
    charts, chartPathChars, chartPoints,
  };
}
"""


@dataclass(frozen=True)
class DashboardView:
    """What the page shows at one instant."""

    map_rendered: bool  # the Leaflet container is laid out with a real height
    leaflet_map: bool  # the hook saw Leaflet create this map
    province_paths: int  # polygon layers Leaflet has drawn
    sector_paths: int  # distinct sectors among the circle markers drawn
    red_sectors: int  # distinct sectors drawn with a red fill
    red_pixels: int  # red pixels actually painted in the overlay (canvas) / red SVG paths
    ink_pixels: int  # painted overlay pixels / SVG paths: proves something was rendered
    status: str
    feed_entries: int
    feed_text: str
    charts: int
    chart_path_chars: int
    chart_points: int

    @property
    def chart_size(self) -> int:
        """Grows as chart series get longer (path data plus scatter/bar marks)."""
        return self.chart_path_chars + self.chart_points


def probe(page, root: str = "") -> DashboardView:
    """Read the dashboard; ``root`` narrows the selectors (e.g. to a notebook output area)."""
    pre = f"{root} " if root else ""
    sel = {"map": pre + MAP, "feed": pre + FEED, "charts": pre + CHARTS, "status": pre + STATUS}
    raw = page.evaluate(_PROBE_JS, [sel])
    return DashboardView(
        map_rendered=raw["mapRendered"], leaflet_map=raw["leafletMap"],
        province_paths=raw["provincePaths"], sector_paths=raw["sectorPaths"],
        red_sectors=raw["redSectors"], red_pixels=raw["redPixels"],
        ink_pixels=raw["inkPixels"], status=raw["status"],
        feed_entries=raw["feedEntries"], feed_text=raw["feedText"], charts=raw["charts"],
        chart_path_chars=raw["chartPathChars"], chart_points=raw["chartPoints"],
    )


def wait_for(page, condition: Callable[[DashboardView], bool], what: str,
             timeout_s: float = 30.0, root: str = "") -> DashboardView:
    """Poll ``probe`` until ``condition`` holds; fail naming ``what`` and the last view."""
    deadline = time.monotonic() + timeout_s
    view = probe(page, root)
    while not condition(view):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}; "
                                 f"page shows {view}")
        page.wait_for_timeout(250)
        view = probe(page, root)
    return view


def sector_counts(view: DashboardView) -> tuple[int, int | None]:
    """(sectors Leaflet has drawn, sectors the status line says the monitor has)."""
    return view.sector_paths, status_count(view.status, "sectors")


def status_count(status: str, noun: str) -> int | None:
    """The number written before ``noun`` in the status line ("1,500 sectors" -> 1500)."""
    match = re.search(rf"(\d[\d,]*)\s+{noun}", status)
    return int(match.group(1).replace(",", "")) if match else None


def status_float(status: str, name: str) -> float | None:
    """The number written after ``name`` in the status line ("contamination 0.05" -> 0.05)."""
    match = re.search(rf"{name}\W*(\d+(?:\.\d+)?)", status)
    return float(match.group(1)) if match else None


def save_screenshot(page, directory: Path, name: str) -> Path:
    """Screenshot the page grown to its content's height (Voilà and Lab scroll inside a div),
    then give it back its viewport (in an 11,000-pixel-high Lab a click on the map landed
    1,800 pixels above the window)."""
    directory.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('body, body *')]"
        ".map((e) => e.scrollHeight).filter((h) => h < 20000), 0)")
    viewport = page.viewport_size
    grown = bool(viewport and height > viewport["height"])
    if grown:
        page.set_viewport_size({"width": viewport["width"], "height": int(height) + 20})
    path = directory / name
    page.screenshot(path=str(path), full_page=True)
    if grown:  # a page used on after its screenshot: Lab's panels laid out as before
        page.set_viewport_size(viewport)
    return path


def in_viewport(page, selector: str) -> bool:
    """Whether any part of the first ``selector`` element is inside the window."""
    return page.evaluate(
        """(sel) => { const e = document.querySelector(sel); if (!e) return false;
        const r = e.getBoundingClientRect();
        return r.bottom > 0 && r.top < window.innerHeight && r.height > 0; }""", selector)


# What a Voilà page shows besides the dashboard ------------------------------------------

_OUTSIDE_DASHBOARD_JS = """
() => {
  const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  const cells = [...document.querySelectorAll('.jp-Cell')].filter(shown);
  return {
    cells: cells.length,
    dashboards: document.querySelectorAll('.tnb-dashboard').length,
    outside: cells.filter((c) => !c.querySelector('.tnb-dashboard'))
                  .map((c) => c.innerText.trim()).filter((t) => t.length > 0),
    tables: [...document.querySelectorAll('table.dataframe')].filter(shown).length,
    text: document.body.innerText,
  };
}
"""


@dataclass(frozen=True)
class PageContent:
    """Cells a page shows, and the text of any shown cell that is not the dashboard."""

    cells: int
    dashboards: int
    outside: list[str]  # innerText of shown cells without the dashboard
    tables: int  # shown pandas tables
    text: str  # the whole page's innerText


def page_content(page) -> PageContent:
    raw = page.evaluate(_OUTSIDE_DASHBOARD_JS)
    return PageContent(cells=raw["cells"], dashboards=raw["dashboards"],
                       outside=raw["outside"], tables=raw["tables"], text=raw["text"])


# Where sectors are drawn, to click them as a person would ---------------------------------

_SECTOR_POINTS_JS = """
([mapSel]) => {
  const mapEl = document.querySelector(`${mapSel}.leaflet-container, ${mapSel} .leaflet-container`);
  const map = (window.__tnbLeafletMaps || []).find(
    (m) => mapEl && (m.getContainer() === mapEl || mapEl.contains(m.getContainer())));
  if (!map) return null;
  const box = map.getContainer().getBoundingClientRect();
  const out = {};
  map.eachLayer((l) => {
    const id = l.feature && l.feature.properties && l.feature.properties.sector_id;
    if (id === undefined || typeof l.getLatLng !== 'function' || !l._map) return;
    const p = map.latLngToContainerPoint(l.getLatLng());
    const ll = l.getLatLng();
    out[String(id)] = [box.left + p.x, box.top + p.y, ll.lat, ll.lng, l.getRadius()];
  });
  return {points: out, zoom: map.getZoom(), width: box.width, height: box.height,
          left: box.left, top: box.top};
}
"""


@dataclass(frozen=True)
class SectorPoint:
    """A sector's dot: page pixel position, drawn lat/lon, radius (px)."""

    x: float
    y: float
    lat: float
    lon: float
    radius: float


def sector_points(page, root: str = "") -> tuple[dict[str, SectorPoint], int]:
    """Every sector dot Leaflet has drawn on the dashboard's map, and the map's zoom."""
    pre = f"{root} " if root else ""
    raw = page.evaluate(_SECTOR_POINTS_JS, [pre + MAP])
    if raw is None:
        return {}, -1
    return {k: SectorPoint(*v) for k, v in raw["points"].items()}, int(raw["zoom"])


def zoom_map(page, lat: float, lon: float, zoom: int, root: str = "") -> None:
    """Centre the dashboard's map on (lat, lon) at ``zoom`` (what a person does with the
    mouse wheel), and wait until Leaflet has finished moving."""
    pre = f"{root} " if root else ""
    page.evaluate(
        """([mapSel, lat, lon, zoom]) => new Promise((done) => {
          const el = document.querySelector(
            `${mapSel}.leaflet-container, ${mapSel} .leaflet-container`);
          const map = window.__tnbLeafletMaps.find(
            (m) => m.getContainer() === el || el.contains(m.getContainer()));
          map.once('moveend', () => done(true));
          map.setView([lat, lon], zoom, {animate: false});
        })""", [pre + MAP, lat, lon, zoom])
    page.wait_for_timeout(300)


def wait_fanned(page, ids: list[str], root: str = "", timeout_s: float = 30.0
                ) -> dict[str, SectorPoint]:
    """The dots of one site's sectors ``ids`` once drawn for the map's current zoom, each
    within 3 ``FAN_PX`` of their middle: after a zoom the kernel redraws the fan, and
    until its message lands the old zoom's fan is drawn (kilometres off when zoomed in)."""
    from telecom_nb.ui.fan import FAN_PX

    deadline = time.monotonic() + timeout_s
    while True:
        points, _ = sector_points(page, root)
        dots = [points[s] for s in ids if s in points]
        x = sum(d.x for d in dots) / max(len(dots), 1)
        y = sum(d.y for d in dots) / max(len(dots), 1)
        spread = max((math.hypot(d.x - x, d.y - y) for d in dots), default=math.inf)
        if len(dots) == len(ids) and spread <= 3 * FAN_PX:
            return {s: points[s] for s in ids}
        if time.monotonic() > deadline:
            raise AssertionError(f"the dots of {ids} were not redrawn for the zoom in "
                                 f"{timeout_s:.0f}s: {dots}")
        page.wait_for_timeout(250)


def text_of(page, selector: str) -> str:
    """``textContent`` of every element matching ``selector`` (also when scrolled away)."""
    return page.evaluate(
        "(sel) => [...document.querySelectorAll(sel)].map((e) => e.textContent).join('\\n')",
        selector)
