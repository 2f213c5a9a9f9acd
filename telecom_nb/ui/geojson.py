"""Sector tables -> GeoJSON point collections (what the map layers carry).

Only ``sector_id`` travels in the properties: KPIs for the info panel are looked up
in the kernel on click/hover, which keeps each tick's overlay message small. Rows
without a finite position are left out (NaN is not JSON, and has no place on a map).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb.schema import LAT, LON, SECTOR

COORD_DECIMALS = 4  # ~10 m: plenty for a dot fanned out 150+ m from its site, and short


def points_collection(frame: pd.DataFrame) -> dict:
    """A FeatureCollection with one Point per placed row (``sector_id`` in properties)."""
    lon = frame[LON].to_numpy(dtype=float)
    lat = frame[LAT].to_numpy(dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon = np.round(lon[ok], COORD_DECIMALS).tolist()
    lat = np.round(lat[ok], COORD_DECIMALS).tolist()
    ids = frame[SECTOR].astype(str).to_numpy()[ok].tolist()
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {"sector_id": s},
        }
        for s, x, y in zip(ids, lon, lat, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


EMPTY_COLLECTION: dict = {"type": "FeatureCollection", "features": []}
