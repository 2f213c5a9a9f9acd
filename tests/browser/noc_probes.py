"""Probes for the NOC features, read from the DOM like ``browser_probes`` (no asserting):
a chart's time labels with their boxes, the bright (filter-matching) sectors on the map,
the incident rows, and the widgets a person types into or clicks."""

from __future__ import annotations

import time
from dataclasses import dataclass

from browser_probes import MAP

_AXIS_LABELS_JS = """
([chartsSel]) => {
  const fig = document.querySelector(`${chartsSel} .bqplot`);
  if (!fig) return null;
  const svg = fig.querySelector('svg');
  const box = (svg || fig).getBoundingClientRect();
  let best = null;
  for (const axis of fig.querySelectorAll('g.axis')) {
    const ticks = [...axis.querySelectorAll('.tick text')]
      .map((t) => ({text: t.textContent, r: t.getBoundingClientRect()}))
      .filter((t) => t.text && t.r.width > 0);
    const xs = new Set(ticks.map((t) => Math.round(t.r.left)));
    if (ticks.length > 1 && xs.size === ticks.length && (!best || ticks.length > best.length)) {
      best = ticks;  // the axis whose labels are spread horizontally: time
    }
  }
  if (!best) return null;
  best.sort((a, b) => a.r.left - b.r.left);
  return {labels: best.map((t) => [t.text, t.r.left, t.r.right]),
          left: box.left, right: box.right};
}
"""


@dataclass(frozen=True)
class AxisLabels:
    """The time axis labels of the first network chart, left to right, with pixel edges."""

    texts: list[str]
    lefts: list[float]
    rights: list[float]
    figure_left: float
    figure_right: float


def time_axis_labels(page, root: str = "") -> AxisLabels | None:
    pre = f"{root} " if root else ""
    raw = page.evaluate(_AXIS_LABELS_JS, [pre + ".tnb-charts"])
    if raw is None:
        return None
    texts, lefts, rights = zip(*raw["labels"], strict=True)
    return AxisLabels(list(texts), list(lefts), list(rights), raw["left"], raw["right"])


_BRIGHT_JS = """
([mapSel]) => {
  const el = document.querySelector(`${mapSel}.leaflet-container, ${mapSel} .leaflet-container`);
  const map = (window.__tnbLeafletMaps || []).find(
    (m) => el && (m.getContainer() === el || el.contains(m.getContainer())));
  if (!map) return null;
  const bright = new Set(), dim = new Set();
  map.eachLayer((l) => {
    const id = l.feature && l.feature.properties && l.feature.properties.sector_id;
    if (id === undefined || typeof l.getRadius !== 'function' || !l._map) return;
    ((l.options.fillOpacity || 0) >= 0.5 ? bright : dim).add(String(id));
  });
  return {bright: [...bright], dim: [...dim].filter((s) => !bright.has(s)).length};
}
"""


def bright_sectors(page, root: str = "") -> tuple[set[str], int]:
    """Sector ids drawn bright (the filter keeps them) and how many are only dimmed."""
    pre = f"{root} " if root else ""
    raw = page.evaluate(_BRIGHT_JS, [pre + MAP])
    return (set(), 0) if raw is None else (set(raw["bright"]), int(raw["dim"]))


_ROWS_JS = """
([feedSel]) => [...document.querySelectorAll(`${feedSel} tbody tr`)].map((r) => ({
  cls: r.className, cells: [...r.querySelectorAll('td')].map((c) => c.textContent)}))
"""


@dataclass(frozen=True)
class FeedRow:
    css: str
    cells: list[str]

    @property
    def incident(self) -> str:
        return self.cells[0] if self.cells else ""

    @property
    def member(self) -> bool:
        return "tnb-member" in self.css


def feed_rows(page, root: str = "") -> list[FeedRow]:
    pre = f"{root} " if root else ""
    return [FeedRow(r["cls"], r["cells"]) for r in page.evaluate(_ROWS_JS, [pre + ".tnb-feed"])]


def wait_until(page, condition, what: str, timeout_s: float = 30.0):
    """Poll ``condition()`` (truthy result returned) every 250 ms; fail naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        page.wait_for_timeout(250)


def type_into(page, selector: str, text: str) -> None:
    """Type ``text`` into the input of the widget ``selector`` and press Enter."""
    field = page.locator(f"{selector} input").first
    field.scroll_into_view_if_needed()
    field.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def choose(page, selector: str, label: str) -> None:
    """Pick ``label`` in the dropdown widget ``selector``."""
    select = page.locator(f"{selector} select").first
    select.scroll_into_view_if_needed()
    select.select_option(label=label)
