"""Where each sector's dot is drawn at a zoom: fanned out from its site, a few pixels.

Sectors of one site share the site's position, so drawn as-is they are one dot: only the
top one can be hovered or clicked. Each is drawn a small distance from the site in its
azimuth's direction (as planning tools draw sector lobes); co-located sectors without an
azimuth are spread evenly around the site; sectors sharing an azimuth (two bands of one
sector) are stepped further out.

The distance is ``FAN_PX`` pixels at the map's CURRENT zoom, so it is redrawn when the
zoom changes: a fan fixed in metres is either one dot at the country view (800 m is 0.2 px
at zoom 5) or kilometres off its site once zoomed in (8 px of zoom 5 is 33 km). In pixels
it is 33 km at zoom 5 and 8 m at zoom 17. It never reaches more than ``NEAR_SHARE`` of the
way to the nearest other site, so a dot stays nearer its own site than any other.

What depends on the table (each sector's site, bearing, step and cap) is computed once,
vectorised (:func:`fan_geometry`), and the caps again when sectors are added (a new site
may be the nearest other site of an old one); a zoom's positions (:func:`fan_at`) are a few numpy
operations over it, cheap enough to redo on every zoom of a 100,000-sector map.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from telecom_nb.schema import LAT, LON, SECTOR
from telecom_nb.sources.sites import AZIMUTH
from telecom_nb.ui.placement import (
    METRES_PER_DEG,
    metres_per_pixel,
    placed,
    unwrap_longitudes,
)

FAN_PX = 8.0  # a site's three dots ~14 px apart: each can be hovered (dots are 5 px)
NEAR_SHARE = 0.4  # a fan reaches at most this share of the way to the nearest other site
#: a second sector on the same bearing sits 2.5x as far (12 px further out: two 10 px dots
#: apart), a third 4x, and so on
SAME_BEARING_STEP = 1.5
_EARTH_RADIUS_M = 6_371_008.8
_COLOCATED_DECIMALS = 5  # ~1 m: positions equal to this are one site
#: columns of :func:`fan_geometry`: the site, the unit offset (north, east: metres per
#: metre of fan radius, the same-bearing step included) and the cap on the radius (its
#: site's outermost dot at most ``NEAR_SHARE`` of the way to the nearest other site)
GEOMETRY = ("site_lat", "site_lon", "north", "east", "reach_m")


def fan_geometry(sectors: pd.DataFrame) -> pd.DataFrame:
    """Per placed sector (index ``sector_id``, rows without a position dropped): its site,
    unit offset and radius cap (see :data:`GEOMETRY`). A lone sector without azimuth has
    a zero offset: it stays on its site."""
    ok = placed(sectors)
    frame = sectors.loc[ok]
    lat = frame[LAT].to_numpy(dtype=float)
    lon = unwrap_longitudes(frame[LON].to_numpy(dtype=float))
    if AZIMUTH in frame:
        azimuth = pd.to_numeric(frame[AZIMUTH], errors="coerce").to_numpy(dtype=float)
    else:
        azimuth = np.full(len(frame), np.nan)
    site = pd.MultiIndex.from_arrays([np.round(lat, _COLOCATED_DECIMALS),
                                      np.round(lon, _COLOCATED_DECIMALS)])
    site_code, site_keys = pd.factorize(site)
    known = np.isfinite(azimuth)
    group = pd.DataFrame({"site": site_code, "known": known,
                          "bearing": np.where(known, np.round(azimuth % 360, 1), -1.0)})
    size = group.groupby("site")["site"].transform("size").to_numpy()
    # sectors without azimuth: evenly around the site, in table order
    unknown_rank = group.groupby(["site", "known"]).cumcount().to_numpy()
    unknown_n = group.groupby(["site", "known"])["site"].transform("size").to_numpy()
    bearing = np.where(known, azimuth % 360, 360.0 * unknown_rank / np.maximum(unknown_n, 1))
    # same site, same bearing: step out along it
    step = np.where(known, group.groupby(["site", "bearing"]).cumcount().to_numpy(), 0)
    length = np.where(~known & (size == 1), 0.0, 1 + SAME_BEARING_STEP * step)
    rad = np.radians(bearing)
    # the cap is on the outermost dot: a site's stepped-out bands stay inside NEAR_SHARE
    longest = pd.Series(length).groupby(site_code).transform("max").to_numpy()
    reach = NEAR_SHARE * _nearest_other_m(site_keys)[site_code] / np.maximum(longest, 1.0)
    return pd.DataFrame({"site_lat": lat, "site_lon": lon, "north": length * np.cos(rad),
                         "east": length * np.sin(rad), "reach_m": reach},
                        index=pd.Index(frame[SECTOR].to_numpy(dtype=object), name=SECTOR))


def _nearest_other_m(sites: pd.MultiIndex) -> np.ndarray:
    """Per site (``(lat, lon)`` keys), metres to the nearest other site (inf when alone):
    chords between points on the sphere, which needs no care at the antimeridian."""
    if len(sites) < 2:
        return np.full(len(sites), np.inf)
    from scipy.spatial import cKDTree

    lat = np.radians(sites.get_level_values(0).to_numpy(dtype=float))
    lon = np.radians(sites.get_level_values(1).to_numpy(dtype=float))
    xyz = _EARTH_RADIUS_M * np.column_stack([np.cos(lat) * np.cos(lon),
                                             np.cos(lat) * np.sin(lon), np.sin(lat)])
    return cKDTree(xyz).query(xyz, k=2)[0][:, 1]


def fan_radius_m(site_lat: np.ndarray, zoom: float) -> np.ndarray:
    """``FAN_PX`` pixels in metres at ``zoom`` on each latitude (Web Mercator)."""
    return FAN_PX * metres_per_pixel(site_lat, zoom)


def fan_at(geometry: pd.DataFrame, zoom: float) -> pd.DataFrame:
    """``lat``, ``lon`` (index ``sector_id``) of each dot at ``zoom``: ``FAN_PX`` pixels
    from its site (times its same-bearing step), or its cap if less."""
    site_lat = geometry["site_lat"].to_numpy()
    radius = np.minimum(fan_radius_m(site_lat, zoom), geometry["reach_m"].to_numpy())
    north = geometry["north"].to_numpy() * radius / METRES_PER_DEG
    east = geometry["east"].to_numpy() * radius / (METRES_PER_DEG
                                                   * np.cos(np.radians(site_lat)))
    return pd.DataFrame({LAT: site_lat + north, LON: geometry["site_lon"].to_numpy() + east},
                        index=geometry.index)


def coord_decimals(zoom: float) -> int:
    """Decimals of a degree that place a dot within a quarter pixel at ``zoom``, at least
    4 (~10 m, the sites' own precision in tests and exports): 6 at street zoom, where 4
    rounded an 8 m fan to 11 m."""
    degrees_per_px = 360.0 / (256 * 2.0**zoom)
    return int(min(max(math.ceil(math.log10(4 / degrees_per_px)), 4), 7))


def where_drawn(drawn_at: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """``rows``' sector ids at their dots in ``drawn_at`` (:func:`fan_at`; a vectorised
    lookup, so overlays sit on the base's dots); a sector not drawn yet keeps the batch's
    own position (NaN ones are left out by the GeoJSON)."""
    ids = rows[SECTOR].to_numpy(dtype=object)
    at = drawn_at.index.get_indexer(ids)
    found = at >= 0
    at = np.where(found, at, 0)  # a placeholder row where not found (may be none drawn)
    drawn = drawn_at[[LAT, LON]].to_numpy(dtype=float)
    if not len(drawn):  # no sector has a position: every lookup misses
        drawn = np.full((1, 2), np.nan)
    lat = np.where(found, drawn[at, 0],
                   pd.to_numeric(rows[LAT], errors="coerce").to_numpy(dtype=float)
                   if LAT in rows else np.nan)
    lon = np.where(found, drawn[at, 1],
                   pd.to_numeric(rows[LON], errors="coerce").to_numpy(dtype=float)
                   if LON in rows else np.nan)
    return pd.DataFrame({SECTOR: ids, LAT: lat, LON: lon})
