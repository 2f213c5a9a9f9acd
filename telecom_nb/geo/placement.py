"""Place cell sectors on the map the way an operator's network is laid out.

Sites (three sectors each, same position) are shared out to provinces in proportion
to population; most sit in Gaussian clusters around the capital and other towns,
the rest are spread over the province. Every point is checked to lie inside its
province (vectorised rejection sampling), and everything follows from ``seed``.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from telecom_nb.errors import ParameterError
from telecom_nb.geo.provinces import PROVINCE_FACTS, locate, province_polygons
from telecom_nb.params import check_range

SECTORS_PER_SITE = 3
MAX_SECTORS = 1_000_000
URBAN_SHARE = 0.8  # share of sites clustered around towns; the rest spread out
KM_PER_DEG_LAT = 111.2
_MAX_ROUNDS = 200


def allocate(weights: np.ndarray, total: int, minimum: int = 0) -> np.ndarray:
    """Integer shares of ``total`` proportional to ``weights`` (largest remainder).

    With ``minimum`` > 0 and enough to go round, every entry gets at least that many,
    taken from the largest entries.
    """
    share = np.asarray(weights, dtype=float) / np.sum(weights) * total
    counts = np.floor(share).astype(np.int64)
    short = total - counts.sum()
    if short:
        counts[np.argsort(-(share - counts), kind="stable")[:short]] += 1
    if minimum and total >= minimum * len(counts):
        while (need := np.flatnonzero(counts < minimum)).size:
            for i in need:  # at most len(weights) iterations: not on a hot path
                counts[np.argmax(counts)] -= 1
                counts[i] += 1
    return counts


@cache
def _centres() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Urban centres of all provinces: province index, lat, lon, size weight, cumulative key."""
    prov, lat, lon, weight = [], [], [], []
    for i, fact in enumerate(PROVINCE_FACTS.values()):
        towns = ((fact.capital, fact.capital_lat, fact.capital_lon, 1.0), *fact.towns)
        for _, tlat, tlon, w in towns:
            prov.append(i)
            lat.append(tlat)
            lon.append(tlon)
            weight.append(w)
    prov_a, w_a = np.asarray(prov), np.asarray(weight)
    totals = np.bincount(prov_a, weights=w_a)
    # key = province index + cumulative share within the province, so that
    # searchsorted(key, p + u) picks a centre of province p with probability ∝ weight.
    cum = np.zeros_like(w_a)
    for p in range(len(totals)):
        sel = prov_a == p
        cum[sel] = np.cumsum(w_a[sel]) / totals[p]
    key = prov_a + cum  # the last centre of province p has key p + 1 > p + u
    return prov_a, np.asarray(lat), np.asarray(lon), w_a, key


@cache
def _bboxes() -> np.ndarray:
    """(31, 4) array of lat_min, lat_max, lon_min, lon_max per province."""
    polys = province_polygons()
    out = []
    for name in PROVINCE_FACTS:
        pts = np.concatenate(polys[name])
        out.append([pts[:, 1].min(), pts[:, 1].max(), pts[:, 0].min(), pts[:, 0].max()])
    return np.asarray(out)


def _candidates(rng: np.random.Generator, prov: np.ndarray, urban: np.ndarray,
                spread_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One candidate position per site: near a town (urban) or uniform in the bbox."""
    n = len(prov)
    _, c_lat, c_lon, c_w, c_key = _centres()
    pick = np.searchsorted(c_key, prov + rng.random(n), side="left")
    pick = np.clip(pick, 0, len(c_key) - 1)
    # Smaller towns have tighter clusters.
    sigma_km = spread_km * np.sqrt(c_w[pick])
    dlat = rng.standard_normal(n) * sigma_km / KM_PER_DEG_LAT
    dlon = rng.standard_normal(n) * sigma_km / (KM_PER_DEG_LAT * np.cos(np.radians(c_lat[pick])))
    box = _bboxes()[prov]
    u_lat, u_lon = rng.random(n), rng.random(n)
    lat = np.where(urban, c_lat[pick] + dlat, box[:, 0] + u_lat * (box[:, 1] - box[:, 0]))
    lon = np.where(urban, c_lon[pick] + dlon, box[:, 2] + u_lon * (box[:, 3] - box[:, 2]))
    return np.round(lat, 5), np.round(lon, 5)


def place_sites(n_sites: int, seed: int = 0) -> pd.DataFrame:
    """Site positions: site_id, province, lat, lon, urban (bool)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x51735]))
    names = np.array(list(PROVINCE_FACTS), dtype=object)
    codes = np.array([f.code for f in PROVINCE_FACTS.values()], dtype=object)
    pops = np.array([f.population for f in PROVINCE_FACTS.values()], dtype=float)
    counts = allocate(pops, n_sites, minimum=1)
    prov = np.repeat(np.arange(len(names)), counts)
    urban = rng.random(n_sites) < URBAN_SHARE
    # Bigger cities sprawl further: a few km (Ilam) to ~10 km (Tehran), varying per site.
    spread_km = 4.0 * (pops[prov] / 1e6) ** 0.35 * rng.lognormal(0.0, 0.4, n_sites)
    lat = np.full(n_sites, np.nan)
    lon = np.full(n_sites, np.nan)
    pending = np.arange(n_sites)
    for round_no in range(_MAX_ROUNDS):
        if pending.size == 0:
            break
        if round_no == _MAX_ROUNDS // 2:
            urban[pending] = False  # a cluster stuck at sea: fall back to spread-out
        c_lat, c_lon = _candidates(rng, prov[pending], urban[pending], spread_km[pending])
        ok = locate(c_lat, c_lon) == names[prov[pending]]
        lat[pending[ok]], lon[pending[ok]] = c_lat[ok], c_lon[ok]
        pending = pending[~ok]
    if pending.size:  # pragma: no cover - would mean a broken outline file
        raise RuntimeError(f"could not place {pending.size} sites inside their provinces")
    within = np.arange(n_sites) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    site_id = [f"{c}-{k:05d}" for c, k in zip(codes[prov], within, strict=True)]
    return pd.DataFrame({
        "site_id": site_id,
        "province": names[prov],
        "lat": lat,
        "lon": lon,
        "urban": urban,
    })


def place_sectors(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` sectors: sector_id, province, lat, lon, site_id (3 sectors per site).

    Ids read ``THR-00012-2`` (province code, site number, sector 1-3) and are the same
    for the same ``n`` and ``seed``. When ``n`` is not a multiple of 3, the last site
    has fewer sectors.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise ParameterError(f"n must be an integer number of sectors; got {n!r}")
    check_range("n", n, 1, MAX_SECTORS)
    n_sites = -(-int(n) // SECTORS_PER_SITE)
    sites = place_sites(n_sites, seed)
    rep = np.repeat(np.arange(n_sites), SECTORS_PER_SITE)[:n]
    sector_no = np.tile(np.arange(1, SECTORS_PER_SITE + 1), n_sites)[:n]
    site_ids = sites["site_id"].to_numpy(dtype=object)[rep]
    sector_id = [f"{s}-{k}" for s, k in zip(site_ids, sector_no, strict=True)]
    return pd.DataFrame({
        "sector_id": sector_id,
        "province": sites["province"].to_numpy(dtype=object)[rep],
        "lat": sites["lat"].to_numpy()[rep],
        "lon": sites["lon"].to_numpy()[rep],
        "site_id": site_ids,
    })
