"""Sector tables -> GeoJSON point collections (what the map layers carry).

Only ``sector_id`` travels in the properties: KPIs for the info panel are looked up
in the kernel on click/hover, which keeps each tick's overlay message small. Rows
without a finite position are left out (NaN is not JSON, and has no place on a map).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from telecom_nb.schema import LAT, LON, SECTOR

COORD_DECIMALS = 4  # ~10 m; the map passes its zoom's (ui.fan.coord_decimals)


def points_collection(frame: pd.DataFrame, styles: Sequence[dict | None] | None = None,
                      decimals: int = COORD_DECIMALS) -> dict:
    """A FeatureCollection with one Point per placed row (``sector_id`` in properties).

    ``styles`` (one per row, None = the layer's own ``point_style``) lets one layer draw
    dots of several colours: the front end applies a feature's ``properties.style`` over
    the layer's point style, so several states cost one message per tick, not one each.
    ``decimals``: of a degree, enough for the zoom drawn (a street zoom's fan is metres).
    """
    lon = frame[LON].to_numpy(dtype=float)
    lat = frame[LAT].to_numpy(dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon = np.round(lon[ok], decimals).tolist()
    lat = np.round(lat[ok], decimals).tolist()
    ids = frame[SECTOR].astype(str).to_numpy()[ok].tolist()
    if styles is None:
        props = [{"sector_id": s} for s in ids]
    else:
        kept = [st for st, keep in zip(styles, ok, strict=True) if keep]
        props = [{"sector_id": s} if st is None else {"sector_id": s, "style": st}
                 for s, st in zip(ids, kept, strict=True)]
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": prop,
        }
        for prop, x, y in zip(props, lon, lat, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


EMPTY_COLLECTION: dict = {"type": "FeatureCollection", "features": []}
