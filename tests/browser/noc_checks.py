"""The dashboard as a NOC tool, checked on a live page in Voila or JupyterLab (``root``
narrows the selectors to Lab's output area): click any sector (co-located ones after
zooming in) and get its drill-down; read the first chart's first and last time labels
against the data's times, unclipped; search a sector; filter by a province and see only its
sectors and incidents; acknowledge an incident and see it marked. Shared by the tests of
``test_voila``, ``test_lab``, ``test_noc`` and ``test_operator_data``."""

from __future__ import annotations

import datetime as dt
import re
import time

from browser_probes import (
    SCREENSHOTS,
    save_screenshot,
    sector_points,
    status_count,
    text_of,
    wait_fanned,
    wait_for,
    zoom_map,
)
from noc_probes import bright_sectors, choose, feed_rows, time_axis_labels, type_into, wait_until

# the simulator's first tick (2026-01-05 00:00 UTC) on its network clock, Asia/Tehran
SIM_START = dt.datetime(2026, 1, 5, 3, 30)
SIM_ZONE = "Asia/Tehran"
STEP = dt.timedelta(minutes=15)
CHART_POINTS = 48  # 12 h of 15-minute ticks: the default time range


def _site(sector_id: str) -> str:
    return sector_id.rsplit("-", 1)[0]  # THR-00012-2 -> THR-00012


