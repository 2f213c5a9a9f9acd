"""The network behind ``make_oss_export.py``: a multi-RAT radio network as an RF engineer sees it.

Sites of four kinds (business district, residential, highway, rural), each with LTE cells on
one to three bands, and on some sites UMTS and GSM layers. One latent quantity per cell and
period, the connected users, follows the local calendar (the area's daily shape, the weekend,
days off, a Ramadan evening shift); every KPI is derived from it the way the network produces
it: attempts and successes are counts (so a success rate at night is a ratio of few events),
PRB use and throughput trade off through the load, CQI and uplink RSSI follow the radio
conditions. Incidents act on the same quantities (a sleeping cell loses its users, a congested
backhaul raises delay and loss on every cell of the site) and are labelled per cell and period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LTE, UMTS, GSM = 0, 1, 2
RATS = ("LTE", "UMTS", "GSM")
AREAS = ("CBD", "Residential", "Highway", "Rural")
#: share of the site kinds in the network
AREA_SHARE = (0.25, 0.4, 0.1, 0.25)
#: hour-of-day traffic shapes per area kind on a working day (0..23 local, peak ~1)
PROFILES = np.array([
    [.10, .07, .05, .04, .04, .06, .15, .40, .75, .95, 1.0, 1.0, .95, .95, 1.0, .95, .85, .70,
     .55, .45, .40, .32, .24, .16],
    [.25, .15, .09, .06, .05, .07, .15, .30, .40, .45, .50, .55, .60, .60, .60, .62, .68, .75,
     .82, .90, .97, 1.0, .88, .55],
    [.12, .08, .06, .06, .10, .25, .60, .95, 1.0, .70, .55, .55, .60, .60, .65, .80, .95, 1.0,
     .85, .60, .45, .35, .25, .18],
    [.18, .10, .07, .05, .05, .08, .20, .40, .50, .55, .55, .60, .65, .60, .58, .60, .65, .72,
     .80, .90, 1.0, .95, .70, .35],
])
#: same shapes on a day off (peak 1; the level is OFF_LEVEL): later mornings, a flatter day
OFF_PROFILES = np.array([
    [.28, .19, .14, .12, .10, .12, .17, .24, .43, .67, .83, .95, 1.0, 1.0, .95, .90, .86, .83,
     .83, .81, .76, .67, .52, .38],
    [.35, .22, .12, .07, .05, .05, .07, .12, .25, .45, .65, .80, .85, .85, .82, .80, .82, .85,
     .90, .95, 1.0, 1.0, .90, .60],
    [.15, .10, .07, .06, .06, .08, .15, .30, .55, .75, .85, .85, .80, .75, .75, .80, .85, .85,
     .75, .60, .45, .35, .28, .20],
    [.22, .12, .08, .06, .05, .06, .12, .25, .45, .60, .68, .72, .75, .72, .70, .70, .72, .78,
     .85, .95, 1.0, 1.0, .78, .45],
])
#: traffic level on a day off (weekend, public holiday) relative to a working day
OFF_LEVEL = np.array([0.45, 1.1, 0.85, 1.0])
#: a long holiday (Nowruz): cities empty, people on the roads and in the villages
HOLIDAY_LEVEL = np.array([0.35, 0.75, 1.45, 1.5])

#: fault kinds: (name, unit: "cell"/"site", RATs it can hit, hours min..max, busy-hour start)
FAULTS = (
    ("sleeping_cell", "cell", (LTE, UMTS), (3, 20), False),
    ("transport_congestion", "site", (LTE, UMTS), (2, 7), True),
    ("setup_failure_surge", "cell", (LTE, UMTS), (1, 6), False),
    ("prb_saturation", "cell", (LTE,), (2, 5), True),
    ("interference", "cell", (LTE, UMTS), (6, 40), False),
    ("site_outage", "site", (LTE, UMTS, GSM), (1, 7), False),
    ("wrong_parameter", "cell", (LTE,), (24, 96), False),
)


@dataclass
class Network:
    """Cells (one entry per cell) and their sites."""

    site: np.ndarray  # site index per cell
    rat: np.ndarray  # LTE / UMTS / GSM
    band: np.ndarray  # "L1800" ...
    sector: np.ndarray  # 0..2
    area: np.ndarray  # area kind of the cell's site
    peak_users: np.ndarray  # busy-hour connected users on a working day
    capacity: np.ndarray  # users at full PRB load
    on_from: np.ndarray  # first period with data (integration of a new site)
    off_from: np.ndarray  # first period without data (a layer switched off)
    n_sites: int
    site_area: np.ndarray
    site_xy: np.ndarray  # km from the city centre


def network(rng: np.random.Generator, n_sites: int, n_periods: int, per_day: int) -> Network:
    """A city and its surroundings; a few sites come on air, one 2G layer is switched off."""
    site_area = rng.choice(len(AREAS), n_sites, p=AREA_SHARE)
    radius = np.array([1.5, 5.0, 15.0, 25.0])[site_area] * np.sqrt(rng.random(n_sites))
    angle = rng.random(n_sites) * 2 * np.pi
    site_xy = np.c_[radius * np.cos(angle), radius * np.sin(angle)]
    cells: list[tuple[int, int, str, int]] = []
    for s in range(n_sites):
        layers = [(LTE, "L1800")]
        if rng.random() < (0.7 if site_area[s] < 2 else 0.25):
            layers.append((LTE, "L2600"))
        if rng.random() < (0.2 if site_area[s] < 2 else 0.6):
            layers.append((LTE, "L800"))
        if rng.random() < 0.6:
            layers.append((UMTS, "U2100"))
        if rng.random() < (0.35 if site_area[s] < 2 else 0.7):
            layers.append((GSM, "G900"))
        cells += [(s, rat, band, sec) for rat, band in layers for sec in range(3)]
    site, rat, band, sector = (np.array(v) for v in zip(*cells, strict=True))
    area = site_area[site]
    n = site.size
    base = np.array([90.0, 70.0, 40.0, 25.0])[area] * rng.lognormal(0, 0.35, n)
    base *= np.where(rat == LTE, np.select([band == "L2600", band == "L800"], [0.7, 0.8], 1.0),
                     np.where(rat == UMTS, 0.35, 0.25))
    capacity = base * rng.uniform(1.25, 1.7, n)
    on_from = np.zeros(n, int)
    new = rng.choice(n_sites, max(1, n_sites // 20), replace=False)
    for s in new:  # integrated during weeks 2-3, at a working-day morning
        days = n_periods // per_day
        day = rng.integers(min(8, days // 2), max(min(8, days // 2) + 1, days - 2))
        on_from[site == s] = day * per_day + rng.integers(per_day // 3, per_day // 2)
    off_from = np.full(n, n_periods)
    gsm_sites = np.unique(site[(rat == GSM) & (on_from == 0)])
    if gsm_sites.size:  # a 2G sunset on one site in the second half
        s = rng.choice(gsm_sites)
        off_from[(site == s) & (rat == GSM)] = rng.integers(n_periods // 2, n_periods * 5 // 6)
    return Network(site, rat, band, sector, area, base, capacity, on_from, off_from, n_sites,
                   site_area, site_xy)


def _interp_profile(profiles: np.ndarray, hour: np.ndarray) -> np.ndarray:
    """(areas, T) shape values at fractional local hours (mid-period), wrapping at midnight."""
    lo = np.floor(hour).astype(int) % 24
    frac = hour - np.floor(hour)
    return profiles[:, lo] * (1 - frac) + profiles[:, (lo + 1) % 24] * frac


def calendar_level(hour: np.ndarray, day_kind: np.ndarray, ramadan: np.ndarray
                   ) -> np.ndarray:
    """(areas, T) expected users relative to peak. ``day_kind``: 0 working day, 1 half day,
    2 weekend, 3 long holiday. Ramadan: quieter afternoons, a dip at iftar (~18:30), a late
    evening that runs past midnight."""
    work = _interp_profile(PROFILES, hour)
    off = _interp_profile(OFF_PROFILES, hour) * OFF_LEVEL[:, None]
    holiday = _interp_profile(OFF_PROFILES, hour) * HOLIDAY_LEVEL[:, None]
    level = np.where(day_kind == 0, work, np.where(day_kind == 1, 0.5 * (work + off),
                                                   np.where(day_kind == 2, off, holiday)))
    shift = np.ones_like(hour)
    shift = np.where((hour >= 10) & (hour < 17), 0.85, shift)
    shift = np.where((hour >= 18) & (hour < 19.5), 0.6, shift)
    shift = np.where((hour >= 20.5) | (hour < 1.5), 1.45, shift)
    shift = np.where((hour >= 2.5) & (hour < 4.5), 1.8, shift)  # suhoor
    return level * np.where(ramadan, shift, 1.0)


def users(rng: np.random.Generator, net: Network, level: np.ndarray, step_min: float,
          growth: float) -> np.ndarray:
    """(cells, T) connected users: the calendar's level, a slow drift, AR(1) noise."""
    n, t = net.site.size, level.shape[1]
    mean = net.peak_users[:, None] * level[net.area] * (1 + growth * np.arange(t) / t)
    sigma = 0.05 + 0.06 * np.sqrt(60 / step_min)
    rho = 0.6 ** (step_min / 60)
    eps = rng.normal(0, sigma, (n, t))
    noise = np.empty_like(eps)
    noise[:, 0] = eps[:, 0]
    for k in range(1, t):  # over time only; every cell at once
        noise[:, k] = rho * noise[:, k - 1] + np.sqrt(1 - rho**2) * eps[:, k]
    return np.maximum(mean * np.exp(noise), 0.0)


