"""Where the map draws each sector, and where the map looks first.

Sectors of one site share the site's position, so drawn as-is they are one dot: only the
top one can be hovered or clicked. Each is drawn a small distance from the site in its
azimuth's direction (as planning tools draw sector lobes); co-located sectors without an
azimuth are spread evenly around the site; sectors sharing an azimuth (two bands of one
sector) are stepped further out. The distance is ``FAN_PX`` pixels at the map's first
zoom, kept between ``FAN_MIN_M`` and ``FAN_MAX_M`` metres: visible at the first view of a
city or region, and never more than a block away from the true site on a country-wide
map. All of it is vectorised and done once per sector, not per tick.

The first view fits the drawn dots' bounding box (padded): sites a few tens of metres apart
(one city block) are then shown at a zoom where their fanned sectors do not overlap; data
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
from telecom_nb.sources.sites import AZIMUTH

IRAN_CENTER = (32.5, 54.0)
IRAN_ZOOM = 5
IRAN_BOUNDS = ((24.5, 43.5), (40.5, 64.0))  # (south, west), (north, east), with a margin
#: the map's size assumed when choosing the first zoom (its real width depends on the page)
VIEW_PX = (640, 440)
MAX_ZOOM = 17  # a city block's sites (tens of metres apart) each get their own dots
PAD = 0.15  # share of the extent added around it
MIN_PAD_DEG = 0.001  # ~100 m: one site's fanned sectors fill the first view, not 1 % of it
FAN_PX = 8.0
FAN_MIN_M = 150.0
FAN_MAX_M = 800.0
SAME_BEARING_STEP = 0.7  # a second sector on the same bearing sits 1.7x as far, and so on
METRES_PER_DEG = 111_320.0
_EARTH_PX0_M = 156_543.03392  # metres per pixel at zoom 0 on the equator (256 px tiles)
_COLOCATED_DECIMALS = 5  # ~1 m: positions equal to this are one site


def metres_per_pixel(lat: float, zoom: float) -> float:
    return _EARTH_PX0_M * math.cos(math.radians(lat)) / 2**zoom


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


def fan_distance_m(zoom: int, lat: float) -> float:
    """The fan-out radius for a map first shown at ``zoom`` (see the module docstring)."""
    return float(np.clip(FAN_PX * metres_per_pixel(lat, zoom), FAN_MIN_M, FAN_MAX_M))


def fan_out(sectors: pd.DataFrame, distance_m: float) -> pd.DataFrame:
    """``sector_id``, ``lat``, ``lon`` where each sector is drawn (rows without a position
    dropped). A lone sector without azimuth stays on its site."""
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
    site_code = pd.factorize(site)[0]
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
    distance = distance_m * (1 + SAME_BEARING_STEP * step)
    distance = np.where(~known & (size == 1), 0.0, distance)
    rad = np.radians(bearing)
    dlat = distance * np.cos(rad) / METRES_PER_DEG
    dlon = distance * np.sin(rad) / (METRES_PER_DEG * np.cos(np.radians(lat)))
    return pd.DataFrame({SECTOR: frame[SECTOR].to_numpy(dtype=object),
                         LAT: lat + dlat, LON: lon + dlon})


def unplaced_ids(sectors: pd.DataFrame) -> list[str]:
    """Sector ids without a usable position, in table order."""
    return sectors.loc[~placed(sectors), SECTOR].astype(str).tolist()
