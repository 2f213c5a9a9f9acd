"""Where the map looks first, which sectors have a position, and how a network across
the antimeridian is unwrapped. Where each dot is drawn (fanned out from its site, by zoom)
is :mod:`~telecom_nb.ui.fan`.

The first view fits the sites' bounding box (padded; a fan is a few pixels at any zoom):
sites a few tens of metres apart (one city block) are then shown at a zoom where their
fanned sectors do not overlap; data
that needs the whole of Iran gets the usual Iran view. A network across the antimeridian
(Fiji, Chukotka, the Aleutians: longitudes 179.9 and -179.9) is one place, not the width of
the world: its longitudes are unwrapped past 180 (Leaflet draws 180.1 just east of 180)
before the view and the dots are computed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from telecom_nb.schema import LAT, LON, SECTOR

IRAN_CENTER = (32.5, 54.0)
IRAN_ZOOM = 5
IRAN_BOUNDS = ((24.5, 43.5), (40.5, 64.0))  # (south, west), (north, east), with a margin
#: the map's size assumed when choosing the first zoom (its real width depends on the page)
VIEW_PX = (640, 440)
MAX_ZOOM = 17  # a city block's sites (tens of metres apart) each get their own dots
PAD = 0.15  # share of the extent added around it
MIN_PAD_DEG = 0.001  # ~100 m: one site's fanned sectors fill the first view, not 1 % of it
METRES_PER_DEG = 111_320.0
_EARTH_PX0_M = 156_543.03392  # metres per pixel at zoom 0 on the equator (256 px tiles)


def metres_per_pixel(lat, zoom: float):
    """Web Mercator metres per pixel at ``lat`` (a float or an array) and ``zoom``."""
    return _EARTH_PX0_M * np.cos(np.radians(lat)) / 2.0**zoom


def unwrap_longitudes(lon: np.ndarray) -> np.ndarray:
    """``lon`` made continuous across the antimeridian when the data crosses it.

    The widest empty arc of the circle is where the map should cut; when it is not the one
    over +-180 (the data spans 179 .. -179), the longitudes west of that arc move by +360.
    NaN stays NaN; data that does not cross is returned as it is.
    """
    lon = np.asarray(lon, dtype=float)
    finite = np.sort(lon[np.isfinite(lon)])
    if len(finite) < 2:
        return lon
    gaps = np.diff(finite)
    widest = int(np.argmax(gaps))
    if gaps[widest] <= finite[0] + 360.0 - finite[-1]:
        return lon
    return np.where(lon <= finite[widest], lon + 360.0, lon)


def placed(sectors: pd.DataFrame) -> np.ndarray:
    """Rows with a usable position (finite lat and lon)."""
    lat = pd.to_numeric(sectors[LAT], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(sectors[LON], errors="coerce").to_numpy(dtype=float)
    return np.isfinite(lat) & np.isfinite(lon)


Bounds = tuple[tuple[float, float], tuple[float, float]]


def data_bounds(sectors: pd.DataFrame, pad: float = PAD) -> Bounds | None:
    """((south, west), (north, east)) of the placed sectors, padded by ``pad`` of the
    extent (at least ~100 m); None when no sector has a position."""
    ok = placed(sectors)
    if not ok.any():
        return None
    lat = sectors[LAT].to_numpy(dtype=float)[ok]
    lon = unwrap_longitudes(sectors[LON].to_numpy(dtype=float)[ok])
    south, north, west, east = lat.min(), lat.max(), lon.min(), lon.max()
    pad_lat = max((north - south) * pad, MIN_PAD_DEG)
    pad_lon = max((east - west) * pad, MIN_PAD_DEG)
    return ((float(south - pad_lat), float(west - pad_lon)),
            (float(north + pad_lat), float(east + pad_lon)))


def _mercator_y(lat: float) -> float:
    s = math.sin(math.radians(max(min(lat, 85.0), -85.0)))
    return 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)


def initial_view(sectors: pd.DataFrame, size_px: tuple[int, int] = VIEW_PX
                 ) -> tuple[tuple[float, float], int]:
    """(center, zoom) showing every placed sector; the Iran view when they need it all."""
    bounds = data_bounds(sectors)
    if bounds is None:
        return IRAN_CENTER, IRAN_ZOOM
    (south, west), (north, east) = bounds
    width = max((east - west) / 360.0, 1e-9)
    height = max(_mercator_y(south) - _mercator_y(north), 1e-9)
    fit = min(math.log2(size_px[0] / 256 / width), math.log2(size_px[1] / 256 / height))
    zoom = int(min(max(math.floor(fit), 1), MAX_ZOOM))
    (s_iran, w_iran), (n_iran, e_iran) = IRAN_BOUNDS
    (s_data, w_data), (n_data, e_data) = data_bounds(sectors, pad=0.0) or bounds
    inside_iran = s_data >= s_iran and n_data <= n_iran and w_data >= w_iran and e_data <= e_iran
    if zoom <= IRAN_ZOOM and inside_iran:
        return IRAN_CENTER, IRAN_ZOOM
    center = ((south + north) / 2, (west + east) / 2)
    return (round(center[0], 5), round(center[1], 5)), zoom


def unplaced_ids(sectors: pd.DataFrame) -> list[str]:
    """Sector ids without a usable position, in table order."""
    return sectors.loc[~placed(sectors), SECTOR].astype(str).tolist()
