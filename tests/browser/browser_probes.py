"""Read what the dashboard really draws, from the DOM, without asserting anything.

Probes return plain numbers so a test can assert on them and a "teeth" test can check that a
deliberately broken page yields numbers the assertions would reject.

Leaflet draws vector layers as SVG ``path`` elements in the overlay pane: polygons (province
outlines) as straight segments only, circle markers (sectors) with arc commands, which is how
the two are told apart.
"""

from __future__ import annotations

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

_PROBE_JS = """
([sel]) => {
  const first = (s) => document.querySelector(s);
  const mapEl = first(`${sel.map}.leaflet-container, ${sel.map} .leaflet-container`);
  const rgb = (c) => {
    if (!c) return null;
    const probe = document.createElement('span');
    probe.style.color = c;
    document.body.appendChild(probe);
    const m = getComputedStyle(probe).color.match(/\\d+(\\.\\d+)?/g);
    probe.remove();
    return m ? m.slice(0, 3).map(Number) : null;
  };
  const isRed = (c) => {
    const v = rgb(c);
    return !!v && v[0] >= 150 && v[1] <= 110 && v[2] <= 110;
  };
  let provincePaths = 0, sectorPaths = 0, redSectors = 0;
  if (mapEl) {
    for (const p of mapEl.querySelectorAll('.leaflet-overlay-pane path')) {
      const d = p.getAttribute('d') || '';
      if (!d || d === 'M0 0') continue;
      if (/[aA]/.test(d)) {
        sectorPaths += 1;
        const fill = p.getAttribute('fill');
        if (isRed(fill && fill !== 'none' ? fill : p.getAttribute('stroke'))) redSectors += 1;
      } else {
        provincePaths += 1;
      }
    }
  }
  const feedEl = first(sel.feed);
  const feedItems = feedEl ? feedEl.querySelectorAll('li, tbody tr, option').length : 0;
  const feedLines = feedEl ? feedEl.innerText.split('\\n').filter((l) => l.trim()).length : 0;
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
    provincePaths, sectorPaths, redSectors,
    status: (first(sel.status) || {innerText: ''}).innerText.trim(),
    feedEntries: Math.max(feedItems, feedLines),
    feedText: feedEl ? feedEl.innerText.trim().slice(0, 500) : '',
    charts, chartPathChars, chartPoints,
  };
}
"""


@dataclass(frozen=True)
class DashboardView:
    """What the page shows at one instant."""

    map_rendered: bool
    province_paths: int
    sector_paths: int
    red_sectors: int
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
        map_rendered=raw["mapRendered"], province_paths=raw["provincePaths"],
        sector_paths=raw["sectorPaths"], red_sectors=raw["redSectors"], status=raw["status"],
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


def status_count(status: str, noun: str) -> int | None:
    """The number written before ``noun`` in the status line ("1,500 sectors" -> 1500)."""
    match = re.search(rf"(\d[\d,]*)\s+{noun}", status)
    return int(match.group(1).replace(",", "")) if match else None


def status_float(status: str, name: str) -> float | None:
    """The number written after ``name`` in the status line ("contamination 0.05" -> 0.05)."""
    match = re.search(rf"{name}\W*(\d+(?:\.\d+)?)", status)
    return float(match.group(1)) if match else None


def save_screenshot(page, directory: Path, name: str) -> Path:
    """Screenshot the page grown to its content's height (Voilà and Lab scroll inside a div)."""
    directory.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('body, body *')]"
        ".map((e) => e.scrollHeight).filter((h) => h < 20000), 0)")
    viewport = page.viewport_size
    if viewport and height > viewport["height"]:
        page.set_viewport_size({"width": viewport["width"], "height": int(height) + 20})
    path = directory / name
    page.screenshot(path=str(path), full_page=True)
    return path
