"""The dashboard over an operator-style export, what a person must see on it: the source's
KPIs (vendor names) in charts, feed and drill-down, times on Tehran's clock, and a click on
any sector (the three cells of one site included) opening that sector's drill-down.
Checked in Voilà (``test_operator_data``) and in JupyterLab (``test_lab``)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from browser_probes import REPO, sector_counts, sector_points, text_of, wait_for, zoom_map
from noc_checks import click_and_check

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


def make_operator_source(out: Path) -> Path:
    """A small operator-style export (``CELLS`` cells, one week) in ``out``; its
    ``source.toml``."""
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_operator_sample.py"),
                    "--out", str(out), "--cells", str(CELLS), "--weeks", "1", "--seed", "3"],
                   check=True, capture_output=True)
    return out / "source.toml"
