"""The store: one SQLite file with everything a stream committed, readable from pandas/SQL.

Tables (times as integer epoch ns ``*_ns`` for exact comparisons, plus UTC text
``YYYY-MM-DD HH:MM:SS`` that SQLite's date functions read):

* ``ticks`` - one row per committed tick: the network aggregates of ``NetworkHistory``,
  the model version and the source position after the tick (where a resume continues);
* ``anomalies`` - every anomalous row: sector, KPIs, score, top_kpi, alert score, state;
* ``episodes`` - alert episodes keyed by ``episode_id``, upserted while open, final once
  closed; ``acknowledgements`` - keyed by episode id: comment, who, time (the NOC's notes);
* ``meta`` - schema version, KPI list, the source that wrote the file.

SQLite (standard library) in WAL mode: a tick is one small transaction (a fraction of a
millisecond at 10,000 sectors, see ``benchmarks/store_cost.py``), and other processes
(a second notebook, the NOC dashboard) can read the file while the stream writes it.
``retention`` keeps that much *data* time: older ticks, anomalies and closed episodes go.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from telecom_nb import schema

SCHEMA_VERSION = 1
#: retention is enforced every this many committed ticks (deletes are batched)
PRUNE_EVERY = 96
DATA_DIR_VAR = "XDG_DATA_HOME"


def default_store_path(name: str = "live_monitor.db") -> Path:
    """``$XDG_DATA_HOME/telecom_nb/NAME`` (default ``~/.local/share``); macOS/Windows alike."""
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif os.uname().sysname == "Darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get(DATA_DIR_VAR) or Path.home() / ".local" / "share")
    return base / "telecom_nb" / name


def _q(name: str) -> str:
    """A quoted SQL identifier (KPI names come from users' files)."""
    return '"' + name.replace('"', '""') + '"'


def _text_times(ns: np.ndarray) -> list[str | None]:
    """UTC text SQLite's date functions read (``YYYY-MM-DD HH:MM:SS``); NaT -> NULL."""
    seconds = np.asarray(ns, dtype=np.int64).astype("datetime64[ns]").astype("datetime64[s]")
    text = np.char.replace(np.datetime_as_string(seconds, unit="s"), "T", " ")
    return [None if t == "NaT" else t for t in text.tolist()]


def _ns(values: Any) -> np.ndarray:
    """Epoch ns of a datetime column; NaT -> the minimum int64 (written as NULL)."""
    return pd.DatetimeIndex(pd.to_datetime(values, utc=True)).asi8


class StoreError(ValueError):
    """A store that cannot serve this stream (another schema or KPI list)."""


class Store:
    """A stream's committed history in one SQLite file (thread-safe, one writer)."""

    TICK_FIELDS = ("n_rows", "n_anomalies", "n_recovering", "score_mean", "model_version")

    def __init__(self, path: str | Path, kpis: Sequence[str], *,
                 retention: str | pd.Timedelta | None = "30D",
                 source: dict[str, Any] | None = None) -> None:
        self.path = Path(path).expanduser()
        self.kpis = tuple(kpis)
        clash = {*self.kpis} & {"tick", "time_ns", "timestamp", schema.SECTOR, schema.SCORE}
        if clash:
            raise StoreError(f"KPI name(s) {', '.join(sorted(clash))} clash with store columns")
        self.retention = None if retention is None else pd.Timedelta(retention)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._con = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never torn
        self._since_prune = 0
        self._create(source or {})
        row = self._con.execute("SELECT max(tick) FROM ticks").fetchone()
        self.last_tick: int = int(row[0]) if row[0] is not None else 0

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """An existing store, with the KPI list it was written for (no retention run)."""
        path = Path(path).expanduser()
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                row = con.execute("SELECT value FROM meta WHERE key = 'kpis'").fetchone()
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} is not a telecom_nb store: {exc}") from exc
        if row is None:
            raise StoreError(f"{path} is not a telecom_nb store (no KPI list)")
        return cls(path, json.loads(row[0]), retention=None)

    # ------------------------------------------------------------------ schema
    def _create(self, source: dict[str, Any]) -> None:
        k = self.kpis
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                for sql in _schema_sql(k):
                    self._con.execute(sql)
                meta = dict(self._con.execute("SELECT key, value FROM meta").fetchall())
                if not meta:
                    rows = {"schema_version": str(SCHEMA_VERSION), "kpis": json.dumps(list(k)),
                            "source": json.dumps(source),
                            "created": pd.Timestamp.now("UTC").isoformat()}
                    self._con.executemany("INSERT INTO meta VALUES (?, ?)", rows.items())
                    meta = rows
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
        if int(meta.get("schema_version", -1)) != SCHEMA_VERSION:
            raise StoreError(f"store {self.path} has schema version "
                             f"{meta.get('schema_version')}; this version reads {SCHEMA_VERSION}")
        stored = tuple(json.loads(meta.get("kpis", "[]")))
        if stored != k:
            raise StoreError(f"store {self.path} was written for KPIs {', '.join(stored)}; "
                             f"this stream has {', '.join(k)}: use another store file")
        self.meta = meta

    @property
    def source(self) -> dict[str, Any]:
        """What wrote the file (the source's identity, for a resume to check)."""
        return json.loads(self.meta.get("source", "{}"))

    # ------------------------------------------------------------------ writes
    def commit(self, *, tick: int, timestamp: pd.Timestamp, source_position: int | None,
               totals: dict[str, Any], anomalies: pd.DataFrame, episodes: pd.DataFrame,
               ready: bool, rows: np.ndarray | None = None) -> bool:
        """Write one tick in one transaction; False (nothing written) if already there.

        ``anomalies``' rows ``rows`` (default: all) are the anomalous ones: passing the
        whole scored frame with their positions spares a copy of every column.
        """
        rows = np.arange(len(anomalies)) if rows is None else np.asarray(rows)
        if tick <= self.last_tick:
            return False
        ns = int(pd.Timestamp(timestamp).value)
        text = _text_times(np.array([ns]))[0]
        tick_row = [tick, ns, text, source_position, int(ready),
                    *(totals.get(f) for f in self.TICK_FIELDS),
                    *(totals.get(f"{kpi}_{agg}") for kpi in self.kpis for agg in ("mean", "sum"))]
        with self._lock:
            con = self._con
            con.execute("BEGIN")
            try:
                con.execute(f"INSERT INTO ticks VALUES ({', '.join('?' * len(tick_row))})",
                            tick_row)
                if len(rows):
                    con.executemany(_anomaly_insert(self.kpis),
                                    self._anomaly_rows(tick, ns, text, anomalies, rows))
                if len(episodes):
                    con.executemany(_episode_upsert(self.kpis),
                                    self._episode_rows(tick, episodes))
                self._since_prune += 1
                if self.retention is not None and self._since_prune >= PRUNE_EVERY:
                    self._prune(ns - self.retention.value)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            self.last_tick = tick
        return True

    def _anomaly_rows(self, tick: int, ns: int, text: str, frame: pd.DataFrame,
                      rows: np.ndarray):
        n = len(rows)

        def col(name: str, kind: type = float) -> list[Any]:
            if name not in frame.columns:
                return [None] * n
            values = frame[name].iloc[rows]  # the few flagged rows, then convert
            if kind is str:
                return values.to_numpy(dtype=object, na_value=None).tolist()
            return values.to_numpy(dtype=np.float64, na_value=np.nan).tolist()

        columns = [[tick] * n, [ns] * n, [text] * n, col(schema.SECTOR, str),
                   col(schema.PROVINCE, str), *(col(k) for k in self.kpis), col(schema.SCORE),
                   col(schema.TOP_KPI, str), col(schema.ALERT_SCORE), col(schema.STATE, str),
                   col(schema.FAULT, str)]
        return zip(*columns, strict=True)

    def _episode_rows(self, tick: int, frame: pd.DataFrame):
        start, end, peak = (_ns(frame[c]) for c in ("start", "end", "peak_time"))
        nat = np.iinfo(np.int64).min
        end_ns = [None if v == nat else v for v in end.tolist()]
        columns = [
            frame["episode_id"].astype(np.int64).tolist(),
            frame[schema.SECTOR].astype(object).tolist(),
            frame[schema.PROVINCE].astype(object).tolist() if schema.PROVINCE in frame
            else [None] * len(frame),
            _text_times(start), _text_times(end), start.tolist(), end_ns,
            frame["duration_ticks"].astype(np.int64).tolist(),
            frame["anomalous_ticks"].astype(np.int64).tolist(), _text_times(peak),
            frame["peak_score"].astype(float).tolist(),
            frame[schema.TOP_KPI].astype(object).tolist(),
            frame["is_open"].astype(bool).astype(int).tolist(),
            *(frame[f"peak_{k}"].astype(float).tolist() for k in self.kpis),
            [tick] * len(frame),
        ]
        return zip(*columns, strict=True)

    def _prune(self, cutoff_ns: int) -> None:
        self._since_prune = 0
        self._con.execute("DELETE FROM ticks WHERE time_ns < ?", (cutoff_ns,))
        self._con.execute("DELETE FROM anomalies WHERE time_ns < ?", (cutoff_ns,))
        self._con.execute("DELETE FROM episodes WHERE is_open = 0 AND end_ns < ?", (cutoff_ns,))
        self._con.execute("DELETE FROM acknowledgements WHERE episode_id NOT IN "
                          "(SELECT episode_id FROM episodes)")

    def prune(self) -> None:
        """Apply the retention now (it also runs every ``PRUNE_EVERY`` ticks)."""
        last = self._con.execute("SELECT max(time_ns) FROM ticks").fetchone()[0]
        if self.retention is None or last is None:
            return
        with self._lock:
            self._con.execute("BEGIN")
            self._prune(int(last) - self.retention.value)
            self._con.execute("COMMIT")

    def acknowledge(self, episode_id: int, comment: str = "", who: str = "",
                    time: pd.Timestamp | str | None = None) -> None:
        """Record (or replace) the acknowledgement of an episode."""
        when = pd.Timestamp.now("UTC") if time is None else pd.Timestamp(time)
        with self._lock:
            self._con.execute(
                "INSERT INTO acknowledgements VALUES (?, ?, ?, ?) ON CONFLICT(episode_id) DO "
                "UPDATE SET comment = excluded.comment, who = excluded.who, time = excluded.time",
                (int(episode_id), str(comment), str(who), when.isoformat()))

    def close_open_episodes(self) -> int:
        """After a cold start: episodes left open are closed at their last anomalous row."""
        with self._lock:
            cur = self._con.execute(
                "UPDATE episodes SET is_open = 0, end_ns = coalesce((SELECT max(a.time_ns) "
                "FROM anomalies a WHERE a.sector_id = episodes.sector_id AND a.time_ns >= "
                "episodes.start_ns), start_ns) WHERE is_open = 1")
            self._con.execute("UPDATE episodes SET \"end\" = strftime('%Y-%m-%d %H:%M:%S', "
                              "end_ns / 1e9, 'unixepoch') WHERE \"end\" IS NULL AND end_ns "
                              "IS NOT NULL")
            return cur.rowcount

    # ------------------------------------------------------------------ reads
    def tick_info(self, tick: int | None = None) -> dict[str, Any] | None:
        """tick, time_ns, source_position of ``tick`` (default: the last committed one)."""
        sql = "SELECT tick, time_ns, source_position FROM ticks "
        row = self._con.execute(sql + ("WHERE tick = ?" if tick else "ORDER BY tick DESC LIMIT 1"),
                                (tick,) if tick else ()).fetchone()
        return None if row is None else dict(zip(("tick", "time_ns", "source_position"), row,
                                                  strict=True))

    def max_episode_id(self) -> int:
        row = self._con.execute("SELECT max(episode_id) FROM episodes").fetchone()
        return int(row[0] or 0)

    def sql(self, query: str, params: Sequence[Any] | dict[str, Any] = ()) -> pd.DataFrame:
        """Any SQL query as a DataFrame (the tables are described in this module)."""
        with self._lock:
            return pd.read_sql_query(query, self._con, params=params)

    def ticks(self, since: Any = None, last: int | None = None) -> pd.DataFrame:
        """Per-tick aggregates, oldest first (the columns of ``monitor.history_frame()``)."""
        where, params = _since(since)
        sql = f"SELECT * FROM ticks {where} ORDER BY tick"
        if last is not None:
            newest = f"SELECT * FROM ticks {where} ORDER BY tick DESC LIMIT {int(last)}"
            sql = f"SELECT * FROM ({newest}) ORDER BY tick"
        out = self.sql(sql, params)
        out.insert(0, "timestamp", pd.to_datetime(out.pop("time_ns"), utc=True))
        out = out.drop(columns=["timestamp_text"]) if "timestamp_text" in out else out
        out["detector_ready"] = out["detector_ready"].astype(bool)
        out["flag_rate"] = out["n_anomalies"] / out["n_rows"].clip(lower=1)
        return out

    def anomalies(self, since: Any = None, sector: str | None = None,
                  last: int | None = None) -> pd.DataFrame:
        """Anomalous rows, oldest first (highest score first within a tick)."""
        where, params = _since(since)
        if sector is not None:
            where = f"{where} {'AND' if where else 'WHERE'} sector_id = ?"
            params = (*params, sector)
        sql = f"SELECT * FROM anomalies {where} ORDER BY tick DESC, score DESC"
        if last is not None:
            sql += f" LIMIT {int(last)}"
        out = self.sql(f"SELECT * FROM ({sql}) ORDER BY tick, score DESC", params)
        out["timestamp"] = pd.to_datetime(out.pop("time_ns"), utc=True)
        return out

    def episodes(self, open_only: bool = False) -> pd.DataFrame:
        """Episodes, open ones first then the most recent; with acknowledgement columns."""
        where = "WHERE e.is_open = 1" if open_only else ""
        out = self.sql(
            "SELECT e.*, a.comment AS ack_comment, a.who AS ack_who, a.time AS ack_time "
            f"FROM episodes e LEFT JOIN acknowledgements a USING (episode_id) {where} "
            "ORDER BY e.is_open DESC, e.start_ns DESC, e.episode_id DESC")
        out["start"] = pd.to_datetime(out.pop("start_ns"), utc=True)
        out["end"] = pd.to_datetime(out.pop("end_ns"), utc=True)
        out["peak_time"] = pd.to_datetime(out["peak_time"], utc=True)
        out["is_open"] = out["is_open"].astype(bool)
        return out

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def __repr__(self) -> str:
        return f"<Store {self.path} ticks<= {self.last_tick}>"


