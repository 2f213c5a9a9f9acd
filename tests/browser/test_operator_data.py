"""The dashboard over an operator-style export (vendor KPI names, sites.csv with azimuths,
Asia/Tehran local time), in Voilà and in JupyterLab, checked in headless Chromium: the
source's KPIs show in charts, feed and drill-down, times are Tehran's, and a click on any
sector (the three cells of one site included) opens that sector's drill-down."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser_probes import (
    REPO,
    SCREENSHOTS,
    save_screenshot,
    sector_counts,
    sector_points,
    text_of,
    wait_for,
    zoom_map,
)
from noc_checks import click_and_check
from test_lab import OUTPUT as LAB_OUTPUT
from test_lab import open_notebook, run_all_cells

pytestmark = pytest.mark.browser

NOTEBOOK = Path(__file__).with_name("operator_dashboard.ipynb")
CELLS = 30  # ten sites of three sectors
SIMULATOR_KPIS = ("payload_mb", "throughput_mbps", "prb_pct", "availability_pct")


@pytest.fixture(scope="module")
def operator_source(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("operator")
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_operator_sample.py"),
                    "--out", str(out), "--cells", str(CELLS), "--weeks", "1", "--seed", "3"],
                   check=True, capture_output=True)
    return out / "source.toml"


def _env(source: Path) -> dict[str, str]:
    return {"TNB_OPERATOR_SOURCE": str(source), "TNB_OPERATOR_INTERVAL": "0.4"}


def check_operator_dashboard(page, root: str = "") -> dict[str, float]:
    """Everything the page must show for the operator sample; returns timings."""
    t0 = time.monotonic()
    pre = f"{root} " if root else ""
    view = wait_for(page, lambda v: v.map_rendered and v.sector_paths > 0 and v.charts >= 6
                    and "+0330" in v.status, "the map, charts and a network time",
                    timeout_s=90, root=root)
    drawn, reported = sector_counts(view)
    assert drawn == reported == CELLS, view.status
    assert "+0330" in view.status and "Asia/Tehran" in view.status, view.status
    view = wait_for(page, lambda v: v.feed_entries > 0, "an alert episode in the feed",
                    timeout_s=60, root=root)

    charts = text_of(page, pre + ".tnb-charts")
    for text in ("DL Traffic Volume (GB), mean", "E-RAB drop rate (%), mean", "Mbps",
                 "Asia/Tehran (+0330)"):
        assert text in charts, text
    feed = text_of(page, pre + ".tnb-feed")
    # the incident feed: start on Tehran's clock, the worst KPI by the source's label
    assert "start (Asia/Tehran)" in feed and "worst KPI" in feed
    assert not any(k in charts + feed for k in SIMULATOR_KPIS)

    points, zoom = sector_points(page, root)
    assert len(points) == CELLS
    sites: dict[tuple[float, float], list[str]] = {}
    for sid in sorted(points):
        sites.setdefault((sid[:6], sid[-5:]), []).append(sid)
    trio = next(ids for ids in sites.values() if len(ids) == 3)
    others = [ids for ids in sites.values() if ids is not trio][:2]
    for ids in others:  # at the country-wide first view a site's cells overlap: one opens
        click_and_check(page, ids[0], root, accept=tuple(ids))
    # zoom in on the site, as a person would, and click each of its three cells
    lat = sum(points[s].lat for s in trio) / 3
    lon = sum(points[s].lon for s in trio) / 3
    zoom_map(page, lat, lon, 14, root)
    near, _ = sector_points(page, root)
    gaps = [abs(near[a].x - near[b].x) + abs(near[a].y - near[b].y)
            for a, b in [(trio[0], trio[1]), (trio[1], trio[2]), (trio[0], trio[2])]]
    assert min(gaps) > 2 * near[trio[0]].radius, f"co-located dots overlap: {gaps}"
    for sid in trio:
        click_and_check(page, sid, root)
    drill = text_of(page, pre + ".tnb-drilldown")
    assert "GB" in drill and "Asia/Tehran" in drill  # the unit and zone on its axes
    return {"first_zoom": zoom, "checked_s": time.monotonic() - t0}


def test_operator_data_in_voila(voila_server, page, operator_source):
    t0 = time.monotonic()
    server = voila_server(NOTEBOOK, **_env(operator_source))
    page.goto(server.base_url, timeout=60_000)
    result = check_operator_dashboard(page)
    page.evaluate("() => window.scrollTo(0, 0)")
    save_screenshot(page, SCREENSHOTS, "voila-operator.png")
    assert page.console_log.errors == []
    print(f"voila operator: first zoom {result['first_zoom']}, total "
          f"{time.monotonic() - t0:.1f}s; ignored {page.console_log.ignored}")


def test_operator_data_in_lab(lab_server_with, page, operator_source):
    t0 = time.monotonic()
    server = lab_server_with(**_env(operator_source))
    open_notebook(page, server, NOTEBOOK)
    run_all_cells(page)
    page.locator(LAB_OUTPUT + " .tnb-map").first.scroll_into_view_if_needed()
    result = check_operator_dashboard(page, root=LAB_OUTPUT)
    save_screenshot(page, SCREENSHOTS, "lab-operator.png")
    assert page.console_log.errors == []
    print(f"lab operator: first zoom {result['first_zoom']}, total "
          f"{time.monotonic() - t0:.1f}s; ignored {page.console_log.ignored}")