@dataclass
class Faults:
    """Per (cell, period): which fault (-1 none) and its random strength in [0, 1)."""

    kind: np.ndarray
    strength: np.ndarray
    variant: np.ndarray


def faults(rng: np.random.Generator, net: Network, level: np.ndarray, rate: float,
           per_day: int, present: np.ndarray) -> Faults:
    """Episodes at ``rate`` per cell per week (site faults drawn per site, fewer), not
    overlapping on a cell, each on periods where the cell reports."""
    n, t = present.shape
    kind = np.full((n, t), -1)
    strength = np.zeros((n, t))
    variant = np.zeros((n, t), int)
    weeks = t / (7 * per_day)
    cells_per_site = np.bincount(net.site, minlength=net.n_sites)
    busy = level[:, :].max(axis=0) > 0.6  # network busy hours, for busy-start faults
    for k, (_, unit, rats, hours, busy_start) in enumerate(FAULTS):
        share = rate / len(FAULTS)
        count = (rng.poisson(share * weeks * n / cells_per_site.mean() * 0.6) if unit == "site"
                 else rng.poisson(share * weeks * n))
        for _ in range(count):
            if unit == "site":
                s = rng.integers(net.n_sites)
                targets = np.flatnonzero((net.site == s) & np.isin(net.rat, rats))
            else:
                pool = np.flatnonzero(np.isin(net.rat, rats))
                targets = pool[rng.integers(pool.size)][None] if pool.size else pool
            if targets.size == 0:
                continue
            length = max(1, round(rng.uniform(*hours) * per_day / 24))
            starts = np.flatnonzero(busy) if busy_start else np.arange(t)
            start = int(starts[rng.integers(starts.size)])
            span = slice(start, min(t, start + length))
            if (kind[targets, span] >= 0).any() or not present[targets, span].any():
                continue
            kind[targets, span] = k
            strength[targets, span] = rng.random()
            variant[targets, span] = rng.integers(3)
    return Faults(kind, strength, variant)
