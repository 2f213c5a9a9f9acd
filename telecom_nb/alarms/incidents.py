"""Incidents: simultaneous alert episodes grouped into what a NOC engineer works on.

A province-wide event opens dozens of sector episodes within minutes, and a site outage
opens one per sector of the site; listed one by one they bury the rest. The grouping
rules (province event, site) are in :mod:`~telecom_nb.alarms.incident_groups`.

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
from telecom_nb.alarms.incident_groups import (
    distinct_count,
    group_episodes,
    site_keys,
)
from telecom_nb.alarms.severity import SEVERITY_RANK, severities

KINDS = ("province", "site", "sector")
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
        self._provinces_known = True  # False: no sector of the table has a province

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
            named = sectors.get(schema.PROVINCE, pd.Series(dtype=object))
            self._provinces_known = bool(
                (named.notna() & (named.astype(str) != schema.UNKNOWN_PROVINCE)).any())
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
        eid = ep["episode_id"].to_numpy(dtype=np.int64)
        group = pd.factorize(ep["group"])[0]
        n = int(group.max()) + 1
        known = pd.Series(eid).map(self._incident_of).to_numpy(dtype=float)  # NaN: new
        proposal = np.full(n, np.inf)
        np.fmin.at(proposal, group, known)  # per group, NaN skipped
        first = np.full(n, np.iinfo(np.int64).max)
        np.minimum.at(first, group, eid)
        claim = np.where(np.isinf(proposal), first, proposal).astype(np.int64)
        # two groups claiming one id (a split): the one holding the smallest episode keeps it
        by_first = np.argsort(first, kind="stable")
        claimed, at = np.unique(claim[by_first], return_index=True)
        owner = by_first[at][np.searchsorted(claimed, claim)]
        ids = np.where(owner != np.arange(n), first, claim)[group]
        self._incident_of = pd.Series(ids, index=eid)
        return ids

    def frame(self, episodes: pd.DataFrame, sectors: pd.DataFrame,
              now: pd.Timestamp | None = None) -> pd.DataFrame:
        """One row per incident (:data:`INCIDENT_COLUMNS`), worst first (see :func:`rank`)."""
        return self.summarise(self.episodes(episodes, sectors, now))

    def summarise(self, ep: pd.DataFrame) -> pd.DataFrame:
        """Incident rows from :meth:`episodes`' output.

        Every column is a numpy reduction over the episodes sorted by incident, taken in
        rank order and framed once (a redraw regroups on most ticks: pandas column
        assignments, takes and string Series cost ~35 ms of fixed overhead at 500 sectors).
        """
        if ep.empty:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in INCIDENT_COLUMNS})
        start = pd.to_datetime(ep["start"], utc=True)
        last_seen = ep["last_seen"]
        is_open = ep["is_open"].to_numpy(dtype=bool)
        step = self.cadence if self.cadence is not None else pd.Timedelta(0)
        if self.cadence is not None and "duration_ticks" in ep:
            # an open episode was last anomalous duration_ticks after its start: its
            # duration stops growing while it recovers (and its row need not be redrawn)
            until = start + (ep["duration_ticks"].astype(float) - 1).clip(lower=0) * step
            last_seen = until.where(is_open, last_seen)
        peak = ep["peak_score"].to_numpy(dtype=float, na_value=np.nan)
        incident = ep["incident_id"].to_numpy(dtype=np.int64)
        # by incident, worst peak first (stable): each incident's rows are a run
        order = np.lexsort((-np.where(np.isnan(peak), -np.inf, peak), incident))
        new = np.r_[True, incident[order][1:] != incident[order][:-1]]
        starts = np.flatnonzero(new)
        run = np.cumsum(new) - 1
        ends = np.r_[starts[1:], len(ep)] - 1
        worst = order[starts]  # each incident's worst episode (row of ep)
        n = len(starts)
        sectors = ep[schema.SECTOR].astype(object).astype(str).to_numpy(dtype=object)[order]
        sector_codes, sector_names = pd.factorize(sectors, sort=True)
        one_province = distinct_count(run, pd.factorize(ep[schema.PROVINCE].to_numpy(
            dtype=object)[order])[0], n) == 1

        def extreme(column: pd.Series, last: bool) -> np.ndarray:
            """Rows of each incident's earliest (latest) value of a time column."""
            at = np.lexsort((column.to_numpy(dtype="datetime64[ns]").view("int64")[order], run))
            return order[at[ends if last else starts]]

        first_seen, latest = start.array[extreme(start, False)], last_seen.array[
            extreme(last_seen, True)]
        n_open = np.add.reduceat(is_open[order].astype(np.int64), starts)
        n_episodes = np.diff(np.r_[starts, len(ep)])
        n_unack = n_episodes - np.add.reduceat(
            ep["acknowledged"].to_numpy(dtype=np.int64)[order], starts)
        province = ep[schema.PROVINCE].to_numpy(dtype=object)[worst]
        province[~one_province] = "several"
        kind = ep["kind"].to_numpy(dtype=object)[worst]
        site_codes = pd.factorize(ep["site"].to_numpy(dtype=object)[order])[0]
        out = {
            "n_sites": distinct_count(run, site_codes, n),
            "incident_id": incident[worst], "kind": kind, schema.PROVINCE: province,
            "site": ep["site"].array[worst], "n_sectors": distinct_count(run, sector_codes, n),
            "n_open": n_open, "start": first_seen, "last_seen": latest, "is_open": n_open > 0,
            "peak_score": peak[worst], "worst_kpi": ep[schema.TOP_KPI].array[worst],
            "worst_sector": ep[schema.SECTOR].array[worst],
            "acknowledged": n_unack == 0, "n_unacknowledged": n_unack,
            # the ids joined per incident: one reduceat each, not a Series per incident
            "sector_ids": _joined(sectors, starts),
            "episode_ids": _joined(ep["episode_id"].astype(str).to_numpy(dtype=object)[order],
                                   starts),
        }
        out["severity"] = severities(out["peak_score"])
        latest_ns = pd.Series(latest).astype("int64").to_numpy()
        ranked = _rank_order(out["is_open"], out["acknowledged"], out["severity"],
                             out["n_sectors"], out["peak_score"], latest_ns,
                             pd.Series(first_seen).astype("int64").to_numpy())
        out = {k: v[ranked] for k, v in out.items()}
        ended = pd.Series(out["last_seen"]).where(~out["is_open"])
        out["end"], out["duration"] = ended.array, (
            pd.Series(out["last_seen"]) - pd.Series(out["start"]) + step).array
        acks = self._latest_acks(pd.Series(out["incident_id"]))
        out["ack_comment"] = acks.map(lambda a: a.comment if a else "").to_numpy(dtype=object)
        out["ack_who"] = acks.map(lambda a: a.who if a else "").to_numpy(dtype=object)
        out["ack_time"] = pd.to_datetime(acks.map(lambda a: a.time if a else pd.NaT),
                                         utc=True).array
        out["title"] = _titles(out, sector_names[np.minimum.reduceat(sector_codes, starts)][ranked],
                               sector_names[np.maximum.reduceat(sector_codes, starts)][ranked],
                               self._provinces_known)
        return pd.DataFrame({c: out[c] for c in INCIDENT_COLUMNS})

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


