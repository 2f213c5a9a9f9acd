"""Incidents: simultaneous alert episodes grouped into what a NOC engineer works on.

A province-wide event opens dozens of sector episodes within minutes, and a site outage
opens one per sector of the site; listed one by one they bury the rest. Two rules, both
vectorised over the episode table:

* **province event**: the episodes of one province that open in the same ``window``-wide
  time bin (bins chained while consecutive ones qualify), when that bin holds at least
  ``min_province_sectors`` sectors *and* ``province_share`` of the province's sectors (so
  the steady trickle of unrelated faults in a 3,000-sector province is not one endless
  "event");
* **site**: the remaining episodes of one site (``site``/``site_id`` column of the
  sector table, else the same position) whose time spans overlap or lie within
  ``window`` of each other. A lone episode is an incident of one sector.

Incident ids are stable: an incident keeps the id it was first given (its first
episode's id) while episodes join it, so an acknowledgement stays with it. Acknowledgements
are state of the :class:`IncidentBook`, kept per episode (an incident is acknowledged when
all its episodes are; a sector joining later shows as new), and every one is passed to
the book's ``listeners``: the hook a persistent store uses (``store.acknowledge`` is keyed
by episode id). :meth:`IncidentBook.restore` loads them back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.alarms.severity import SEVERITY_RANK, severities

SITE_COLUMNS = ("site", "site_id")
KINDS = ("province", "site", "sector")
#: openings this close in time count as one event (two 15-minute ticks)
WINDOW = pd.Timedelta("30min")
INCIDENT_COLUMNS: tuple[str, ...] = (
    "incident_id", "kind", "title", schema.PROVINCE, "site", "n_sectors", "n_open",
    "start", "end", "last_seen", "duration", "is_open", "peak_score", "severity",
    "worst_kpi", "worst_sector", "acknowledged", "n_unacknowledged", "ack_comment",
    "ack_who", "ack_time", "sector_ids", "episode_ids",
)


@dataclass(frozen=True)
class Acknowledgement:
    """One person's acknowledgement of an incident (and so of each of its episodes)."""

    incident_id: int
    episode_ids: tuple[int, ...]
    comment: str
    who: str
    time: pd.Timestamp  # UTC, wall clock of the acknowledgement


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

    # province events: per (province, time bin) counts against the province's size
    width = max(pd.Timedelta(window), pd.Timedelta(1, "ns"))
    # (not astype(int64): pandas 3 keeps times in us or s as often as in ns)
    ep["_bin"] = ((start - pd.Timestamp(0, tz="UTC")) // width).astype("int64")
    sizes = sectors[schema.PROVINCE].fillna(schema.UNKNOWN_PROVINCE).astype(str).value_counts()
    need = np.maximum(min_province_sectors,
                      np.ceil(province_share * ep[schema.PROVINCE].map(sizes).fillna(0)))
    per_bin = ep.groupby([schema.PROVINCE, "_bin"])[schema.SECTOR].transform("nunique")
    ep["_event"] = per_bin.to_numpy() >= need.to_numpy()
    events = ep.loc[ep["_event"], [schema.PROVINCE, "_bin"]].drop_duplicates()
    events = events.sort_values([schema.PROVINCE, "_bin"])
    run = ((events[schema.PROVINCE] != events[schema.PROVINCE].shift())
           | (events["_bin"] != events["_bin"].shift() + 1)).cumsum()
    events["_run"] = run.to_numpy()
    ep = ep.merge(events, on=[schema.PROVINCE, "_bin"], how="left")
    province_group = "P|" + ep[schema.PROVINCE] + "|" + ep["_run"].astype("Int64").astype(str)

    # sites: overlapping (or within ``window``) spans of one site's remaining episodes
    rest = ep.loc[~ep["_event"], ["site", "last_seen"]].assign(_start=start[~ep["_event"]])
    rest = rest.sort_values(["site", "_start"], kind="stable")
    reach = rest.groupby("site")["last_seen"].cummax() + pd.Timedelta(window)
    before = reach.groupby(rest["site"]).shift()
    new = before.isna() | (rest["_start"] > before)
    site_group = pd.Series("S|" + new.cumsum().astype(str), index=rest.index)
    ep["group"] = province_group.where(ep["_event"], site_group.reindex(ep.index))
    n_in_group = ep.groupby("group")[schema.SECTOR].transform("nunique")
    ep["kind"] = np.where(ep["_event"], "province", np.where(n_in_group > 1, "site", "sector"))
    return ep.drop(columns=["_bin", "_event", "_run"])


def _common_prefix(first: str, last: str) -> str:
    """``THR-00012`` for ``THR-00012-1`` .. ``THR-00012-3`` (the site as the ids spell it)."""
    n = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b),
             min(len(first), len(last)))
    return first[:n].rstrip("-_ ./")


