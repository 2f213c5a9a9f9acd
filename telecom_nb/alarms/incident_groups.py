"""Episodes grouped into incidents: the two rules, vectorised over the episode table.

* **province event**: the episodes of one province that open in the same ``window``-wide
  time bin (bins chained while consecutive ones qualify), when that bin holds at least
  ``min_province_sectors`` sectors *and* ``province_share`` of the province's sectors (so
  the steady trickle of unrelated faults in a 3,000-sector province is not one endless
  "event");
* **site**: the remaining episodes of one site (``site``/``site_id`` column of the
  sector table, else the same position) whose time spans overlap or lie within
  ``window`` of each other. A lone episode is an incident of one sector.

Regrouped on every tick the episodes change (a live dashboard's redraw): strings are
factorised once and every count is a numpy reduction over integer codes, where pandas
groupbys of string columns were most of a redraw's CPU.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb import schema

SITE_COLUMNS = ("site", "site_id")
#: openings this close in time count as one event (two 15-minute ticks)
WINDOW = pd.Timedelta("30min")


def site_keys(sectors: pd.DataFrame) -> pd.Series:
    """sector_id -> site key: the table's site column when it has one, else its position
    (rounded to ~1 m, as the map's fan-out does); ``sector:<id>`` without either."""
    ids = sectors[schema.SECTOR].astype(str)
    column = next((c for c in SITE_COLUMNS if c in sectors), None)
    if column is not None:
        key = sectors[column].astype("string")
    else:
        lat = pd.to_numeric(sectors.get(schema.LAT), errors="coerce").round(5)
        lon = pd.to_numeric(sectors.get(schema.LON), errors="coerce").round(5)
        key = ("@" + lat.astype("string") + "," + lon.astype("string"))
    key = key.where(key.notna(), "sector:" + ids).astype(str)
    return pd.Series(key.to_numpy(), index=ids.to_numpy()).groupby(level=0).first()


def group_episodes(episodes: pd.DataFrame, sectors: pd.DataFrame, now: pd.Timestamp, *,
                   window: pd.Timedelta = WINDOW, min_province_sectors: int = 5,
                   province_share: float = 0.02, sites: pd.Series | None = None) -> pd.DataFrame:
    """``episodes`` plus ``site``, ``last_seen``, ``group`` (a key shared by the episodes of
    one incident) and ``kind`` (province / site / sector). See the module docstring.
    ``sites`` is :func:`site_keys` of ``sectors`` when the caller keeps it."""
    ep = episodes.reset_index(drop=True).copy()
    if sites is None:
        sites = site_keys(sectors) if len(sectors) else pd.Series(dtype=object)
    sid = ep[schema.SECTOR].astype(str)
    ep["site"] = sid.map(sites).fillna("sector:" + sid).to_numpy(dtype=object)
    if schema.PROVINCE not in ep:
        ep[schema.PROVINCE] = schema.UNKNOWN_PROVINCE
    ep[schema.PROVINCE] = ep[schema.PROVINCE].fillna(schema.UNKNOWN_PROVINCE).astype(str)
    start = pd.to_datetime(ep["start"], utc=True)
    end = pd.to_datetime(ep["end"], utc=True)
    last = end.where(~ep["is_open"].astype(bool), pd.Timestamp(now))
    ep["last_seen"] = last.where(last >= start, start)
    if ep.empty:
        ep["group"], ep["kind"] = pd.Series(dtype=object), pd.Series(dtype=object)
        return ep

    # integer codes throughout (one groupby of pandas strings cost more than the rest)
    sector = pd.factorize(sid)[0]
    province, names = pd.factorize(ep[schema.PROVINCE], sort=True)  # codes in name order
    t0 = start.to_numpy(dtype="datetime64[ns]").view("int64")
    seen = ep["last_seen"].to_numpy(dtype="datetime64[ns]").view("int64")

    # province events: per (province, time bin) counts against the province's size
    width = max(pd.Timedelta(window), pd.Timedelta(1, "ns")).value
    bins = t0 // width
    bins -= bins.min()
    n_bins = bins.max() + 1
    sizes = sectors[schema.PROVINCE].fillna(schema.UNKNOWN_PROVINCE).astype(str).value_counts()
    need = np.maximum(min_province_sectors,
                      np.ceil(province_share * sizes.reindex(names).fillna(0).to_numpy()))
    cell_keys, cell = np.unique(province * n_bins + bins, return_inverse=True)
    event_cell = distinct_count(cell, sector, len(cell_keys)) >= need[cell_keys // n_bins]
    event = event_cell[cell]
    # consecutive event bins of one province chain into one event (runs numbered in
    # (province name, bin) order)
    ev_keys = cell_keys[event_cell]
    ev_prov, ev_bin = ev_keys // n_bins, ev_keys % n_bins
    ev_run = np.cumsum(np.r_[True, (ev_prov[1:] != ev_prov[:-1])
                             | (ev_bin[1:] != ev_bin[:-1] + 1)])
    run = np.zeros(len(cell_keys), dtype=np.int64)
    run[event_cell] = ev_run
    province_group = ("P|" + ep[schema.PROVINCE].to_numpy(dtype=object) + "|"
                      + run[cell].astype(str).astype(object))

    # sites: overlapping (or within ``window``) spans of one site's remaining episodes
    site = pd.factorize(ep["site"], sort=True)[0]
    rest = np.flatnonzero(~event)
    rest = rest[np.lexsort((t0[rest], site[rest]))]  # stable: by site name, then start
    reach = (pd.Series(seen[rest]).groupby(site[rest]).cummax().to_numpy()
             + pd.Timedelta(window).value)
    first = np.r_[True, site[rest][1:] != site[rest][:-1]]
    new = first | (t0[rest] > np.r_[0, reach[:-1]])
    site_group = np.empty(len(ep), dtype=object)
    site_group[rest] = "S|" + np.cumsum(new).astype(str).astype(object)
    group = np.where(event, province_group, site_group)
    ep["group"] = group
    codes = pd.factorize(group)[0]
    n_in_group = distinct_count(codes, sector, codes.max() + 1)[codes]
    ep["kind"] = np.where(event, "province", np.where(n_in_group > 1, "site", "sector"))
    return ep


def distinct_count(group: np.ndarray, value: np.ndarray, n_groups: int) -> np.ndarray:
    """The number of distinct ``value`` codes in each group code ``0 .. n_groups - 1``."""
    pairs = np.unique(group.astype(np.int64) * (int(value.max()) + 1) + value)
    return np.bincount(pairs // (int(value.max()) + 1), minlength=n_groups)