def _joined(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Strings of each run ``values[starts[i]:starts[i + 1]]`` joined by spaces."""
    if not len(values):
        return np.zeros(0, dtype=object)
    runs = np.add.reduceat(values + " ", starts)
    return np.array([s[:-1] for s in runs], dtype=object)


def _titles(out: dict[str, np.ndarray], first_id: np.ndarray,
            last_id: np.ndarray, provinces_known: bool = True) -> np.ndarray:
    """``Tehran: province event``, ``site THR-00012``, ``THR-00012-2`` (``first_id`` /
    ``last_id``: each incident's smallest and largest sector id). Sectors without a
    province opening together are a ``network event (6 sites)`` when no sector has a
    province, else ``sectors without a province (6 sites)``: not "unknown: province
    event"."""
    kind = out["kind"]
    site = np.asarray(out["site"], dtype=object).astype(str).astype(object)
    worst = np.asarray(out["worst_sector"], dtype=object)
    unnamed = np.flatnonzero((kind == "site") & np.array(
        [s.startswith(("@", "sector:")) for s in site], dtype=bool))
    for i in unnamed:  # the site as the ids spell it (only unnamed sites)
        site[i] = _common_prefix(first_id[i], last_id[i]) or worst[i]
    province = out[schema.PROVINCE].astype(str).astype(object)
    unplaced = "network event" if not provinces_known else "sectors without a province"
    sites = np.char.mod("%d", out["n_sites"]).astype(object)
    sites = unplaced + " (" + np.where(out["n_sites"] == 1, "site " + site, sites + " sites") + ")"
    return np.select([(kind == "province") & (province == schema.UNKNOWN_PROVINCE),
                      kind == "province", kind == "site"],
                     [sites, province + ": province event", "site " + site],
                     worst.astype(str).astype(object))


def rank(incidents: pd.DataFrame) -> pd.DataFrame:
    """Worst first: open and not acknowledged, then open acknowledged, by severity, sectors
    affected, peak score, latest activity, latest start; then closed ones, most recent
    first."""
    if incidents.empty:
        return incidents
    order = _rank_order(
        incidents["is_open"].to_numpy(dtype=bool), incidents["acknowledged"].to_numpy(dtype=bool),
        incidents["severity"].to_numpy(dtype=object),
        incidents["n_sectors"].to_numpy(dtype=float),
        incidents["peak_score"].to_numpy(dtype=float, na_value=np.nan),
        pd.to_datetime(incidents["last_seen"], utc=True).astype("int64").to_numpy(),
        pd.to_datetime(incidents["start"], utc=True).astype("int64").to_numpy())
    return incidents.take(order).reset_index(drop=True)


def _rank_order(is_open: np.ndarray, acknowledged: np.ndarray, severity: np.ndarray,
                n_sectors: np.ndarray, peak: np.ndarray, last_seen: np.ndarray,
                start: np.ndarray) -> np.ndarray:
    """:func:`rank`'s order from its columns (times as int64)."""
    codes, words = pd.factorize(severity)  # a handful of words: looked up once each
    sev = np.array([*(SEVERITY_RANK.get(w, 0) for w in words), 0], dtype=float)[codes]
    keys = (  # most significant first; np.lexsort reads them last first (stable)
        ~is_open,
        acknowledged,
        -np.where(is_open, sev, 0),
        -np.where(is_open, n_sectors.astype(float), 0),
        -np.where(is_open, np.nan_to_num(peak, nan=-math.inf), 0),
        -last_seen,
        -start,
    )
    return np.lexsort(keys[::-1])


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