class IncidentBook:
    """Incidents over a monitor's episodes, with their acknowledgements (in memory).

    ``frame(episodes, sectors, now)`` groups and ranks; ``acknowledge(incident_id,
    comment, who)`` records an acknowledgement and calls every ``listeners`` entry with
    it (e.g. ``book.listeners.append(lambda a: [store.acknowledge(e, a.comment, a.who,
    a.time) for e in a.episode_ids])``); ``restore`` reads them back.
    """

    def __init__(self, *, window: pd.Timedelta | str = "30min", min_province_sectors: int = 5,
                 province_share: float = 0.02, cadence: pd.Timedelta | str | None = None):
        if min_province_sectors < 2:
            raise ValueError(f"min_province_sectors must be >= 2; got {min_province_sectors}")
        self.window = pd.Timedelta(window)
        self.min_province_sectors = int(min_province_sectors)
        self.province_share = float(province_share)
        self.cadence = None if cadence is None else pd.Timedelta(cadence)
        self.listeners: list[Callable[[Acknowledgement], object]] = []
        self.version = 0  # bumped by every acknowledgement (a view redraws then)
        self._acks: dict[int, Acknowledgement] = {}  # by episode id
        self._incident_of = pd.Series(dtype="int64")  # episode id -> incident id
        self._members = pd.DataFrame()  # the last grouping: one row per episode
        self._sites = pd.Series(dtype=object)  # site_keys of the sector table last seen
        self._sites_of: pd.DataFrame | None = None
        self._sites_rows = -1

    # -- grouping ---------------------------------------------------------------------
    def episodes(self, episodes: pd.DataFrame, sectors: pd.DataFrame,
                 now: pd.Timestamp | None = None) -> pd.DataFrame:
        """The episodes with their ``incident_id``, ``kind``, ``site`` and ack columns."""
        if now is None:  # the latest time the episodes know
            times = pd.concat([pd.to_datetime(episodes[c], utc=True) for c in ("start", "end")])
            now = times.max() if times.notna().any() else pd.Timestamp(0, tz="UTC")
        now = pd.Timestamp(now)
        now = now.tz_localize("UTC") if now.tzinfo is None else now.tz_convert("UTC")
        if self._sites_of is not sectors or self._sites_rows != len(sectors):
            self._sites = site_keys(sectors) if len(sectors) else pd.Series(dtype=object)
            self._sites_of, self._sites_rows = sectors, len(sectors)
        ep = group_episodes(episodes, sectors, now, window=self.window,
                            min_province_sectors=self.min_province_sectors,
                            province_share=self.province_share, sites=self._sites)
        ep["incident_id"] = self._stable_ids(ep)
        ep["acknowledged"] = ep["episode_id"].isin(list(self._acks)).to_numpy(dtype=bool)
        self._members = ep
        return ep

    def _stable_ids(self, ep: pd.DataFrame) -> np.ndarray:
        """Each group's id: the smallest id its episodes had before, else its first
        episode's; a group split off an incident that keeps its id gets a new one."""
        if ep.empty:
            return np.zeros(0, dtype=np.int64)
        eid = ep["episode_id"].astype("int64")
        known = eid.map(self._incident_of)
        proposal = known.groupby(ep["group"]).transform("min")
        first = eid.groupby(ep["group"]).transform("min")
        ids = proposal.fillna(first).astype("int64")
        # two groups claiming one id (a split): the one holding the smallest episode keeps it
        holder = pd.DataFrame({"id": ids, "group": ep["group"], "first": first})
        owner = holder.sort_values("first").drop_duplicates("id").set_index("id")["group"]
        lost = holder["group"].to_numpy() != holder["id"].map(owner).to_numpy()
        ids = ids.where(~lost, first).to_numpy()
        self._incident_of = pd.Series(ids, index=eid.to_numpy())
        return ids

    def frame(self, episodes: pd.DataFrame, sectors: pd.DataFrame,
              now: pd.Timestamp | None = None) -> pd.DataFrame:
        """One row per incident (:data:`INCIDENT_COLUMNS`), worst first (see :func:`rank`)."""
        return self.summarise(self.episodes(episodes, sectors, now))

    def summarise(self, ep: pd.DataFrame) -> pd.DataFrame:
        """Incident rows from :meth:`episodes`' output."""
        if ep.empty:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in INCIDENT_COLUMNS})
        ep = ep.assign(start=pd.to_datetime(ep["start"], utc=True),
                       _peak=ep["peak_score"].astype(float).fillna(-np.inf))
        step = self.cadence if self.cadence is not None else pd.Timedelta(0)
        if self.cadence is not None and "duration_ticks" in ep:
            # an open episode was last anomalous duration_ticks after its start: its
            # duration stops growing while it recovers (and its row need not be redrawn)
            until = ep["start"] + (ep["duration_ticks"].astype(float) - 1).clip(lower=0) * step
            ep["last_seen"] = until.where(ep["is_open"].astype(bool), ep["last_seen"])
        ep = ep.sort_values(["incident_id", "_peak"], ascending=[True, False], kind="stable")
        g = ep.groupby("incident_id", sort=False)
        worst = g.head(1).set_index("incident_id")
        ids = ep[schema.SECTOR].astype(object).astype(str)
        by_incident = ep["incident_id"].to_numpy()
        out = pd.DataFrame({
            "kind": worst["kind"],
            schema.PROVINCE: worst[schema.PROVINCE].where(g[schema.PROVINCE].nunique() == 1,
                                                          "several"),
            "site": worst["site"],
            "n_sectors": g[schema.SECTOR].nunique(),
            "n_open": g["is_open"].sum().astype(int),
            "start": g["start"].min(),
            "last_seen": g["last_seen"].max(),
            "peak_score": worst["peak_score"].astype(float),
            "worst_kpi": worst[schema.TOP_KPI],
            "worst_sector": worst[schema.SECTOR],
            "n_episodes": g["episode_id"].size(),
            "n_acknowledged": g["acknowledged"].sum().astype(int),
            "first_id": ids.groupby(by_incident).min(),
            "last_id": ids.groupby(by_incident).max(),
            "sector_ids": ids.groupby(by_incident).agg(" ".join),
            "episode_ids": ep["episode_id"].astype(str).groupby(by_incident).agg(" ".join),
        })
        out.index.name = "incident_id"
        out = out.reset_index()
        out["is_open"] = out["n_open"] > 0
        out["end"] = out["last_seen"].where(~out["is_open"])
        out["duration"] = out["last_seen"] - out["start"] + step
        out["severity"] = severities(out["peak_score"])
        out["n_unacknowledged"] = out["n_episodes"] - out["n_acknowledged"]
        out["acknowledged"] = out["n_unacknowledged"] == 0
        latest = self._latest_acks(out["incident_id"])
        out["ack_comment"] = latest.map(lambda a: a.comment if a else "")
        out["ack_who"] = latest.map(lambda a: a.who if a else "")
        out["ack_time"] = pd.to_datetime(latest.map(lambda a: a.time if a else pd.NaT), utc=True)
        out["title"] = _titles(out)
        return rank(out)[list(INCIDENT_COLUMNS)]

    def _latest_acks(self, incident_ids: pd.Series) -> pd.Series:
        """The latest acknowledgement of each incident's episodes (None if none)."""
        if not self._acks or self._members.empty:
            return pd.Series([None] * len(incident_ids), index=incident_ids.index, dtype=object)
        members = self._members[["episode_id", "incident_id"]]
        found = members.assign(ack=members["episode_id"].map(self._acks.get))
        found = found.dropna(subset=["ack"])
        found = found.assign(t=found["ack"].map(lambda a: a.time)).sort_values("t")
        by_incident = found.groupby("incident_id")["ack"].last()
        return incident_ids.map(by_incident).astype(object).where(
            incident_ids.isin(by_incident.index), None)

    def members(self, incident_id: int) -> pd.DataFrame:
        """The episodes of one incident as last grouped (worst first)."""
        if self._members.empty:
            return self._members
        rows = self._members[self._members["incident_id"] == int(incident_id)]
        return rows.sort_values("peak_score", ascending=False, kind="stable")

    def assignments(self) -> pd.Series:
        """episode id -> incident id, as last grouped."""
        return self._incident_of.copy()

    # -- acknowledgements -------------------------------------------------------------
    def acknowledge(self, incident_id: int, comment: str = "", who: str = "",
                    time: pd.Timestamp | str | None = None) -> Acknowledgement:
        """Acknowledge an incident as last grouped: each of its episodes, with the note."""
        members = self.members(incident_id)
        if members.empty:
            known = sorted(set(self._members.get("incident_id", pd.Series(dtype=int))))[-10:]
            raise KeyError(f"no incident {incident_id}: it has closed and left the list, or "
                           f"the list was not drawn yet; recent incidents are {known}")
        when = pd.Timestamp.now(tz="UTC") if time is None else pd.Timestamp(time)
        when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
        ack = Acknowledgement(int(incident_id),
                              tuple(int(e) for e in members["episode_id"].to_numpy()),
                              str(comment).strip(), str(who).strip(), when)
        for eid in ack.episode_ids:
            self._acks[eid] = ack
        self._members.loc[self._members["incident_id"] == int(incident_id), "acknowledged"] = True
        self.version += 1
        for listener in list(self.listeners):
            listener(ack)
        return ack

    def restore(self, rows: Iterable[Mapping] | pd.DataFrame) -> int:
        """Load acknowledgements kept elsewhere (episode_id, comment, who, time; e.g. the
        store's ``acknowledgements`` table); listeners are not called. Returns the count."""
        records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else list(rows)
        for r in records:
            eid = int(r["episode_id"])
            when = pd.Timestamp(r.get("time") or pd.Timestamp.now(tz="UTC"))
            when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
            incident = int(self._incident_of.get(eid, eid))
            self._acks[eid] = Acknowledgement(incident, (eid,), str(r.get("comment") or ""),
                                              str(r.get("who") or ""), when)
        self.version += 1
        return len(records)

    def acknowledgements_frame(self) -> pd.DataFrame:
        """One row per acknowledged episode: episode_id, incident_id, comment, who, time."""
        rows = [{"episode_id": e, "incident_id": a.incident_id, "comment": a.comment,
                 "who": a.who, "time": a.time} for e, a in self._acks.items()]
        return pd.DataFrame(rows, columns=["episode_id", "incident_id", "comment", "who",
                                           "time"])


