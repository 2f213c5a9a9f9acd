"""Nothing lost on restart: a monitor's store sink, its checkpoints, and its resume.

* Every committed tick goes to the :class:`~telecom_nb.engine.store.Store` (one
  transaction: aggregates, anomalous rows, changed episodes, the source position).
* Every ``checkpoint_every`` ticks and when the stream stops, the learned state goes to
  a checkpoint file (:mod:`telecom_nb.engine.checkpoint`): detector (features, window,
  its random generator, the inputs of the installed model), alarm chain (episodes,
  sector index), validator memory, counters, the data clock, the source's position.
* On start with an existing store, :meth:`Persister.resume` restores the checkpoint (at
  tick C), then *replays* ticks C+1..L (L = the last tick in the store) from a seekable
  source without writing them again, so the stream continues at L+1 exactly where an
  uninterrupted run would be: same batches, same retrains on the data clock (retrains
  run in line, as in ``step``), same random streams. A source that cannot seek continues
  from where it is, with the tick count after L. A checkpoint that cannot be used gives
  one message naming the file and a cold start; the stored history stays.
"""

from __future__ import annotations

import atexit
import time
import weakref
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.alarms.chain import AlarmChain
from telecom_nb.alarms.episodes import ANOMALOUS
from telecom_nb.engine.checkpoint import (
    Checkpoint,
    CheckpointError,
    checkpoint_path,
    read_checkpoint,
    write_checkpoint,
)
from telecom_nb.engine.history import RingState
from telecom_nb.engine.retrain import run_retrain_now
from telecom_nb.engine.scored import Counters, ScoredBatch
from telecom_nb.engine.snapshot import StateError
from telecom_nb.engine.state import RunState
from telecom_nb.engine.store import Store, StoreError
from telecom_nb.errors import KpiInputError

if TYPE_CHECKING:
    from telecom_nb.engine.monitor import Monitor

#: checkpoint every this many ticks by default (and always when the stream stops)
CHECKPOINT_EVERY = 20
_ENDED = (RunState.STOPPED, RunState.FINISHED, RunState.FAILED)


@dataclass
class MonitorState:
    """The monitor's own running state: anomaly total and its sector table."""

    total_anomalies: int
    sector_ids: np.ndarray
    provinces: np.ndarray
    lat: np.ndarray
    lon: np.ndarray


def source_identity(source: Any) -> dict[str, Any]:
    """What makes a source the same stream again (a resume refuses another one)."""
    out: dict[str, Any] = {"type": type(source).__qualname__}
    for name in ("n_sectors", "seed", "fault_rate", "n_batches"):
        value = getattr(source, name, None)
        if isinstance(value, int | float | str):
            out[name] = value
    for name in ("step", "start"):
        value = getattr(source, name, None)
        if value is not None:
            out[name] = str(value)
    kinds = getattr(source, "fault_kinds", None)
    if kinds is not None:
        out["fault_kinds"] = list(kinds)
    stamps = getattr(source, "timestamps", None)
    if isinstance(stamps, pd.DatetimeIndex) and len(stamps):
        out["first"], out["last"] = str(stamps[0]), str(stamps[-1])
    return out


def stream_differences(stored: dict[str, Any], now: dict[str, Any]) -> str:
    """``n_sectors 500, now 20000; seed 0, now 4`` for the keys that differ."""
    keys = [k for k in {**stored, **now} if stored.get(k) != now.get(k)]
    return "; ".join(f"{k} {stored.get(k, '–')}, now {now.get(k, '–')}" for k in keys)


def _seekable(source: Any) -> bool:
    return callable(getattr(source, "seek", None)) and hasattr(source, "position")


