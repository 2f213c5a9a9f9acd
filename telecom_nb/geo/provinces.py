"""Iran's 31 provinces: outlines for the map, facts for placement, and point location.

The outlines ship as a small simplified GeoJSON (see ``data/NOTICE``; built by
``scripts/make_provinces.py``). Neighbouring provinces share their simplified border
vertices exactly, so every point inside Iran falls in exactly one province.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import numpy as np
import pandas as pd

ATTRIBUTION: Final = "© OpenStreetMap contributors (ODbL)"
DATA_FILE: Final = "iran_provinces.geojson"


@dataclass(frozen=True)
class ProvinceFact:
    """Public facts about one province (population: 2016 census, rounded)."""

    name: str
    code: str
    population: int
    capital: str
    capital_lat: float
    capital_lon: float
    # Other large towns (name, lat, lon, relative weight vs the capital = 1.0).
    towns: tuple[tuple[str, float, float, float], ...] = ()


# Keyed by the English name used in the OSM-derived source file.
PROVINCE_FACTS: Final[dict[str, ProvinceFact]] = {
    f.name: f
    for f in (
        ProvinceFact("Tehran", "THR", 13_267_637, "Tehran", 35.6892, 51.3890,
                     (("Eslamshahr", 35.5522, 51.2350, 0.08), ("Varamin", 35.3242, 51.6457, 0.04))),
        ProvinceFact("Razavi Khorasan", "RKH", 6_434_501, "Mashhad", 36.2605, 59.6168,
                     (("Neyshabur", 36.2140, 58.7961, 0.12), ("Sabzevar", 36.2126, 57.6819, 0.1))),
        ProvinceFact("Isfahan", "ESF", 5_120_850, "Isfahan", 32.6539, 51.6660,
                     (("Kashan", 33.9850, 51.4096, 0.15), ("Najafabad", 32.6344, 51.3668, 0.1))),
        ProvinceFact("Fars", "FRS", 4_851_274, "Shiraz", 29.5918, 52.5837,
                     (("Marvdasht", 29.8742, 52.8025, 0.1), ("Kazerun", 29.6195, 51.6541, 0.06))),
        ProvinceFact("Khuzestan", "KHZ", 4_710_509, "Ahvaz", 31.3183, 48.6706,
                     (("Dezful", 32.3811, 48.4058, 0.2), ("Abadan", 30.3392, 48.3043, 0.15))),
        ProvinceFact("East Azerbaijan", "EAZ", 3_909_652, "Tabriz", 38.0800, 46.2919,
                     (("Maragheh", 37.3917, 46.2398, 0.1), ("Marand", 38.4329, 45.7749, 0.06))),
        ProvinceFact("Mazandaran", "MZN", 3_283_582, "Sari", 36.5633, 53.0601,
                     (("Babol", 36.5513, 52.6790, 0.6), ("Amol", 36.4696, 52.3507, 0.6))),
        ProvinceFact("West Azerbaijan", "WAZ", 3_265_219, "Urmia", 37.5527, 45.0761,
                     (("Khoy", 38.5503, 44.9521, 0.2), ("Mahabad", 36.7631, 45.7222, 0.15))),
        ProvinceFact("Kerman", "KRM", 3_164_718, "Kerman", 30.2832, 57.0788,
                     (("Sirjan", 29.4520, 55.6814, 0.3), ("Rafsanjan", 30.4067, 55.9939, 0.2))),
        ProvinceFact("Sistan and Baluchestan", "SBL", 2_775_014, "Zahedan", 29.4963, 60.8629,
                     (("Chabahar", 25.2919, 60.6430, 0.2), ("Zabol", 31.0287, 61.5012, 0.2))),
        ProvinceFact("Alborz", "ALB", 2_712_400, "Karaj", 35.8400, 50.9391,
                     (("Hashtgerd", 35.9619, 50.6800, 0.06),)),
        ProvinceFact("Gilan", "GIL", 2_530_696, "Rasht", 37.2808, 49.5832,
                     (("Bandar-e Anzali", 37.4727, 49.4622, 0.15),
                      ("Lahijan", 37.2072, 50.0039, 0.15))),
        ProvinceFact("Kermanshah", "KSH", 1_952_434, "Kermanshah", 34.3142, 47.0650,
                     (("Eslamabad-e Gharb", 34.1094, 46.5275, 0.1),)),
        ProvinceFact("Golestan", "GLS", 1_868_819, "Gorgan", 36.8427, 54.4439,
                     (("Gonbad-e Kavus", 37.2500, 55.1672, 0.4),)),
        ProvinceFact("Hormozgan", "HRM", 1_776_415, "Bandar Abbas", 27.1832, 56.2666,
                     (("Minab", 27.1467, 57.0801, 0.12),)),
        ProvinceFact("Lorestan", "LRS", 1_760_649, "Khorramabad", 33.4878, 48.3558,
                     (("Borujerd", 33.8973, 48.7516, 0.6),)),
        ProvinceFact("Hamadan", "HMD", 1_738_234, "Hamadan", 34.7983, 48.5148,
                     (("Malayer", 34.2969, 48.8235, 0.3),)),
        ProvinceFact("Kurdistan", "KRD", 1_603_011, "Sanandaj", 35.3219, 46.9862,
                     (("Saqqez", 36.2499, 46.2735, 0.3),)),
        ProvinceFact("Markazi", "MRK", 1_429_475, "Arak", 34.0917, 49.6892,
                     (("Saveh", 35.0213, 50.3566, 0.4),)),
        ProvinceFact("Qom", "QOM", 1_292_283, "Qom", 34.6399, 50.8759),
        ProvinceFact("Qazvin", "QZV", 1_273_761, "Qazvin", 36.2688, 50.0041,
                     (("Takestan", 36.0696, 49.6959, 0.1),)),
        ProvinceFact("Ardabil", "ARD", 1_270_420, "Ardabil", 38.2498, 48.2933,
                     (("Parsabad", 39.6482, 47.9174, 0.2),)),
        ProvinceFact("Bushehr", "BSH", 1_163_400, "Bushehr", 28.9234, 50.8203,
                     (("Borazjan", 29.2666, 51.2159, 0.4),)),
        ProvinceFact("Yazd", "YZD", 1_138_533, "Yazd", 31.8974, 54.3569,
                     (("Meybod", 32.2501, 54.0166, 0.1),)),
        ProvinceFact("Zanjan", "ZNJ", 1_057_461, "Zanjan", 36.6736, 48.4787,
                     (("Abhar", 36.1468, 49.2180, 0.25),)),
        ProvinceFact("Chaharmahal and Bakhtiyari", "CHB", 947_763, "Shahrekord",
                     32.3256, 50.8644, (("Borujen", 31.9652, 51.2873, 0.2),)),
        ProvinceFact("North Khorasan", "NKH", 863_092, "Bojnord", 37.4747, 57.3290,
                     (("Shirvan", 37.3967, 57.9295, 0.3),)),
        ProvinceFact("South Khorasan", "SKH", 768_898, "Birjand", 32.8663, 59.2211,
                     (("Tabas", 33.5959, 56.9244, 0.15),)),
        ProvinceFact("Kohgiluye and Buyer Ahmad", "KBA", 713_052, "Yasuj", 30.6682, 51.5880,
                     (("Dogonbadan", 30.3586, 50.7981, 0.5),)),
        ProvinceFact("Semnan", "SMN", 702_360, "Semnan", 35.5769, 53.3953,
                     (("Shahrud", 36.4182, 54.9763, 0.8),)),
        ProvinceFact("Ilam", "ILM", 580_158, "Ilam", 33.6374, 46.4227,
                     (("Dehloran", 32.6941, 47.2679, 0.15),)),
    )
}


@cache
def provinces_geojson() -> dict:
    """The shipped simplified outlines (a FeatureCollection), for the map's base layer.

    Cached: callers must not mutate it (copy it first if a style must be added).
    """
    text = resources.files("telecom_nb.geo").joinpath("data", DATA_FILE).read_text("utf-8")
    return json.loads(text)


@cache
def province_polygons() -> dict[str, list[np.ndarray]]:
    """Each province's outer rings as ``(k, 2)`` float arrays of ``(lon, lat)``, closed."""
    out: dict[str, list[np.ndarray]] = {}
    for feature in provinces_geojson()["features"]:
        geom = feature["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        rings = [np.asarray(ring, dtype=float) for poly in polys for ring in poly]
        out[feature["properties"]["name"]] = rings
    return out


def _ring_centroid(rings: list[np.ndarray]) -> tuple[float, float]:
    """Area-weighted centroid (lat, lon) of a set of rings (shoelace formula)."""
    area_sum = cx = cy = 0.0
    for ring in rings:
        x, y = ring[:, 0], ring[:, 1]
        cross = x[:-1] * y[1:] - x[1:] * y[:-1]
        a = cross.sum() / 2.0
        area_sum += a
        cx += ((x[:-1] + x[1:]) * cross).sum() / 6.0
        cy += ((y[:-1] + y[1:]) * cross).sum() / 6.0
    return cy / area_sum, cx / area_sum


@cache
def _province_table() -> pd.DataFrame:
    polygons = province_polygons()
    rows = []
    for name, fact in PROVINCE_FACTS.items():
        clat, clon = _ring_centroid(polygons[name])
        rows.append({
            "name": name,
            "code": fact.code,
            "population": fact.population,
            "centroid_lat": clat,
            "centroid_lon": clon,
            "capital": fact.capital,
            "capital_lat": fact.capital_lat,
            "capital_lon": fact.capital_lon,
        })
    return pd.DataFrame(rows)


def province_table() -> pd.DataFrame:
    """One row per province: name, code, population, centroid and capital coordinates."""
    return _province_table().copy()


class PolygonIndex:
    """Vectorised point-in-polygon for many polygons (numpy ray casting).

    Edges are bucketed into horizontal strips; a query tests each point only against
    the edges of its strip, all points of a strip at once (one broadcast per strip,
    no per-point loop). The crossing counts per owner come from one matrix product
    with a one-hot owner matrix, and an odd count means inside.
    """

    def __init__(self, rings: list[np.ndarray], owners: np.ndarray, n_owners: int,
                 n_strips: int = 256) -> None:
        starts = np.concatenate([r[:-1] for r in rings])
        ends = np.concatenate([r[1:] for r in rings])
        edge_owner = np.repeat(owners, [len(r) - 1 for r in rings])
        keep = starts[:, 1] != ends[:, 1]  # horizontal edges never cross a horizontal ray
        self._x1, self._y1 = starts[keep, 0], starts[keep, 1]
        self._x2, self._y2 = ends[keep, 0], ends[keep, 1]
        self._owner = edge_owner[keep]
        self.n_owners = n_owners
        self._lo = float(min(self._y1.min(), self._y2.min()))
        self._hi = float(max(self._y1.max(), self._y2.max()))
        self._n_strips = n_strips
        self._height = (self._hi - self._lo) / n_strips
        ymin = np.minimum(self._y1, self._y2)
        ymax = np.maximum(self._y1, self._y2)
        first = np.clip(((ymin - self._lo) / self._height).astype(int), 0, n_strips - 1)
        last = np.clip(((ymax - self._lo) / self._height).astype(int), 0, n_strips - 1)
        # Edge e belongs to strips first[e]..last[e]; build the strip -> edges lists.
        counts = last - first + 1
        edge_ids = np.repeat(np.arange(len(first)), counts)
        offsets = np.arange(len(edge_ids)) - np.repeat(np.cumsum(counts) - counts, counts)
        strip_ids = np.repeat(first, counts) + offsets
        order = np.argsort(strip_ids, kind="stable")
        bounds = np.searchsorted(strip_ids[order], np.arange(n_strips + 1))
        sorted_edges = edge_ids[order]
        self._strip_edges = [sorted_edges[bounds[i]:bounds[i + 1]] for i in range(n_strips)]
        self._onehot = np.eye(n_owners, dtype=np.float32)

    def owner_of(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Index of the polygon owner containing each point, -1 when none."""
        lat = np.asarray(lat, dtype=float).ravel()
        lon = np.asarray(lon, dtype=float).ravel()
        result = np.full(lat.shape, -1, dtype=np.int64)
        valid = np.isfinite(lat) & np.isfinite(lon) & (lat >= self._lo) & (lat < self._hi)
        idx = np.flatnonzero(valid)
        if idx.size == 0:
            return result
        strip = np.minimum(((lat[idx] - self._lo) / self._height).astype(int),
                           self._n_strips - 1)
        order = np.argsort(strip, kind="stable")
        idx, strip = idx[order], strip[order]
        bounds = np.searchsorted(strip, np.arange(self._n_strips + 1))
        for s in np.unique(strip):
            edges = self._strip_edges[s]
            if edges.size == 0:
                continue
            pts = idx[bounds[s]:bounds[s + 1]]
            py, px = lat[pts, None], lon[pts, None]
            y1, y2 = self._y1[edges], self._y2[edges]
            x1, x2 = self._x1[edges], self._x2[edges]
            straddles = (y1 > py) != (y2 > py)
            x_cross = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
            crossing = (straddles & (px < x_cross)).astype(np.float32)
            counts = crossing @ self._onehot[self._owner[edges]]
            odd = (np.rint(counts).astype(np.int64) % 2) == 1
            result[pts] = np.where(odd.any(axis=1), odd.argmax(axis=1), -1)
        return result


@cache
def _index() -> tuple[PolygonIndex, np.ndarray]:
    polygons = province_polygons()
    names = np.array(list(polygons), dtype=object)
    rings, owners = [], []
    for i, name in enumerate(names):
        rings.extend(polygons[name])
        owners.extend([i] * len(polygons[name]))
    return PolygonIndex(rings, np.asarray(owners), len(names)), names


def locate(lat: np.ndarray | float, lon: np.ndarray | float) -> np.ndarray:
    """Province name for each point (object array), ``""`` outside Iran."""
    index, names = _index()
    owner = index.owner_of(np.atleast_1d(lat), np.atleast_1d(lon))
    lookup = np.append(names, "")
    return lookup[owner]  # -1 picks the trailing ""