def _titles(out: pd.DataFrame) -> pd.Series:
    """``Tehran: province event``, ``site THR-00012``, ``THR-00012-2``."""
    site = out["site"].astype(str)
    unnamed = (out["kind"] == "site") & site.str.startswith(("@", "sector:"))
    prefixes = [_common_prefix(a, b) for a, b in
                zip(out.loc[unnamed, "first_id"], out.loc[unnamed, "last_id"], strict=True)]
    site = site.copy()
    site[unnamed] = [p or w for p, w in zip(prefixes, out.loc[unnamed, "worst_sector"],
                                            strict=True)]
    return pd.Series(np.select(
        [out["kind"] == "province", out["kind"] == "site"],
        [out[schema.PROVINCE].astype(str) + ": province event", "site " + site],
        out["worst_sector"].astype(str)), index=out.index)


def rank(incidents: pd.DataFrame) -> pd.DataFrame:
    """Worst first: open and not acknowledged, then open acknowledged, by severity, sectors
    affected, peak score, latest activity, latest start; then closed ones, most recent
    first."""
    if incidents.empty:
        return incidents
    sev = incidents["severity"].map(SEVERITY_RANK).fillna(0)
    keys = pd.DataFrame({
        "closed": ~incidents["is_open"].astype(bool),
        "acked": incidents["acknowledged"].astype(bool),
        "sev": -sev.where(incidents["is_open"], 0),
        "n": -incidents["n_sectors"].where(incidents["is_open"], 0),
        "peak": -incidents["peak_score"].fillna(-math.inf).where(incidents["is_open"], 0),
        "last": -pd.to_datetime(incidents["last_seen"], utc=True).astype("int64"),
        "start": -pd.to_datetime(incidents["start"], utc=True).astype("int64"),
    }, index=incidents.index)
    order = keys.sort_values(list(keys.columns), kind="stable").index
    return incidents.loc[order].reset_index(drop=True)


def format_duration(span: pd.Timedelta | float) -> str:
    """``45 min``, ``3 h 15 min``, ``2 d 4 h`` (``–`` when unknown)."""
    if span is None or pd.isna(span):
        return "–"
    minutes = max(int(pd.Timedelta(span).total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"