class Persister:
    """A monitor's store sink, checkpoint policy and resume (see the module docstring)."""

    def __init__(self, monitor: Monitor, path: str | Path, *,
                 checkpoint_every: int | None = CHECKPOINT_EVERY,
                 retention: str | pd.Timedelta | None = "30D") -> None:
        self.monitor = monitor
        self.path = Path(path).expanduser()
        self.checkpoint_path = checkpoint_path(self.path)
        self.checkpoint_every = checkpoint_every
        self.identity = source_identity(monitor.source)
        self.store = Store(self.path, monitor.kpis, retention=retention, source=self.identity)
        stored = self.store.source
        if stored and stored != self.identity and self.store.tick_info() is not None:
            self.store.close()  # its history would interleave two streams' times and ticks
            raise StoreError(f"store {self.path} holds another stream "
                             f"({stream_differences(stored, self.identity)}): give this one "
                             "its own store file, or delete that one to start over")
        self.last_checkpoint_tick: int | None = None
        self.checkpoint_bytes = 0
        self.checkpoint_seconds = 0.0
        self.replayed = 0  # ticks replayed from the source after the checkpoint
        self._replaying = False
        tracker = monitor.episodes
        self._closed = tracker.n_closed_
        self._changes = -1

    @classmethod
    def attach(cls, monitor: Monitor, path: str | Path, **options: Any) -> Persister:
        """Wire a persister into ``monitor`` (sink after the history, first listener) and
        resume from what ``path`` holds; the outcome is in ``monitor.last_message``."""
        persister = cls(monitor, path, **options)
        monitor.runner.sinks.add(persister)
        monitor.runner.listeners.insert(0, persister.on_event)
        monitor.runner.last_message = persister.resume()
        persister.keep_acknowledgements()
        ref = weakref.ref(persister)
        atexit.register(lambda: (p := ref()) is not None and p.final_checkpoint())
        return persister

    def keep_acknowledgements(self) -> None:
        """Acknowledgements made on the dashboard go to the store; stored ones come back."""
        book = getattr(self.monitor, "incidents", None)
        if book is None:
            return
        store = self.store
        book.restore(store.sql("SELECT episode_id, comment, who, time FROM acknowledgements"))
        book.listeners.append(lambda ack: [store.acknowledge(e, ack.comment, ack.who, ack.time)
                                           for e in ack.episode_ids])

    # ------------------------------------------------------------------ per tick
    def __call__(self, scored: ScoredBatch) -> None:
        """The store sink: one transaction per committed tick."""
        if self._replaying or scored.tick <= self.store.last_tick:
            return
        m = self.monitor
        frame = scored.frame
        flags = frame[schema.IS_ANOMALY].to_numpy(dtype=bool)
        row = m.network_history.last_row
        totals = row if row is not None and row.get("tick") == scored.tick else {}
        self.store.commit(tick=scored.tick, timestamp=scored.timestamp,
                          source_position=self.source_position(),
                          totals=totals, anomalies=frame, rows=np.flatnonzero(flags),
                          episodes=self._episode_changes(frame), ready=scored.detector_ready)

    def _episode_changes(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Episodes closed in this tick, and open ones that had an anomalous tick."""
        tracker = self.monitor.episodes
        parts = []
        closed, self._closed = tracker.n_closed_ - self._closed, tracker.n_closed_
        if closed:
            parts.append(pd.DataFrame(list(islice(reversed(tracker.closed_), closed))))
        if tracker.changes_ != self._changes and schema.STATE in frame.columns:
            self._changes = tracker.changes_
            hot = frame[schema.SECTOR].to_numpy(dtype=object)[
                frame[schema.STATE].to_numpy() == ANOMALOUS]
            if len(hot):
                parts.append(tracker.open_records(hot))
        parts = [p for p in parts if len(p)]
        if not parts:
            return pd.DataFrame()
        out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        return self.monitor.sector_table.with_provinces(out)

    def source_position(self) -> int | None:
        """Batches the scored ticks took from the source (None: it cannot seek)."""
        source = self.monitor.source
        if not _seekable(source):
            return None
        return int(source.position) - self.monitor.runner.fetcher.n_kept

    def on_event(self, event: str) -> None:
        """Runner listener: checkpoint every N ticks and when the stream has ended."""
        m = self.monitor
        tick = m.engine.tick
        if tick == self.last_checkpoint_tick or tick == 0:
            return
        every = self.checkpoint_every
        due = event == "tick" and every and tick - (self.last_checkpoint_tick or 0) >= every
        if due or (event == "status" and m.runner.state in _ENDED):
            self.checkpoint()

    def final_checkpoint(self) -> None:
        """At interpreter exit: the state between two ticks, if no tick is running."""
        if not self.monitor.runner._busy and self.monitor.engine.tick != self.last_checkpoint_tick:
            self.checkpoint()

    # ------------------------------------------------------------------ checkpoints
    def checkpoint(self) -> Path | None:
        """Write the learned state now; None (and a message) if it cannot be captured."""
        m = self.monitor
        newest = self.store.sql("SELECT max(tick) AS t FROM ticks")["t"].iloc[0]
        if pd.notna(newest) and int(newest) > m.engine.tick:  # another monitor moved on
            m.runner.last_message = f"checkpoint skipped: {self.path} is ahead of this monitor"
            return None
        started = time.perf_counter()
        try:
            self.checkpoint_bytes = write_checkpoint(self.checkpoint_path, self._parts(),
                                                     self._meta())
        except (StateError, OSError) as exc:
            m.runner.last_message = f"checkpoint {self.checkpoint_path} not written: {exc}"
            return None
        self.checkpoint_seconds = time.perf_counter() - started
        self.last_checkpoint_tick = m.engine.tick
        return self.checkpoint_path

    def _parts(self) -> dict[str, Any]:
        m = self.monitor
        sectors = m.sectors
        parts: dict[str, Any] = {
            "detector": m.detector, "alarms": m.alarms, "validator": m.engine.validator,
            "counters": m.engine.counters,
            "monitor": MonitorState(
                int(m._total_anomalies), sectors[schema.SECTOR].to_numpy(dtype=object),
                sectors[schema.PROVINCE].to_numpy(dtype=object),
                sectors[schema.LAT].to_numpy(dtype=np.float64),
                sectors[schema.LON].to_numpy(dtype=np.float64)),
        }
        parts["sector_history"] = m.sector_buffer.ring_state()  # drill-downs after a restart
        if hasattr(m.source, "_state_attrs") and m.runner.fetcher.n_kept == 0:
            parts["source"] = m.source
        return parts

    def _meta(self) -> dict[str, Any]:
        from telecom_nb.detectors.sklearn_parts import sklearn_version

        m = self.monitor
        ts = m.engine.timestamp
        return {"tick": m.engine.tick, "time_ns": None if ts is None else int(ts.value),
                "source_position": self.source_position(), "source": self.identity,
                "kpis": list(m.kpis), "detector": type(m.detector).__qualname__,
                "written": pd.Timestamp.now("UTC").isoformat(),
                "versions": {"numpy": np.__version__, "pandas": pd.__version__,
                             "sklearn": sklearn_version()}}

    # ------------------------------------------------------------------ resume
    def resume(self) -> str:
        """Restore from the store and checkpoint; returns what happened, in one line."""
        last = self.store.tick_info()
        checkpoint, problem = None, ""
        if self.checkpoint_path.exists():
            try:
                checkpoint = read_checkpoint(self.checkpoint_path)
                self._check(checkpoint)
            except CheckpointError as exc:
                checkpoint, problem = None, str(exc)
        elif last is not None:
            problem = f"no checkpoint {self.checkpoint_path}"
        if checkpoint is not None:
            message = self._restore(checkpoint, last)
        elif last is not None:
            message = self._cold_start(last, problem)
        else:
            message = f"store {self.path}: new"
        self._load_views()
        self._closed = self.monitor.episodes.n_closed_
        return message

    def _check(self, ck: Checkpoint) -> None:
        """Refuse another stream's checkpoint; dry-run the restore into scratch objects."""
        m = self.monitor
        meta = ck.meta
        for key, mine in (("kpis", list(m.kpis)), ("detector", type(m.detector).__qualname__),
                          ("source", self.identity)):
            if meta.get(key) != mine:
                raise CheckpointError(f"checkpoint {ck.path} was written for another stream "
                                      f"({key}: {meta.get(key)!r}, now {mine!r})")
        validator = m.engine.validator
        scratch = {"detector": type(m.detector)(**m.detector.get_params()),
                   "alarms": AlarmChain(kpis=m.kpis), "validator": type(validator)(validator.kpis),
                   "counters": Counters(), "monitor": MonitorState(0, *[np.zeros(0)] * 4)}
        for name, obj in scratch.items():
            ck.restore(name, obj, refit=False)

    def _restore(self, ck: Checkpoint, last: dict[str, Any] | None) -> str:
        m = self.monitor
        engine = m.engine
        for name, obj in (("detector", m.detector), ("alarms", m.alarms),
                          ("validator", engine.validator), ("counters", engine.counters)):
            ck.restore(name, obj)
        state = ck.restore("monitor", MonitorState(0, *[np.zeros(0)] * 4))
        m._total_anomalies = state.total_anomalies
        if "sector_history" in ck.trees:  # older checkpoints have none: drill-downs start empty
            m.sector_buffer.load_ring(ck.restore("sector_history", RingState.empty()))
        if len(state.sector_ids):
            m.sector_table.replace(pd.DataFrame({
                schema.SECTOR: state.sector_ids, schema.PROVINCE: state.provinces,
                schema.LAT: state.lat, schema.LON: state.lon}))
        engine.tick = int(ck.meta["tick"])
        if ck.meta.get("time_ns") is not None:
            engine.timestamp = pd.Timestamp(int(ck.meta["time_ns"]), tz="UTC")
        if getattr(m.detector, "complete_pending_fit", None) is not None:
            m.detector.complete_pending_fit()  # a fit that was in flight at the checkpoint
        m.runner.last_retrain_time = getattr(m.detector, "last_retrain_", None)
        self._position_source(ck)
        self.last_checkpoint_tick = engine.tick
        message = f"resumed from {ck.path} at tick {engine.tick}"
        if last is not None and last["tick"] > engine.tick:
            message += self._catch_up(last)
        return message

    def _position_source(self, ck: Checkpoint) -> None:
        source = self.monitor.source
        position = ck.meta.get("source_position")
        if "source" in ck.trees:
            try:
                ck.restore("source", source)
                return
            except CheckpointError:
                pass  # seek instead (exact, slower)
        if position is not None and _seekable(source):
            source.seek(int(position))

    def _catch_up(self, last: dict[str, Any]) -> str:
        """Replay the committed ticks after the checkpoint (learned, not written again)."""
        m = self.monitor
        engine, target = m.engine, int(last["tick"])
        if not _seekable(m.source):
            skipped = target - engine.tick
            engine.tick = target  # the next tick numbers continue the store's
            return f"; ticks {target - skipped + 1}..{target} are in the store but not learned"
        start = engine.tick
        self._replaying = True
        try:
            while engine.tick < target:
                batch = m.source.next_batch()
                if batch is None:
                    break
                try:
                    scored, job = engine.run(batch)
                except KpiInputError:
                    continue  # rejected again, as the first time (counted again)
                if run_retrain_now(job, engine.counters):
                    m.runner.last_retrain_time = getattr(m.detector, "last_retrain_", None)
                m.sector_buffer(scored)
                m._record(scored)
                m.runner.last = scored
        finally:
            self._replaying = False
        self.replayed = engine.tick - start
        stored = self.store.tick_info(engine.tick)
        same = stored is not None and engine.timestamp is not None and (
            stored["time_ns"] == engine.timestamp.value)
        note = "" if same and engine.tick == target else \
            " (the source no longer gives the stored ticks: continuing from here)"
        engine.tick = max(engine.tick, target)
        return f", replayed ticks {start + 1}..{target} from the source{note}"

    def _cold_start(self, last: dict[str, Any], problem: str) -> str:
        """Keep the stored history; the detector and alarms start over after tick L."""
        m = self.monitor
        m.engine.tick = int(last["tick"])
        m.engine.timestamp = pd.Timestamp(int(last["time_ns"]), tz="UTC")
        if self.store.source == self.identity:  # the same stream: continue after tick L
            m.engine.validator.last_timestamp = m.engine.timestamp  # never an older batch
            if last.get("source_position") is not None and _seekable(m.source):
                m.source.seek(int(last["source_position"]))
        closed = self.store.close_open_episodes()
        m.episodes.n_opened_ = self.store.max_episode_id()  # new ids after the stored ones
        total = self.store.sql("SELECT coalesce(sum(n_anomalies), 0) AS n FROM ticks")
        m._total_anomalies = int(total["n"].iloc[0])
        self.last_checkpoint_tick = m.engine.tick
        return (f"{problem}; cold start after tick {last['tick']}: the detector learns again, "
                f"the stored history is kept ({closed} open episode(s) closed)")

    def _load_views(self) -> None:
        """The monitor's bounded history and feed, read back from the store."""
        m = self.monitor
        if len(m.network_history) == 0:
            m.network_history.load(self.store.ticks(last=m.network_history.maxlen))
        if len(m.feed) == 0:
            recent = self.store.anomalies(last=m.feed.maxlen)
            m.feed.load(recent.sort_values(["tick", schema.SCORE], ascending=False))
