"""Province outlines, point location and sector placement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from telecom_nb.errors import ParameterError
from telecom_nb.geo import ATTRIBUTION, locate, place_sectors, province_table, provinces_geojson
from telecom_nb.geo.placement import allocate

DATA = Path(__file__).resolve().parents[1] / "telecom_nb" / "geo" / "data"
SOURCE = (Path(__file__).resolve().parents[1].parent / "shared" / "data" / "iran_provinces"
          / "provinces.min.geojson")


def test_shipped_file_is_small_complete_and_attributed():
    path = DATA / "iran_provinces.geojson"
    assert path.exists()
    assert path.stat().st_size <= 150 * 1024
    features = provinces_geojson()["features"]
    assert len(features) == 31
    props = features[0]["properties"]
    assert {"name", "name_fa", "code", "population"} <= set(props)
    codes = [f["properties"]["code"] for f in features]
    assert len(set(codes)) == 31 and all(len(c) == 3 for c in codes)
    assert "OpenStreetMap" in ATTRIBUTION and "ODbL" in ATTRIBUTION
    notice = (DATA / "NOTICE").read_text("utf-8")
    assert "OpenStreetMap contributors" in notice and "ODbL" in notice


def test_province_table_facts():
    table = province_table()
    assert len(table) == 31
    pop = table.set_index("name")["population"]
    assert pop["Tehran"] > 20 * pop["Ilam"]
    assert 75e6 < pop.sum() < 85e6  # 2016 census: ~79.9 M
    # Centroids lie in Iran's bounding box.
    assert table["centroid_lat"].between(25, 40).all()
    assert table["centroid_lon"].between(44, 64).all()


CITIES = {
    "Tehran": (35.6892, 51.3890),
    "East Azerbaijan": (38.0800, 46.2919),  # Tabriz
    "Razavi Khorasan": (36.2605, 59.6168),  # Mashhad
    "Fars": (29.5918, 52.5837),  # Shiraz
    "Khuzestan": (31.3183, 48.6706),  # Ahvaz
    "Isfahan": (32.6539, 51.6660),
}


def test_locate_known_cities_and_outside_points():
    names = list(CITIES)
    lat = np.array([CITIES[n][0] for n in names] + [41.0, 24.0, 33.3])
    lon = np.array([CITIES[n][1] for n in names] + [69.0, 56.0, 44.4])  # Tashkent, sea, Baghdad
    got = locate(lat, lon)
    assert list(got) == [*names, "", "", ""]


def test_every_capital_is_in_its_province():
    table = province_table()
    got = locate(table["capital_lat"].to_numpy(), table["capital_lon"].to_numpy())
    assert list(got) == list(table["name"])


def test_simplified_outlines_agree_with_source():
    """Point location on the shipped outlines matches the full-resolution source."""
    import json

    from telecom_nb.geo.provinces import PolygonIndex

    if not SOURCE.exists():
        pytest.skip("shared source data absent")
    features = json.loads(SOURCE.read_text("utf-8"))["features"]
    rings, owners, names = [], [], []
    for i, feature in enumerate(features):
        names.append(feature["properties"]["name:en"])
        for poly in feature["geometry"]["coordinates"]:
            rings.append(np.asarray(poly[0], dtype=float))
            owners.append(i)
    index = PolygonIndex(rings, np.asarray(owners), len(names))
    rng = np.random.default_rng(1)
    lat, lon = rng.uniform(25, 40, 6_000), rng.uniform(44, 64, 6_000)
    truth = np.append(np.array(names, dtype=object), "")[index.owner_of(lat, lon)]
    assert (truth != "").mean() > 0.4  # the sample really covers Iran
    assert (locate(lat, lon) == truth).mean() > 0.995


def test_placement_reproducible_unique_and_inside():
    a = place_sectors(999, seed=3)
    b = place_sectors(999, seed=3)
    c = place_sectors(999, seed=4)
    assert a.equals(b)
    assert not a[["lat", "lon"]].equals(c[["lat", "lon"]])
    assert list(a.columns) == ["sector_id", "province", "lat", "lon", "site_id"]
    assert a["sector_id"].is_unique
    assert a["sector_id"].str.fullmatch(r"[A-Z]{3}-\d{5}-[123]").all()
    assert (locate(a["lat"].to_numpy(), a["lon"].to_numpy()) == a["province"].to_numpy()).all()
    # Three sectors per site, sharing the site's position.
    per_site = a.groupby("site_id").agg(n=("sector_id", "size"), lats=("lat", "nunique"))
    assert (per_site["n"] == 3).all() and (per_site["lats"] == 1).all()


def test_placement_ids_stable_and_partial_last_site():
    a = place_sectors(100, seed=0)
    assert len(a) == 100
    assert a["site_id"].value_counts().min() == 1  # 100 = 33 * 3 + 1
    assert a["sector_id"].iloc[0] == "THR-00001-1"
    assert a["province"].nunique() == 31  # n >= 93: every province has a site


def test_population_skew_and_urban_clustering():
    s = place_sectors(30_000, seed=0)
    counts = s["province"].value_counts()
    assert counts["Tehran"] > 15 * counts["Ilam"]
    # Most Tehran sites are within 30 km of the capital.
    lat, lon = s.loc[s["province"] == "Tehran", ["lat", "lon"]].to_numpy().T
    d_km = np.hypot((lat - 35.6892) * 111.2, (lon - 51.389) * 111.2 * np.cos(np.radians(35.7)))
    assert np.mean(d_km < 30) > 0.6
    assert np.mean(d_km > 40) > 0.05  # ... and some spread out over the province


def test_placement_100k_is_valid():
    s = place_sectors(100_000, seed=7)  # its cost: benchmarks/unit_costs.py
    assert len(s) == 100_000 and s["sector_id"].is_unique
    inside = locate(s["lat"].to_numpy(), s["lon"].to_numpy()) == s["province"].to_numpy()
    assert inside.all()


def test_allocate_is_proportional_with_minimum():
    counts = allocate(np.array([100.0, 10.0, 1.0]), 10, minimum=1)
    assert counts.sum() == 10 and counts.min() >= 1 and counts[0] > counts[1]
    assert allocate(np.array([3.0, 1.0]), 4).tolist() == [3, 1]


@pytest.mark.parametrize("bad", [0, -5, 2.5, "10", 2_000_000])
def test_placement_rejects_bad_n(bad):
    with pytest.raises(ParameterError, match="n "):
        place_sectors(bad)
