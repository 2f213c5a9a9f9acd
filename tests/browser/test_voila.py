"""The dashboard notebook served by Voilà, checked in headless Chromium."""

from __future__ import annotations

import time

import pytest
from browser_probes import (
    CONTAMINATION,
    MAP,
    REPO,
    SCREENSHOTS,
    page_content,
    probe,
    save_screenshot,
    sector_counts,
    status_float,
    wait_for,
)
from live_probes import StatusRecorder, live_problems
from noc_checks import check_time_labels, use_the_noc

pytestmark = pytest.mark.browser

NOTEBOOK = REPO / "notebooks" / "live_monitor.ipynb"
# A live run (no TELECOM_NB_TICKS): the idle watchdog is on, short enough to trip in a test.
IDLE_TIMEOUT_S = 8
LIVE_ENV = {"TELECOM_NB_INTERVAL": "0.5", "TELECOM_NB_IDLE_TIMEOUT": str(IDLE_TIMEOUT_S),
            "TELECOM_NB_SECTORS": "400"}
LIVE_WATCH_S = 3 * IDLE_TIMEOUT_S + 6


def set_contamination(page, value: float) -> None:
    """Type a value into the contamination control, as a user would."""
    control = page.locator(CONTAMINATION).first
    text_input = control.locator("input[type=number], input[type=text]")
    field = text_input.first if text_input.count() else control.locator(".widget-readout").first
    field.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(f"{value}")
    page.keyboard.press("Enter")


def open_dashboard(page, server):
    """Load the page; return the first view showing the map, its sectors and the status."""
    page.goto(server.base_url, timeout=60_000)
    return wait_for(page, lambda v: v.map_rendered and v.sector_paths > 0 and "sectors" in v.status,
                    "the map with its sectors and the status line", timeout_s=60)


def check_dashboard_only(page) -> None:
    """No tutorial cell adds anything to the page: no detector repr, no "refused:" line,
    no (empty) DataFrame, no episode count; only the cell holding the dashboard shows.
    (Checked on the live page once every cell has run: a page of its own cost a Voila
    server, a kernel and ~45 s of the suite for the same notebook.)"""
    page.wait_for_load_state("networkidle")  # every cell has run by now
    content = page_content(page)
    assert content.dashboards == 1
    assert content.outside == [], "cells other than the dashboard are shown"
    assert content.tables == 0, "a DataFrame is shown"
    for text in ("refused:", "Detector(", "episodes,", "Voilà page:", "ticks kept"):
        assert text not in content.text, f"the page shows {text!r}"
    page.evaluate("() => window.scrollTo(0, 0)")
    save_screenshot(page, SCREENSHOTS, "voila-page.png")


def check_the_sector_count_has_teeth(page) -> None:
    """The drawn-sector count reads the map, not the status line: with the sector markers
    taken off the map (as a map whose sector layer was left off would be), drawn < reported.
    Last on the page: the markers stay off. (A Voila page of its own, a notebook copy
    building its map without the layer, cost ~40 s of the suite for the same probe.)"""
    removed = page.evaluate(_TAKE_SECTORS_OFF_JS, MAP)
    assert removed > 0, "no sector marker found to take off the map"
    drawn, reported = sector_counts(probe(page))
    assert reported == int(LIVE_ENV["TELECOM_NB_SECTORS"])
    assert drawn < reported, "the probe still counts sectors on a map without its markers"


# every circle marker (a sector) taken off the Leaflet map of the dashboard; how many
_TAKE_SECTORS_OFF_JS = """(sel) => { const el = document.querySelector(sel);
  const map = (window.__tnbLeafletMaps || []).find(
    (m) => el && (m.getContainer() === el || el.contains(m.getContainer())));
  if (!map) return 0;
  const markers = [];
  map.eachLayer((l) => { if (typeof l.getRadius === 'function') markers.push(l); });
  markers.forEach((l) => map.removeLayer(l));
  return markers.length; }"""


def test_live_dashboard_in_voila(voila_server, page):
    """One live page, watched for over three idle timeouts while a person uses it: the map,
    red sectors, feed and growing charts; clicks on sectors, a search, a province filter, an
    acknowledgement and a new contamination, the stream running throughout (its heartbeats
    keep it going); then, paused, the time labels; the page shows the dashboard only.

    (Three visits before: a bounded run for the dashboard, a live run only watched, a NOC
    run for the clicks; each cost a Voilà server, a kernel and its first ticks.)"""
    t0 = time.monotonic()
    server = voila_server(NOTEBOOK, **LIVE_ENV)
    view = open_dashboard(page, server)
    rendered_s = time.monotonic() - t0
    watch = StatusRecorder(page).start()

    assert view.leaflet_map and view.ink_pixels > 0, "Leaflet drew nothing on the map"
    from telecom_nb.geo.provinces import provinces_geojson

    assert view.province_paths == len(provinces_geojson()["features"])
    drawn, reported = sector_counts(view)
    assert reported == int(LIVE_ENV["TELECOM_NB_SECTORS"]), view.status
    assert drawn == reported

    view = wait_for(page, lambda v: v.red_sectors > 0 and v.red_pixels > 0 and v.feed_entries > 0,
                    "an anomalous (red) sector and a feed entry", timeout_s=120)
    anomalous_s = time.monotonic() - t0
    first_size = view.chart_size
    later = wait_for(page, lambda v: v.chart_size > first_size, "the charts to grow",
                     timeout_s=90)
    assert later.charts >= 5  # four KPI charts + anomalies per tick (+ the drill-down)
    used = use_the_noc(page)

    before = status_float(later.status, "contamination")
    target = 0.12 if before != 0.12 else 0.15
    set_contamination(page, target)
    wait_for(page, lambda v: status_float(v.status, "contamination") == target,
             f"the status line to show contamination {target}", timeout_s=30)
    watch.keep_watching(LIVE_WATCH_S)
    samples = watch.stop()
    summary = [(round(s.at_s), s.tick, s.heartbeats, s.status[:8]) for s in samples[::4]]
    problems = live_problems(samples, IDLE_TIMEOUT_S, float(LIVE_ENV["TELECOM_NB_INTERVAL"]))
    assert problems == [], f"{problems}; (s, tick, heartbeats, status): {summary}"

    labels = check_time_labels(page, "")
    page.evaluate("() => window.scrollTo(0, 0)")
    save_screenshot(page, SCREENSHOTS, "voila.png")
    check_dashboard_only(page)
    assert page.console_log.errors == []
    check_the_sector_count_has_teeth(page)
    print(f"voila: server up {server.started_s:.1f}s, map drawn {rendered_s:.1f}s, "
          f"first anomaly {anomalous_s:.1f}s; used {used}, labels {labels}; ticks "
          f"{samples[0].tick} -> {samples[-1].tick}, heartbeats {samples[0].heartbeats} -> "
          f"{samples[-1].heartbeats} over {samples[-1].at_s:.0f} s watched; total "
          f"{time.monotonic() - t0:.1f}s; ignored {page.console_log.ignored}")
