"""Geography: province outlines (OSM-derived, see data/NOTICE) and sector placement."""

from telecom_nb.geo.placement import place_sectors
from telecom_nb.geo.provinces import (
    ATTRIBUTION,
    locate,
    province_polygons,
    province_table,
    provinces_geojson,
)

__all__ = [
    "ATTRIBUTION",
    "locate",
    "place_sectors",
    "province_polygons",
    "province_table",
    "provinces_geojson",
]
