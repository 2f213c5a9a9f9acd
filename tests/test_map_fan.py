"""A site's sectors are apart on the map at every zoom: the fan follows the map's zoom.

Read from the GeoJSON the layers carry (what the browser draws), at the zoom the map opens
at and after the map's ``zoom`` trait changes (what a person's mouse wheel does).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ui_fake import FakeMonitor

from telecom_nb import schema
from telecom_nb.ui import Dashboard
from telecom_nb.ui.fan import fan_at, fan_geometry
from telecom_nb.ui.map import DOT_RADIUS, SectorMap
from telecom_nb.ui.placement import METRES_PER_DEG, metres_per_pixel
from telecom_nb.ui.triage import Filter

SQUARE = {"type": "FeatureCollection", "features": []}
CITIES = [(35.70, 51.40), (36.30, 59.60), (29.60, 52.53)]  # Tehran, Mashhad, Shiraz


def _three_cities() -> pd.DataFrame:
    """A three-sector site (azimuths 0/120/240) in each of three far-apart cities."""
    lat = np.repeat([c[0] for c in CITIES], 3)
    lon = np.repeat([c[1] for c in CITIES], 3)
    return pd.DataFrame({schema.SECTOR: [f"S{i}{s}" for i in range(3) for s in "ABC"],
                         schema.PROVINCE: "x", schema.LAT: lat, schema.LON: lon,
                         "azimuth": np.tile([0.0, 120.0, 240.0], 3)})


def _drawn(layer) -> dict[str, np.ndarray]:
    return {f["properties"]["sector_id"]: np.array(f["geometry"]["coordinates"])
            for f in layer.data["features"]}


def _metres(a: np.ndarray, b: np.ndarray, lat: float) -> float:
    """Metres between (lon, lat) points near ``lat``."""
    return float(np.hypot((a[0] - b[0]) * METRES_PER_DEG * np.cos(np.radians(lat)),
                          (a[1] - b[1]) * METRES_PER_DEG))


def _site_check(drawn: dict, zoom: float) -> tuple[float, float]:
    """(least pixel gap between a site's dots, most metres from a dot to its site)."""
    gaps, reach = [], []
    for i, (lat, lon) in enumerate(CITIES):
        dots = [drawn[f"S{i}{s}"] for s in "ABC"]
        gaps += [_metres(a, b, lat) / metres_per_pixel(lat, zoom)
                 for j, a in enumerate(dots) for b in dots[j + 1:]]
        reach += [_metres(d, np.array([lon, lat]), lat) for d in dots]
    return min(gaps), max(reach)


def _emit(sectors: pd.DataFrame, anomalous: list[int]) -> pd.DataFrame:
    frame = sectors.copy()
    frame[schema.STATE] = "normal"
    frame.loc[anomalous, schema.STATE] = "anomalous"
    frame[schema.SCORE] = 0.5
    return frame


def test_a_sites_sectors_are_apart_at_the_country_view_and_near_it_at_street_zoom():
    """The country view: a site's dots two radii apart (an 800 m fan put them 1-2 px
    apart, one dot to hover). Zoomed in to street level (the map's zoom trait, as the
    mouse wheel sets it): every layer is redrawn, dots within tens of metres of the site
    and still apart (a fan drawn once for the country view left them ~30 km away)."""
    sectors = _three_cities()
    smap = SectorMap(sectors, provinces=SQUARE)
    smap.update(_emit(sectors, anomalous=[1, 5]))
    smap.set_filter(pd.Index(["S0A", "S0B", "S0C", "S1B"]))
    smap.map.zoom = 5  # the filter moved the view: back to the country, as a person would
    assert smap.fan_zoom == 5
    gap, reach = _site_check(_drawn(smap.base), 5)
    assert gap >= 2 * DOT_RADIUS
    assert reach < 0.4 * 700_000  # well inside the ~700 km to the next city
    smap.map.zoom = 17
    base = _drawn(smap.base)
    gap, reach = _site_check(base, 17)
    assert gap >= 2 * DOT_RADIUS and reach < 30
    for layer in (smap.alerts, smap.highlight):  # overlays sit on the base's dots
        shown = _drawn(layer)
        assert shown and all((shown[s] == base[s]).all() for s in shown)


def test_a_dense_citys_fans_stay_nearer_their_own_site():
    """A 5 x 5 grid of sites 500 m apart plus two far cities: at the country view a
    site's fan reaches at most 0.4 of the way to the nearest site (8 px there is ~33 km)."""
    grid = np.arange(5) * 500 / METRES_PER_DEG
    glat, glon = np.meshgrid(35.7 + grid, 51.4 + grid / np.cos(np.radians(35.7)))
    site_lat = np.concatenate([glat.ravel(), [36.3, 29.6]])
    site_lon = np.concatenate([glon.ravel(), [59.6, 52.53]])
    n = len(site_lat)
    sectors = pd.DataFrame({schema.SECTOR: [f"G{i}" for i in range(3 * n)],
                            schema.LAT: np.repeat(site_lat, 3),
                            schema.LON: np.repeat(site_lon, 3),
                            "azimuth": np.tile([0.0, 120.0, 240.0], n)})
    smap = SectorMap(sectors, provinces=SQUARE)
    assert smap.map.zoom <= 6
    drawn = _drawn(smap.base)
    xy = np.array([drawn[f"G{i}"] for i in range(3 * n)])
    own = np.repeat(np.arange(n), 3)
    metres = np.hypot((xy[:, None, 0] - site_lon[None, :]) * METRES_PER_DEG
                      * np.cos(np.radians(35.7)),
                      (xy[:, None, 1] - site_lat[None, :]) * METRES_PER_DEG)
    assert (metres.argmin(axis=1) == own).all()
    assert metres[np.arange(75), own[:75]].max() < 0.45 * 500  # the grid's dots


def test_searching_a_sector_zooms_to_its_site_and_its_dot_is_in_view():
    """The search's zoom-to views the sector's site at a street zoom, where its dot is
    drawn a few pixels off (the view once centred on the country fan's dot, ~30 km away
    from where the zoomed-in fan then drew it: the click test hit nothing)."""
    sectors = _three_cities()
    dash = Dashboard(FakeMonitor(sectors=sectors), provinces=SQUARE)
    assert dash.map.map.zoom <= 6
    dash.set_filter(Filter(search="S1C"))
    smap = dash.map
    zoom = smap.map.zoom
    assert smap.selected == "S1C"
    assert smap.fan_zoom == zoom >= 15
    center = np.array(smap.map.center)
    dot = _drawn(smap.highlight)["S1C"]
    px = _metres(dot, center[::-1], center[0]) / metres_per_pixel(center[0], zoom)
    assert px < 20  # near the middle of the view
    assert _metres(dot, np.array(CITIES[1][::-1]), CITIES[1][0]) < 30  # and of its site
    assert _drawn(smap.base)["S1C"] == pytest.approx(dot)


def test_sectors_added_later_follow_the_zoom_and_the_dots_already_drawn_stay():
    sectors = _three_cities()
    smap = SectorMap(sectors.iloc[:6], provinces=SQUARE)
    before = _drawn(smap.base)
    assert smap.show_sectors(sectors)
    assert all((_drawn(smap.base)[s] == before[s]).all() for s in before)
    smap.map.zoom = 16
    added = _drawn(smap.added)
    assert set(added) == {"S2A", "S2B", "S2C"}
    assert _site_check({**_drawn(smap.base), **added}, 16)[1] < 30


def test_a_site_added_near_a_drawn_one_shrinks_the_drawn_sites_cap():
    """The cap (NEAR_SHARE of the way to the nearest other site) was computed once: a new
    site 20 m from a drawn one left the drawn site's dots ~16 m out at zoom 16, nearer the
    new site than their own. Now the caps are the whole table's, the base redrawn."""
    sectors = _three_cities()
    lat, lon = CITIES[0]
    near = pd.DataFrame({schema.SECTOR: ["N1"], schema.PROVINCE: "x",
                         schema.LAT: [lat + 20 / METRES_PER_DEG], schema.LON: [lon],
                         "azimuth": [180.0]})
    smap = SectorMap(sectors, provinces=SQUARE)
    smap.map.zoom = 16
    site = np.array([lon, lat])
    before = _drawn(smap.base)
    assert max(_metres(before[f"S0{s}"], site, lat) for s in "ABC") > 12
    assert smap.show_sectors(pd.concat([sectors, near], ignore_index=True))
    reach = [_metres(_drawn(smap.base)[f"S0{s}"], site, lat) for s in "ABC"]
    assert max(reach) <= 0.4 * 20 + 0.5, reach
    assert (_drawn(smap.base)["S1A"] == before["S1A"]).all()  # a far site's dots stay
    smap.map.zoom = 17  # a later zoom keeps the new cap
    assert max(_metres(_drawn(smap.base)[f"S0{s}"], site, lat) for s in "ABC") <= 8.5


def test_a_lone_sector_without_azimuth_stays_on_its_site_at_every_zoom():
    sectors = pd.DataFrame({schema.SECTOR: ["a", "b", "c"], schema.LAT: [30.0, 30.0, 31.0],
                            schema.LON: [50.0, 50.0, 50.0], "azimuth": np.nan})
    geometry = fan_geometry(sectors)
    for zoom in (5, 12, 17):
        at = fan_at(geometry, zoom)
        assert tuple(at.loc["c"]) == (31.0, 50.0)
        assert (at.loc["a"] != at.loc["b"]).any()


@pytest.mark.parametrize("zoom", [5, 11, 17])
def test_two_bands_on_one_bearing_are_two_dots_and_stay_nearer_their_site(zoom):
    """Two bands of one sector (one bearing) step out along it, a dot's width apart at any
    zoom (a 1.7x step was 5.6 px: one dot over the other); next to another site the
    outer band too stays within 0.4 of the way there."""
    far = pd.DataFrame({schema.SECTOR: ["a", "b", "c", "z"], schema.LAT: [30.0] * 3 + [34.0],
                        schema.LON: 50.0, "azimuth": [90.0, 90.0, 210.0, 0.0]})
    at = fan_at(fan_geometry(far), zoom)
    gap = _metres(at.loc["a"].to_numpy()[::-1], at.loc["b"].to_numpy()[::-1], 30.0)
    assert gap / metres_per_pixel(30.0, zoom) >= 2 * DOT_RADIUS
    near = far.assign(**{schema.LAT: [30.0] * 3 + [30.05]})  # 5.6 km north
    at = fan_at(fan_geometry(near), zoom)
    outer = _metres(at.loc["b"].to_numpy()[::-1], np.array([50.0, 30.0]), 30.0)
    assert outer <= 0.4 * 0.05 * METRES_PER_DEG + 1


def test_the_zoom_the_front_end_link_reports_redraws_the_fan():
    """JupyterLab 4 never sends ipyleaflet's own ``zoom`` back to the kernel (the map kept
    zoom 5 while the page showed 15: the dots stayed at the country fan, ~2 km off); the
    zoom comes through a front-end link to ``zoom_seen``, which redraws as well."""
    smap = SectorMap(_three_cities(), provinces=SQUARE)
    smap.zoom_seen.value = 16.0  # what the link sets when the page's map zooms
    assert smap.fan_zoom == 16 and smap.map.zoom == 16
    assert _site_check(_drawn(smap.base), 16)[1] < 30
    assert smap._view.zoom_link.source == (smap.map, "zoom")
