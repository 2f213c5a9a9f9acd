"""Build the shipped province outlines from the OSM-derived source file.

Usage: python scripts/make_provinces.py [SOURCE] [--tolerance DEG] [--out PATH]

Why topology-aware: neighbouring provinces share border vertices in the source. Each
ring is cut into arcs at the vertices where its neighbour set changes; every arc is
simplified once (Douglas–Peucker) and reused, reversed if needed, by both neighbours,
so the simplified map has no slivers or gaps and point location stays unambiguous.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from telecom_nb.geo.provinces import PROVINCE_FACTS

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "iran_provinces" / "provinces.min.geojson"
DEFAULT_OUT = ROOT / "telecom_nb" / "geo" / "data" / "iran_provinces.geojson"
DECIMALS = 3
MIN_ISLAND_AREA = 0.002  # square degrees (~20 km²): smaller islands are dropped


def douglas_peucker(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Boolean keep-mask of an open polyline (endpoints always kept)."""
    n = len(points)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    # Measure in a locally isotropic frame: a degree of longitude is shorter than one of lat.
    scale = np.cos(np.radians(points[:, 1].mean()))
    xy = points * np.array([scale, 1.0])
    stack = [(0, n - 1)]
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        seg = xy[first + 1:last]
        a, b = xy[first], xy[last]
        ab = b - a
        norm = np.hypot(*ab)
        if norm == 0.0:  # closed loop: distance to the single point
            dist = np.hypot(*(seg - a).T)
        else:
            dist = np.abs(ab[0] * (seg[:, 1] - a[1]) - ab[1] * (seg[:, 0] - a[0])) / norm
        i = int(np.argmax(dist))
        if dist[i] > tolerance:
            mid = first + 1 + i
            keep[mid] = True
            stack.extend([(first, mid), (mid, last)])
    return keep


def ring_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return abs(float((x[:-1] * y[1:] - x[1:] * y[:-1]).sum())) / 2.0


def _vertex_owners(features: list[dict]) -> dict[tuple[float, float], frozenset[int]]:
    owners: dict[tuple[float, float], set[int]] = {}
    for i, feature in enumerate(features):
        for poly in feature["geometry"]["coordinates"]:
            for ring in poly:
                for x, y in ring:
                    owners.setdefault((x, y), set()).add(i)
    return {k: frozenset(v) for k, v in owners.items()}


def _simplify_ring(ring: np.ndarray, owners: dict, cache: dict, tolerance: float) -> np.ndarray:
    """Simplify one closed ring arc by arc, sharing arcs with the neighbours."""
    pts = ring[:-1]
    sets = [owners[(x, y)] for x, y in pts.tolist()]
    n = len(pts)
    nodes = [i for i in range(n) if sets[i] != sets[i - 1] or sets[i] != sets[(i + 1) % n]
             or len(sets[i]) > 2]
    if not nodes:  # a ring shared with nobody (coast/foreign border only): one closed arc
        nodes = [0]
    out = []
    for k, start in enumerate(nodes):
        end = nodes[(k + 1) % len(nodes)]
        idx = np.arange(start, end + 1 if end > start else end + n + 1) % n
        arc = pts[idx]
        forward = tuple(arc[0]) <= tuple(arc[-1])
        canon = arc if forward else arc[::-1]
        key = canon.tobytes()
        if key not in cache:
            cache[key] = canon[douglas_peucker(canon, tolerance)]
        simple = cache[key] if forward else cache[key][::-1]
        out.append(simple[:-1])
    closed = np.concatenate([*out, out[0][:1]])
    closed = np.round(closed, DECIMALS)
    dup = np.r_[False, np.all(closed[1:] == closed[:-1], axis=1)]
    return closed[~dup]


def build(source: Path, tolerance: float) -> dict:
    data = json.loads(source.read_text("utf-8"))
    features = data["features"]
    owners = _vertex_owners(features)
    cache: dict[bytes, np.ndarray] = {}
    out_features = []
    for feature in features:
        name = feature["properties"]["name:en"]
        fact = PROVINCE_FACTS[name]
        polygons = []
        for poly in feature["geometry"]["coordinates"]:
            outer = np.asarray(poly[0], dtype=float)
            if ring_area(outer) < MIN_ISLAND_AREA:
                continue
            simple = _simplify_ring(outer, owners, cache, tolerance)
            if len(simple) >= 4:
                polygons.append([simple.tolist()])
        out_features.append({
            "type": "Feature",
            "properties": {
                "name": name,
                "name_fa": feature["properties"]["name:fa"],
                "code": fact.code,
                "population": fact.population,
            },
            "geometry": {"type": "MultiPolygon", "coordinates": polygons},
        })
    return {"type": "FeatureCollection", "features": out_features}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--tolerance", type=float, default=0.006, help="degrees (~0.6 km)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    collection = build(args.source, args.tolerance)
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, "utf-8")
    n_points = sum(len(r) for f in collection["features"]
                   for p in f["geometry"]["coordinates"] for r in p)
    print(f"{args.out}: {len(collection['features'])} provinces, {n_points} points, "
          f"{len(text.encode()) / 1024:.0f} KB")


if __name__ == "__main__":
    main()
