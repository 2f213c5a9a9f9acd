"""The sector's area: what the sectors of the nearest sites show at the same tick.

A transport or backhaul fault slows a few neighbouring sites together: each cell's
throughput falls by ~5 spreads and its latency rises by as much, for hours. Per cell that
is no rarer than the fleet's everyday excursions of its ~100 features (the max hides it),
and the province peers do not see it (a province has hundreds of cells). What is rare is
the *same* move in the cells around: the median of the neighbours' seasonal z has a
spread of a fraction of one where their noise is independent. So per KPI the median
seasonal z over the nearest sectors (by the inventory's coordinates; the sector's own site
first) is standardised by its own usual level and spread (learned per sector, shrunk
toward the fleet's), and the feature is the geometric mean of that and the sector's own z
where both go the same way (else 0): a cluster's -5 own and -14 area reads ~8, a healthy
cell beside it (own ~0) and a lone faulty cell among healthy ones (area ~0) read little.
A median, not a mean: one neighbour's outage moves a mean of 8 by an eighth of a
30-spread drop. Only the KPI families read these columns
(:data:`~telecom_nb.detectors.kpi_families.FAMILY_ONLY`): a crowd moves one family.

A crowd is not a cluster fault either: at a leisure site on a holiday's first day (1.4-1.9x
a Saturday's users) the cell's throughput falls by 3 spreads and its latency rises, its
site's other cells with it, and the area read that as a neighbourhood off together. What
tells the two apart is the load: a transport fault slows a neighbourhood at its usual load
(or less: a congested backhaul carries less volume), a crowd raises the cell's load and
drags its per-user quality with it. So a row whose own load family reads above
:data:`LOAD_ROSE` spreads against its time slot has no area evidence (its own columns, the
other parts, still read it). The load is the seasonal z before the fleet's common mode
takes a shared shift off (on such a day the common mode reads the crowd cells against
their group's, and their rise no longer shows).

Fleets with coordinates only; no coordinates (a few series, NAB) or too few neighbours
reporting at this tick: 0, no evidence either way. Streaming: only the same tick's rows.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features import area_kernel
from telecom_nb.features.compact import STATE_FLOAT
from telecom_nb.features.crowd import site_mates
from telecom_nb.features.robust_stats import RobustTable, fleet_spread, shrunk_rows
from telecom_nb.sector_index import grow_rows, known_rows

#: sectors in a sector's area (its site's other cells first): about two sites' worth more.
#: Tuning worlds' event recall, 8 vs 12 (the latter before the first-day rule): hourly w1
#: 0.849 / 0.827, w3 0.874 / 0.875, w4 0.883 / 0.877, w6 0.887 / 0.887; 15-minute w2 0.848 /
#: 0.868, w5 0.826 / 0.857 (a wash; 6: w1 0.836, 16: w1 0.824)
NEIGHBOURS = 8
#: fewest of them with a value at this tick for a median
MIN_REPORTING = 4
#: EW weight of a new tick in the usual level and spread of the area's median
SPREAD_ALPHA = 0.01
#: a sector's spread is shrunk toward the fleet's typical one with the weight of this many
#: ticks; before the fleet has one, toward this (the median of unit z never spreads wider)
PRIOR_SD = 1.0
PRIOR_TICKS = 50.0
#: the spread's floor (a KPI almost always at 0 has neighbour medians of 0: no spread)
MIN_SD = 0.1
#: learned ticks before a sector's spread joins the fleet's typical one
MIN_FLEET_COUNT = 8
#: data time before a sector's area counts: in the first day every sector's seasonal z is
#: its cold start's, biased alike at each hour, and the neighbours' median with it
#: (simulator: +39 false alarms on its first day with 8 ticks, 2 hours at 15 minutes)
WARM_UP_NS = 86_400 * 10**9
#: a row whose load family's median seasonal z is above this has no area evidence: what
#: its load explains is a crowd, not a cluster fault (OSS world o3071: 41 of 111 false rows
#: with the area part at 3+ read above 1.5, none of 69 transport congestion rows, median
#: -0.4). False rows on o3071 / o3100 (holiday) / o3101 / vendor v3115 (a holiday as a
#: weekend day): without 274 / 383 / 73 / 152, 1.0: 225 / 269 / 78 / 158, 1.5: 236 / 275 / 74 /
#: 148 (fewer rows gated, the area part's null moves less), events equal or more
LOAD_ROSE = 1.5


def nearest(coords: np.ndarray, k: int) -> np.ndarray:
    """(n x k) the ``k`` nearest other rows of ``coords`` (lat, lon in degrees; rows
    without coordinates neither have nor are neighbours: -1)."""
    from scipy.spatial import cKDTree

    n = len(coords)
    out = np.full((n, k), -1, dtype=np.int64)
    has = np.flatnonzero(np.isfinite(coords).all(axis=1))
    if len(has) < 2:
        return out
    lat, lon = coords[has, 0], coords[has, 1]
    # equirectangular: east-west degrees shrink with the latitude (fine over a network)
    xy = np.c_[lon * np.cos(np.radians(np.median(lat))), lat]
    m = min(k, len(has) - 1)
    _, idx = cKDTree(xy).query(xy, k=m + 1)
    idx = np.asarray(idx).reshape(len(has), m + 1)
    # drop each row itself (co-sited cells tie at distance 0: the row may not come first)
    own = idx == np.arange(len(has))[:, None]
    own[:, -1] |= ~own.any(axis=1)  # not found among its ties: drop the farthest instead
    keep = idx[~own].reshape(len(has), m)
    out[has, :m] = has[keep]
    return out


def masked_median(values: np.ndarray, valid: np.ndarray, min_count: int) -> np.ndarray:
    """Median over the last axis of the ``valid`` entries; NaN where fewer than
    ``min_count`` are valid."""
    v = np.sort(np.where(valid, values, np.inf), axis=-1)
    count = valid.sum(axis=-1)
    lo = np.take_along_axis(v, np.maximum((count - 1) // 2, 0)[..., None], axis=-1)[..., 0]
    hi = np.take_along_axis(v, np.minimum(count // 2, v.shape[-1] - 1)[..., None],
                            axis=-1)[..., 0]
    with np.errstate(invalid="ignore"):
        med = 0.5 * (lo + hi)
    return np.where(count >= min_count, med, np.nan)


def _same_tick(rows: np.ndarray, times: np.ndarray, ok: np.ndarray, table: np.ndarray,
               n: int) -> tuple[np.ndarray, np.ndarray]:
    """For the ``ok`` rows' neighbours (``table``: each registry row's, -1: none): the batch
    row holding each at the same tick, and whether there is one. One tick (live, replay):
    a registry-sized lookup table (compiled: no gathered block of neighbours); several: a
    sorted search of (tick, sector) keys."""
    if len(times) == 0 or (times == times[0]).all():
        compiled = area_kernel.one_tick(rows, ok, table)
        if compiled is not None:
            return compiled
        at = np.full(n + 1, -1, dtype=np.int64)  # the last cell answers -1 (no neighbour)
        at[rows[ok]] = np.flatnonzero(ok)
        src = at[table[rows[ok]]]
        return np.maximum(src, 0), src >= 0
    near = table[rows[ok]]
    _, tick = np.unique(times, return_inverse=True)
    key = np.where(ok, tick * n + rows, -1)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    want = tick[ok][:, None] * n + near
    pos = np.minimum(np.searchsorted(sorted_key, want), len(key) - 1)
    return order[pos], (near >= 0) & (sorted_key[pos] == want)


class AreaMedian:
    """Per sector its nearest sectors (from the coordinates seen), the usual level and
    spread of their median seasonal z, and per row the evidence of both at once."""

    def __init__(self, n_kpis: int, neighbours: int = NEIGHBOURS) -> None:
        self.n_kpis = n_kpis
        self.neighbours = neighbours
        self.coords_ = np.zeros((0, 2))
        self.near_ = np.zeros((0, neighbours), dtype=np.int64)
        # gated: a cluster fault's medians must not widen the spread that judges the next
        self.usual_ = RobustTable((n_kpis,), SPREAD_ALPHA, dtype=STATE_FLOAT,
                                  count_dtype=STATE_FLOAT)
        self.fleet_sd_ = np.full(n_kpis, PRIOR_SD)
        self._last: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        #: (neighbour table, rows, src, hit) of the last one-tick lookup (not state)
        self._near_rows: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        #: (neighbour table, which neighbours share the sector's coordinates) (not state)
        self._site_mask: tuple[np.ndarray, np.ndarray] | None = None

    def locate(self, rows: np.ndarray, coords: np.ndarray | None, n_rows: int) -> None:
        """Learn the coordinates of ``rows`` (a blank keeps the known ones); the neighbour
        table is rebuilt when they change (a cell on air, a moved site: rare)."""
        if coords is None:
            return
        self.coords_ = grow_rows(self.coords_, n_rows, fill=np.nan)
        ok = (rows >= 0) & np.isfinite(coords).all(axis=1)
        # every row located (a live tick's): no masked copies of 100k rows and coordinates
        rows, coords = (rows, coords) if ok.all() else (rows[ok], coords[ok])
        if not (self.coords_[rows] != coords).any():
            return
        self.coords_[rows] = coords
        self.near_ = nearest(self.coords_[:n_rows], self.neighbours)
        self._last = None

    def median(self, rows: np.ndarray, times: np.ndarray, z: np.ndarray) -> np.ndarray:
        """(rows x KPIs) median of ``z``'s first columns (the KPIs') over each row's
        neighbours in the same tick (``times``: int64, equal within a tick); NaN where too
        few of them report. Kept for the same ``z`` object and rows (score, then learn)."""
        last = self._last
        if last is not None and last[0] is z and np.array_equal(last[1], rows):
            return last[2]
        out = np.full((len(rows), self.n_kpis), np.nan)
        n = len(self.near_)
        ok = known_rows(rows, n)
        if ok.any():
            idx = np.flatnonzero(ok)
            src, hit = self._neighbour_rows(rows, times, ok, n)
            kpi_z = z[:, : self.n_kpis]
            med = area_kernel.neighbour_medians(kpi_z, src, hit, MIN_REPORTING)
            if med is None:  # the compiled pass's numbers, from a gathered block
                values = np.swapaxes(kpi_z[src], 1, 2)  # (rows, KPIs, neighbours)
                med = masked_median(values, hit[:, None, :] & np.isfinite(values),
                                    MIN_REPORTING)
            out[idx] = med
        self._last = (z, rows.copy(), out)
        return out

    def _neighbour_rows(self, rows: np.ndarray, times: np.ndarray, ok: np.ndarray,
                        n: int) -> tuple[np.ndarray, np.ndarray]:
        """``_same_tick`` of the neighbour table, kept for the next tick of the same rows
        and table: a live stream's sector set rarely changes, and the lookup is ~5-7 ms
        of one thread at 100k sectors (a random read per neighbour). ``ok`` follows from
        ``rows`` and ``n`` (the table's length)."""
        one_time = len(times) == 0 or bool((times == times[0]).all())
        kept = self._near_rows
        if (one_time and kept is not None and kept[0] is self.near_
                and np.array_equal(kept[1], rows)):
            return kept[2], kept[3]
        src, hit = _same_tick(rows, times, ok, self.near_, n)
        self._near_rows = (self.near_, rows.copy(), src, hit) if one_time else None
        return src, hit

    def site_mates(self, rows: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows x neighbours) the batch row of each row's site-mates (neighbours at its
        own coordinates: :func:`~.crowd.site_mates`) at its tick, and whether there is one
        (the area's own lookup, kept for a live tick's rows)."""
        n = len(self.near_)
        src = np.zeros((len(rows), self.neighbours), dtype=np.int64)
        hit = np.zeros((len(rows), self.neighbours), dtype=bool)
        ok = known_rows(rows, n)
        if not ok.any():
            return src, hit
        kept = self._site_mask
        if kept is None or kept[0] is not self.near_:
            kept = self._site_mask = (self.near_, site_mates(self.coords_, self.near_) >= 0)
        found, there = self._neighbour_rows(rows, times, ok, n)
        src[ok], hit[ok] = found, there & kept[1][rows[ok]]
        return src, hit

    def transform(self, rows: np.ndarray, times: np.ndarray, z: np.ndarray,
                  step_ns: int, load: np.ndarray | None = None) -> np.ndarray:
        """Per row and KPI the geometric mean of the sector's own seasonal z (``z``: the
        seasonal part's, KPIs first) and its area's standardised median, where both go
        the same way (else 0): as rare for independent noise as a unit normal. ``step_ns``:
        the data's cadence (a sector's area counts after :data:`WARM_UP_NS` of ticks);
        ``load``: each row's load z (:func:`~.load_level.load_z`; None or NaN: not read),
        0 on the rows above :data:`LOAD_ROSE`."""
        out = self._evidence(rows, times, z, step_ns)
        if load is not None:
            with np.errstate(invalid="ignore"):
                rose = load > LOAD_ROSE
            if rose.any():
                out[rose] = 0.0
        return out

    def _evidence(self, rows: np.ndarray, times: np.ndarray, z: np.ndarray,
                  step_ns: int) -> np.ndarray:
        """:meth:`transform` before the load is read."""
        med = self.median(rows, times, z)
        compiled = area_kernel.evidence(self.usual_, rows, med, z, self.fleet_sd_, PRIOR_TICKS,
                                        MIN_SD, step_ns, WARM_UP_NS)
        if compiled is not None:  # the lines below in one pass (same numbers)
            return compiled
        out = np.zeros_like(med)
        usual = shrunk_rows(self.usual_, rows, self.fleet_sd_, PRIOR_TICKS)
        if usual is None:
            return out
        known, level, spread, count = usual
        with np.errstate(invalid="ignore"):
            area = np.nan_to_num((med - level) / np.maximum(spread, MIN_SD), nan=0.0)
        own = np.nan_to_num(z[:, : self.n_kpis], nan=0.0)
        both = np.maximum(np.sign(own) * area, 0.0)
        ok = known[:, None] & (count * max(step_ns, 1) >= WARM_UP_NS)
        out[ok] = (np.sign(own) * np.sqrt(np.abs(own) * both))[ok]
        return out

    def update(self, rows: np.ndarray, times: np.ndarray, z: np.ndarray, n_rows: int) -> None:
        """Learn the usual level and spread of the rows' area medians."""
        med = self.median(rows, times, z)
        self.usual_.grow(n_rows)
        self.usual_.update((rows,), med)
        self.fleet_sd_ = fleet_spread(self.usual_, MIN_FLEET_COUNT, MIN_SD, PRIOR_SD,
                                      self.fleet_sd_)
        self._last = None  # learned: the tick's medians and z are not state (~8 MB at 100k)