def check_clicks(page, root: str, n_sites: int = 3) -> None:
    """Zoom in on a few three-sector sites as a person would, and click every sector:
    each click opens that sector's drill-down (at the country-wide first view, the dots
    of neighbouring sites overlap)."""
    points, _ = sector_points(page, root)
    sites: dict[str, list[str]] = {}
    for sid in sorted(points):
        sites.setdefault(_site(sid), []).append(sid)
    trios = [ids for ids in sites.values() if len(ids) == 3]
    for trio in trios[:: max(len(trios) // n_sites, 1)][:n_sites]:
        lat = sum(points[s].lat for s in trio) / 3
        lon = sum(points[s].lon for s in trio) / 3
        zoom_map(page, lat, lon, 15, root)
        wait_fanned(page, trio, root)  # the fan redrawn for this zoom
        for sid in trio:
            click_and_check(page, sid, root)


def back_to_first_view(page, points: dict, first_zoom: int, root: str = "") -> None:
    """Zoomed in by hand, search a character every sector id holds: the view of every sector
    is the first view, and the page must go back to it (in Lab the kernel's map kept the
    first view it had set, so this zoom-to sent nothing and the page stayed zoomed in)."""
    pre = f"{root} " if root else ""
    shared = min(set.intersection(*(set(s) for s in points)), default="")
    assert shared, "the sector ids share no character to search"
    assert sector_points(page, root)[1] > first_zoom
    type_into(page, pre + ".tnb-search", shared.lower())
    deadline = time.monotonic() + 20
    while (now := sector_points(page, root)[1]) != first_zoom:
        assert time.monotonic() < deadline, f"zoom {now} after the search, not {first_zoom}"
        page.wait_for_timeout(250)
    type_into(page, pre + ".tnb-search", "")


def check_time_labels(page, root: str) -> dict[str, str]:
    """With the stream paused: the first chart's labels lie within the data's first and
    last times (the simulator's network clock, Asia/Tehran), at most one label spacing from
    either end, and inside the figure (not clipped)."""
    pre = f"{root} " if root else ""
    page.locator(f"{pre}.tnb-pause").first.click()
    wait_for(page, lambda v: v.status.startswith("paused"), "the stream to pause", 20, root=root)
    page.wait_for_timeout(2000)  # the last refresh lands (at most min_refresh_s = 1 s late)
    status = text_of(page, f"{pre}.tnb-status")
    last = dt.datetime.strptime(re.search(r"network time (\S+ \S+)", status).group(1),
                                "%Y-%m-%d %H:%M")
    first = max(SIM_START, last - (CHART_POINTS - 1) * STEP)
    labels = time_axis_labels(page, root)
    assert labels is not None and len(labels.texts) >= 2, labels
    times = [dt.datetime.strptime(f"{last.year}-{t}", "%Y-%m-%d %H:%M") for t in labels.texts]
    assert_forward(labels)
    spacing = times[1] - times[0]
    assert first <= times[0] < first + spacing, (labels.texts, first)
    assert last - spacing < times[-1] <= last, (labels.texts, last)
    assert labels.lefts[0] >= labels.figure_left, "first time label clipped"
    assert labels.rights[-1] <= labels.figure_right, "last time label clipped at the right"
    assert SIM_ZONE in text_of(page, f"{pre}.tnb-charts")  # the axis names the zone
    page.locator(f"{pre}.tnb-pause").first.click()  # resume
    return {"first": labels.texts[0], "last": labels.texts[-1], "data_last": str(last)}


def assert_forward(labels) -> None:
    """Time runs left to right: label times and positions both increase (a store that
    mixed two streams once drew the charts backwards, 14:00 ... 09:30)."""
    year = dt.date.today().year
    times = [dt.datetime.strptime(f"{year}-{t}", "%Y-%m-%d %H:%M") for t in labels.texts]
    assert times == sorted(set(times)), labels.texts
    assert labels.lefts == sorted(labels.lefts), labels.lefts


def check_search(page, root: str) -> str:
    pre = f"{root} " if root else ""
    points, _ = sector_points(page, root)
    sid = sorted(points)[len(points) // 2]
    type_into(page, f"{pre}.tnb-search", sid.lower())
    wait_until(page, lambda: f"{sid} · " in text_of(page, f"{pre}.tnb-drilldown"),
               f"the drill-down of the searched {sid}")
    assert sid in text_of(page, f"{pre}.tnb-info")
    assert "1 sector match" in text_of(page, f"{pre}.tnb-filter-note")
    type_into(page, f"{pre}.tnb-search", "")
    return sid


def check_province_and_acknowledge(page, root: str, province: str = "Tehran",
                                   code: str = "THR") -> dict[str, object]:
    pre = f"{root} " if root else ""
    choose(page, f"{pre}.tnb-filter-province", province)
    reported = status_count(text_of(page, f"{pre}.tnb-status"), "sectors")
    bright = wait_until(page, lambda: (b := bright_sectors(page, root))[0]
                        and all(s.startswith(code) for s in b[0]) and b,
                        f"only {province}'s sectors bright on the map")
    assert bright[1] == reported - len(bright[0]), "the others are dimmed, not gone"

    def province_rows():
        rows = [r for r in feed_rows(page, root) if not r.member]
        return rows if rows and all(code in r.cells[1] or province in r.cells[1]
                                    for r in rows) else None

    rows = wait_until(page, province_rows, f"{province}'s incidents only in the feed", 90)
    target = rows[0].incident
    type_into(page, f"{pre}.tnb-incident-picker", target)
    wait_until(page, lambda: any(r.member for r in feed_rows(page, root)),
               "the picked incident to expand to its sectors")
    type_into(page, f"{pre}.tnb-ack-comment", "fibre cut, ticket 4711")
    page.locator(f"{pre}.tnb-ack").first.click()
    wait_until(page, lambda: f"incident #{target} acknowledged"
               in text_of(page, f"{pre}.tnb-ack-message"),
               f"the acknowledgement of #{target} confirmed; the message reads "
               f"{text_of(page, f'{pre}.tnb-ack-message')!r}")
    choose(page, f"{pre}.tnb-filter-state", "acknowledged")  # however it ranks now
    marked = wait_until(page, lambda: [r for r in feed_rows(page, root) if r.incident == target
                                       and "tnb-incident-acked" in r.css],
                        f"incident #{target} marked acknowledged")
    choose(page, f"{pre}.tnb-filter-state", "all")
    assert "acknowledged: fibre cut, ticket 4711" in marked[0].cells[-1]
    choose(page, f"{pre}.tnb-filter-province", "all provinces")
    wait_until(page, lambda: bright_sectors(page, root)[1] == 0, "the filter cleared")
    return {"bright": len(bright[0]), "incident": target}


def use_the_noc(page, root: str = "") -> dict[str, object]:
    """What a person does on the live NOC page, the stream running: click the sectors of a
    few zoomed-in sites, search a sector, filter a province and acknowledge an incident.
    (The time labels need the stream paused: ``check_time_labels``, after a live watch.)"""
    t0 = time.monotonic()
    wait_for(page, lambda v: v.map_rendered and v.sector_paths > 0 and v.charts >= 5
             and v.feed_entries > 0, "the map, charts and an incident", 90, root=root)
    drill = text_of(page, f"{root} .tnb-drilldown".strip())
    assert drill.startswith("Click a sector on the map") and "UTC" not in drill  # no axes
    points, first_zoom = sector_points(page, root)
    check_clicks(page, root)
    back_to_first_view(page, points, first_zoom, root)
    searched = check_search(page, root)
    acked = check_province_and_acknowledge(page, root)
    return {"searched": searched, **acked, "used_s": round(time.monotonic() - t0, 1)}


def _settled_point(page, sid: str, root: str):
    """The sector dot's position once it stays put for 250 ms: the page may still be
    scrolling or growing (the output area's charts and status rendering under load), and a
    person clicks where the dot is, not where it was."""
    point = sector_points(page, root)[0][sid]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        page.wait_for_timeout(250)
        now = sector_points(page, root)[0][sid]
        if (now.x, now.y) == (point.x, point.y):
            break
        point = now
    return point


def click_and_check(page, sid: str, root: str, accept: tuple[str, ...] = (),
                    tries: int = 3) -> str:
    """Click the sector's dot with the mouse; the drill-down and info panel must show it
    (or, where dots overlap at a country-wide zoom, one of ``accept``). Returns the id.

    A person whose click did nothing clicks again: on a loaded machine the alert overlay is
    redrawn every tick, and a click landing while Leaflet swaps it can hit no layer (CI
    once saw this in Voila). So up to ``tries`` clicks, each where the dot is then; the
    test still fails when none of them opens the sector."""
    # the map may sit below the fold (triage bar, two-line status): bring it into view as
    # a person would scroll to it, then read the dot's position on screen
    page.locator(f"{root} .tnb-map".strip()).first.scroll_into_view_if_needed()
    drill = f"{root} .tnb-drilldown".strip()
    wanted = accept or (sid,)
    misses = []
    for attempt in range(tries):
        point = _settled_point(page, sid, root)
        under = page.evaluate(_UNDER_JS, [point.x, point.y])
        page.mouse.click(point.x, point.y)
        deadline = time.monotonic() + 8
        while not (shown := [s for s in wanted if f"{s} · " in text_of(page, drill)]):
            if time.monotonic() > deadline:
                break
            page.wait_for_timeout(200)
        if shown:
            if misses:
                print(f"clicking {sid}: opened on click {attempt + 1} (missed: {misses})")
            # the info panel is its own message (the map's observer of ``selected``): on a
            # loaded machine it may render a moment after the drill-down; it must follow
            info = f"{root} .tnb-info".strip()
            deadline = time.monotonic() + 8
            while shown[0] not in (said := text_of(page, info)):
                assert time.monotonic() < deadline, (
                    f"clicked {sid}: the drill-down shows {shown[0]}, the info panel "
                    f"{said[:160]!r}")
                page.wait_for_timeout(200)
            return shown[0]
        misses.append(f"({point.x:.0f}, {point.y:.0f}) on {under}")
    save_screenshot(page, SCREENSHOTS, f"click-missed-{sid}.png")
    raise AssertionError(f"{tries} clicks on {sid} did not open its drill-down ({misses}): "
                         f"{text_of(page, drill)[:200]!r}")


# what a click at (x, y) would hit: a dot drawn on the map's canvas, or something over it
_UNDER_JS = """([x, y]) => { const e = document.elementFromPoint(x, y);
  return e ? `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}` : 'nothing'; }"""
