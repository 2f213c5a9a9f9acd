"""The dashboard over an operator-style export, what a person must see on it: the source's
KPIs (vendor names) in charts, feed and drill-down, times on Tehran's clock, and a click on
any sector (the three cells of one site included) opening that sector's drill-down.
Checked in Voilà (``test_operator_data``) and in JupyterLab (``test_lab``)."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from pathlib import Path

from browser_probes import (
    REPO,
    SectorPoint,
    sector_counts,
    sector_points,
    text_of,
    wait_fanned,
    wait_for,
    zoom_map,
)
from noc_checks import back_to_first_view, click_and_check

from telecom_nb.ui.fan import FAN_PX

OPERATOR_NOTEBOOK = Path(__file__).with_name("operator_dashboard.ipynb")
CELLS = 30  # ten sites of three sectors
SIMULATOR_KPIS = ("payload_mb", "throughput_mbps", "prb_pct", "availability_pct")


def operator_env(source: Path) -> dict[str, str]:
    """The operator notebook's run settings (its own variables: ``TELECOM_NB_*`` left to
    the live monitor, so one Lab server can run both notebooks)."""
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
    sites: dict[tuple[str, str], list[str]] = {}
    for sid in sorted(points):
        sites.setdefault((sid[:6], sid[-5:]), []).append(sid)
    trios = [ids for ids in sites.values() if len(ids) == 3]
    # the country-wide first view: a site away from others has its cells FAN_PX from it,
    # apart (they were 1-2 px apart, one dot), and each cell opens its own drill-down
    alone = [ids for ids in trios if _next_site_px(points, ids, sites.values()) > 4 * FAN_PX]
    assert alone, "every site of the sample is crowded at the first view"
    for ids in alone:
        assert _least_gap(points, ids) > 2 * points[ids[0]].radius, f"{ids} overlap"
    for sid in alone[0]:
        click_and_check(page, sid, root)
    # zoom in on the most crowded site, as a person would, at a city and a street zoom
    # (the fan follows the zoom: a fan fixed at the first view put the dots ~30 km off)
    trio = min(trios, key=lambda ids: _next_site_px(points, ids, sites.values()))
    lat = sum(points[s].lat for s in trio) / 3
    lon = sum(points[s].lon for s in trio) / 3
    for street in (14, 17):
        zoom_map(page, lat, lon, street, root)
        near = wait_fanned(page, trio, root)
        assert _least_gap(near, trio) > 2 * near[trio[0]].radius, f"{trio} overlap"
        for sid in trio:
            click_and_check(page, sid, root)
    back_to_first_view(page, points, zoom, root)
    drill = text_of(page, pre + ".tnb-drilldown")
    assert "GB" in drill and "Asia/Tehran" in drill  # the unit and zone on its axes
    return {"first_zoom": zoom, "checked_s": time.monotonic() - t0}


def _middle(points: dict[str, SectorPoint], ids: list[str]) -> tuple[float, float]:
    return (sum(points[s].x for s in ids) / len(ids), sum(points[s].y for s in ids) / len(ids))


def _least_gap(points: dict[str, SectorPoint], ids: list[str]) -> float:
    """Least on-screen distance (px) between the dots of ``ids``."""
    return min(math.hypot(points[a].x - points[b].x, points[a].y - points[b].y)
               for i, a in enumerate(ids) for b in ids[i + 1:])


def _next_site_px(points: dict[str, SectorPoint], ids: list[str], sites) -> float:
    """On-screen distance (px) from the site of ``ids`` to the nearest other site."""
    x, y = _middle(points, ids)
    return min((math.hypot(x - ox, y - oy) for other in sites if other is not ids
                for ox, oy in [_middle(points, other)]), default=math.inf)


def make_operator_source(out: Path) -> Path:
    """A small operator-style export (``CELLS`` cells, one week) in ``out``; its
    ``source.toml``."""
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_operator_sample.py"),
                    "--out", str(out), "--cells", str(CELLS), "--weeks", "1", "--seed", "3"],
                   check=True, capture_output=True)
    return out / "source.toml"