def _since(since: Any) -> tuple[str, tuple[Any, ...]]:
    if since is None:
        return "", ()
    ts = pd.Timestamp(since)
    ts = ts.tz_localize("UTC") if ts.tz is None else ts
    return "WHERE time_ns >= ?", (int(ts.value),)


def _schema_sql(kpis: tuple[str, ...]) -> list[str]:
    aggs = ", ".join(f"{_q(f'{k}_{a}')} REAL" for k in kpis for a in ("mean", "sum"))
    kpi_cols = ", ".join(f"{_q(k)} REAL" for k in kpis)
    peaks = ", ".join(f"{_q(f'peak_{k}')} REAL" for k in kpis)
    return [
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
        "CREATE TABLE IF NOT EXISTS ticks (tick INTEGER PRIMARY KEY, time_ns INTEGER NOT NULL, "
        "timestamp_text TEXT, source_position INTEGER, detector_ready INTEGER, "
        "n_rows INTEGER, n_anomalies INTEGER, n_recovering INTEGER, score_mean REAL, "
        f"model_version INTEGER, {aggs})",
        "CREATE INDEX IF NOT EXISTS ticks_time ON ticks (time_ns)",
        "CREATE TABLE IF NOT EXISTS anomalies (tick INTEGER NOT NULL, time_ns INTEGER NOT NULL, "
        f"timestamp_text TEXT, sector_id TEXT NOT NULL, province TEXT, {kpi_cols}, score REAL, "
        "top_kpi TEXT, alert_score REAL, state TEXT, fault TEXT)",
        "CREATE INDEX IF NOT EXISTS anomalies_time ON anomalies (time_ns)",
        "CREATE INDEX IF NOT EXISTS anomalies_sector ON anomalies (sector_id, time_ns)",
        "CREATE TABLE IF NOT EXISTS episodes (episode_id INTEGER PRIMARY KEY, sector_id TEXT, "
        "province TEXT, start TEXT, \"end\" TEXT, start_ns INTEGER, end_ns INTEGER, "
        "duration_ticks INTEGER, anomalous_ticks INTEGER, peak_time TEXT, peak_score REAL, "
        f"top_kpi TEXT, is_open INTEGER, {peaks}, updated_tick INTEGER)",
        "CREATE INDEX IF NOT EXISTS episodes_open ON episodes (is_open, end_ns)",
        "CREATE TABLE IF NOT EXISTS acknowledgements (episode_id INTEGER PRIMARY KEY, "
        "comment TEXT, who TEXT, time TEXT)",
    ]


def _anomaly_insert(kpis: tuple[str, ...]) -> str:
    n = 10 + len(kpis)
    return f"INSERT INTO anomalies VALUES ({', '.join('?' * n)})"


def _episode_upsert(kpis: tuple[str, ...]) -> str:
    cols = ["episode_id", "sector_id", "province", "start", "end", "start_ns", "end_ns",
            "duration_ticks", "anomalous_ticks", "peak_time", "peak_score", "top_kpi",
            "is_open", *(f"peak_{k}" for k in kpis), "updated_tick"]
    quoted = [_q(c) for c in cols]
    update = ", ".join(f"{c} = excluded.{c}" for c in quoted[1:])
    return (f"INSERT INTO episodes ({', '.join(quoted)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT(episode_id) DO UPDATE SET {update}")
