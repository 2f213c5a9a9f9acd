"""The Monitor: the one object a notebook uses to run and watch a live KPI stream.

It owns the stream's :class:`~telecom_nb.engine.tick.Tick` (validator, detector, alarm
chain) and its :class:`~telecom_nb.engine.runner.Runner`, plus bounded history and the
anomaly feed, and exposes the stream's state as traitlets so that widgets can observe it
(the UI links to the model, never the reverse). Traits change at most once per tick, all
together inside ``hold_trait_notifications``. No widgets here; what a UI may read is
written down in :class:`~telecom_nb.engine.view.MonitorView`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from traitlets import Bool, Dict, Float, HasTraits, Int, Unicode, observe, validate

from telecom_nb import schema
from telecom_nb.alarms.alarm_params import split_alarm_params
from telecom_nb.alarms.chain import AlarmChain
from telecom_nb.alarms.episodes import EpisodeTracker
from telecom_nb.alarms.incidents import format_duration
from telecom_nb.detectors.base import Detector
from telecom_nb.engine.feed import AnomalyFeed
from telecom_nb.engine.history import NetworkHistory, SectorHistory
from telecom_nb.engine.monitor_constructors import MonitorConstructors
from telecom_nb.engine.monitor_setup import (
    DataDescription,
    build_detector,
    declared_sides,
    use_network_clock,
)
from telecom_nb.engine.runner import Runner
from telecom_nb.engine.scored import ScoredBatch
from telecom_nb.engine.sector_table import SectorTable
from telecom_nb.engine.sinks import Sink
from telecom_nb.engine.state import RunState
from telecom_nb.engine.tick import Tick
from telecom_nb.engine.triage import TriageViews
from telecom_nb.engine.watchdog import PagePresence, Watchdog
from telecom_nb.params import check_range
from telecom_nb.sources.base import Source
from telecom_nb.sources.kpiinfo import KpiInfo


class Monitor(MonitorConstructors, TriageViews, PagePresence, HasTraits):
    """A live stream with observable state and pandas views for analysts (incidents,
    acknowledgements and exports: :class:`~telecom_nb.engine.triage.TriageViews`)."""

    status = Unicode("idle", help="idle|warming_up|running|paused|stopped|finished|failed")
    running = Bool(False)
    paused = Bool(False)
    tick = Int(0, help="batches scored so far")
    sim_time = Unicode("", help="ISO network time of the last scored batch")
    n_anomalies = Int(0, help="anomalous rows in the last batch")
    total_anomalies = Int(0)
    open_episodes = Int(0)
    rows_per_s = Float(0.0, help="processing rate (rows scored per second of work)")
    model_version = Int(0)
    last_retrain = Unicode("", help="ISO network time of the data the model was fitted on")
    model_age = Unicode("", help="network time since the model's data ('' before warm-up)")
    warmup_progress = Float(0.0)
    interval = Float(2.5, help="wall seconds per tick (live speed control)")
    max_ticks = Int(None, allow_none=True, help="stop after this many ticks; None = never")
    idle_timeout = Float(0.0, help="pause after this many seconds without heartbeat; 0 = off")
    error = Unicode("")
    counters = Dict(help="Counters.as_dict(): repairs, drops and rejections by reason, retrains")
    last_message = Unicode("")

    def __init__(
        self,
        source: Source,
        detector: Detector | str = "iforest",
        interval: float = 2.5,
        max_ticks: int | None = None,
        *,
        validator: Any | None = None,
        alarms: AlarmChain | None = None,
        history_ticks: int = 2000,
        sector_ticks: int = 96,
        feed_size: int = 200,
        idle_timeout: float = 0.0,
        store: str | Path | None = None,
        checkpoint_every: int | None = 20,
        **detector_params: Any,
    ) -> None:
        """``store``: a SQLite file for history + checkpoints; an existing one is resumed."""
        super().__init__()
        self.source = source
        detector_params, alarm_params = split_alarm_params(detector_params)
        self.detector = build_detector(detector, detector_params)
        self.kpis: tuple[str, ...] = tuple(getattr(source, "kpis", None) or schema.KPIS)
        if ("kpis" in self.detector.param_names() and not getattr(self.detector, "kpis", None)
                and getattr(source, "kpis", None)):
            self.detector.set_params(kpis=list(self.kpis))  # an id column is never a KPI
        if hasattr(self.detector, "known_kpis"):  # a misspelt KPI is refused, not streamed
            self.detector.known_kpis = self.kpis
        about = DataDescription.of(source, self.kpis)
        #: what a person reads for each KPI (the source's labels, else the column name)
        self.kpi_labels: dict[str, str] = about.labels
        #: KPI -> KpiInfo (label, unit, which change is bad): the source's, else from the name
        self.kpi_info: dict[str, KpiInfo] = about.info
        #: the network's wall clock (IANA name): timestamps stay UTC, a UI shows local time
        self.timezone: str = about.timezone
        if not isinstance(detector, Detector):  # a detector built by the user keeps its zone
            use_network_clock(self.detector, self.timezone, given=detector_params,
                              holidays=getattr(source, "holidays", ()),
                              holiday_like=getattr(source, "holiday_like", None),
                              bad_sides=declared_sides(
                                  {k: i.bad for k, i in self.kpi_info.items()}))
        self.engine = Tick(self.detector, self.kpis, alarms=alarms, validator=validator)
        self.index = self.engine.index
        self.alarms = self.engine.alarms
        self.alarms.set_params(**alarm_params)  # ``close_after=6`` / ``alarms__close_after``
        self.network_history = NetworkHistory(history_ticks, kpis=self.kpis)
        self.sector_buffer = SectorHistory(sector_ticks, kpis=self.kpis, index=self.index)
        self.feed = AnomalyFeed(feed_size, kpis=self.kpis)
        self.watchdog = Watchdog(idle_timeout)
        self._watchdog_paused = False
        self._last_anomalies = 0
        self._total_anomalies = 0
        self.sector_table = SectorTable(source)
        self._user_sinks: list[Sink] = []
        self.runner = Runner(
            source,
            self.engine,
            sinks=(self.network_history, self.sector_buffer, self._record, self.feed),
            interval=interval,
            max_ticks=max_ticks,
        )
        self.runner.listeners.append(self._on_event)
        self._syncing = False
        with self.hold_trait_notifications():
            self.interval = interval
            self.max_ticks = max_ticks
            self.idle_timeout = idle_timeout
        self.persister = self.store = None
        if store is not None:
            from telecom_nb.engine.persist import Persister

            self.persister = Persister.attach(self, store, checkpoint_every=checkpoint_every)
            self.store = self.persister.store  # .episodes(), .anomalies(), .ticks(), .sql()
        self._sync()

    # ---------------------------------------------------------------- control
    def start(self) -> None:
        """Start streaming on the running loop (a second call does nothing)."""
        self.runner.start()

    def pause(self, reason: str = "paused by user") -> None:
        self._watchdog_paused = False
        self.runner.pause(reason)

    def resume(self) -> None:
        self._watchdog_paused = False
        self.runner.resume()

    def stop(self) -> None:
        """Stop the stream (safe from sync code and when already stopped)."""
        self._watchdog_paused = False
        self.runner.stop()

    async def step(self, n: int = 1) -> list[ScoredBatch]:
        """Process the next ``n`` batches deterministically (retrains run inline)."""
        return await self.runner.step(n)

    async def wait(self) -> str:
        """Until the stream ends (max_ticks, source exhausted, stop or failure)."""
        status = await self.runner.wait()
        self._sync()
        return status

    async def aclose(self) -> None:
        """Stop and wait until no task, producer or retrain thread is left."""
        await self.runner.aclose()
        self._sync()

    def checkpoint(self) -> Path | None:
        """Write the learned state to the store's checkpoint now (None without a store)."""
        return None if self.persister is None else self.persister.checkpoint()

    def add_sink(self, sink: Sink) -> None:
        """Call ``sink(scored_batch)`` for every scored batch (keep it cheap)."""
        self.runner.add_sink(sink)
        if sink not in self._user_sinks:
            self._user_sinks.append(sink)

    def remove_sink(self, sink: Sink) -> None:
        if sink in self._user_sinks:
            self._user_sinks.remove(sink)
            self.runner.remove_sink(sink)

    # ------------------------------------------------------------ data access
    @property
    def sectors(self) -> pd.DataFrame:
        """sector_id, province, lat, lon (and azimuth when the source has it) of every
        sector seen (grows with new ones)."""
        return self.sector_table.frame

    @property
    def latest(self) -> pd.DataFrame | None:
        """The last scored frame (None before the first tick)."""
        last = self.runner.last
        return None if last is None else last.frame

    def history_frame(self, last: int | None = None) -> pd.DataFrame:
        """Network-wide per-tick aggregates, oldest first (bounded; ``last`` ticks only)."""
        return self.network_history.frame(last=last)

    def sector_history(self, sector_id: object) -> pd.DataFrame:
        """That sector's recent ticks: timestamp, KPIs, score, is_anomaly (oldest first)."""
        return self.sector_buffer.sector(sector_id)

    def anomalies_frame(self) -> pd.DataFrame:
        """The latest anomalous rows, newest first (bounded)."""
        return self.feed.frame()

    @property
    def episodes(self) -> EpisodeTracker:
        """The alarm chain's episode tracker (``monitor.alarms.episodes``)."""
        return self.alarms.episodes

    @property
    def episodes_version(self) -> int:
        """Bumped whenever an episode list would show something new (redraw then only)."""
        return self.alarms.episodes.changes_

    def episodes_frame(self, open_only: bool = False) -> pd.DataFrame:
        """Alert episodes (open ones first) with the sector's province."""
        return self.sector_table.with_provinces(self.episodes.frame(open_only=open_only))

    def recent_episodes(self, limit: int = 200) -> pd.DataFrame:
        """At most ``limit`` episodes for an alert list: open ones first (most recently
        anomalous first), then the most recently closed; with the sector's province."""
        return self.sector_table.with_provinces(self.episodes.recent_frame(limit))

    # -------------------------------------------------------------- internals
    def _record(self, scored: ScoredBatch) -> None:
        """Internal sink: anomaly totals and the sector table (new sectors appended)."""
        self._last_anomalies = int(np.count_nonzero(scored.values(schema.IS_ANOMALY, bool)))
        self._total_anomalies += self._last_anomalies
        self.sector_table.add(scored)

    def _on_event(self, event: str) -> None:
        if self._syncing:
            return
        if event == "tick":
            self.check_watchdog()
        self._sync()

    def _sync(self) -> None:
        """Copy the runner's state into the traits: one notification burst."""
        p = self.runner
        last_retrain = ""
        model_age = ""
        if p.last_retrain_time is not None:
            last_retrain = pd.Timestamp(p.last_retrain_time).isoformat()
            if p.timestamp is not None:
                model_age = format_duration(p.timestamp - pd.Timestamp(p.last_retrain_time))
        values = {
            "status": p.status,
            "running": p.running,
            "paused": p.paused or p.state is RunState.PAUSED,
            "tick": p.tick,
            "sim_time": "" if p.timestamp is None else p.timestamp.isoformat(),
            "n_anomalies": self._last_anomalies,
            "total_anomalies": self._total_anomalies,
            "open_episodes": self.episodes.n_open,
            "rows_per_s": float(p.rows_per_s),
            "model_version": int(self.detector.model_version_),
            "last_retrain": last_retrain,
            "model_age": model_age,
            "warmup_progress": min(max(float(self.detector.warmup_progress), 0.0), 1.0),
            "error": p.error,
            "counters": p.counters,
            "last_message": p.last_message,
        }
        # only the traits that moved are set: a set validates and queues its value even
        # when it is unchanged (~2-3 us each, 16 traits, twice a tick)
        changed = {name: value for name, value in values.items()
                   if getattr(self, name) != value}
        if changed:
            with self.hold_trait_notifications():
                for name, value in changed.items():
                    setattr(self, name, value)

    @validate("interval")
    def _check_interval(self, proposal):
        check_range("interval", proposal["value"], 0)
        return proposal["value"]

    @validate("idle_timeout")
    def _check_idle_timeout(self, proposal):
        check_range("idle_timeout", proposal["value"], 0)
        return proposal["value"]

    @validate("max_ticks")
    def _check_max_ticks(self, proposal):
        if proposal["value"] is not None:
            check_range("max_ticks", proposal["value"], 0)
        return proposal["value"]

    @observe("interval")
    def _interval_changed(self, change) -> None:
        if hasattr(self, "runner"):
            self.runner.interval = change["new"]

    @observe("max_ticks")
    def _max_ticks_changed(self, change) -> None:
        if hasattr(self, "runner"):
            self.runner.max_ticks = change["new"]

    @observe("idle_timeout")
    def _idle_timeout_changed(self, change) -> None:
        if hasattr(self, "watchdog"):
            self.watchdog.timeout_s = change["new"]

    def __repr__(self) -> str:
        return (
            f"<Monitor {self.status} tick={self.tick} sectors={len(self.sector_table)} "
            f"detector={type(self.detector).__name__}>"
        )
