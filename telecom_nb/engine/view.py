"""What a user interface may read from and do to a running monitor: the written contract.

The dashboard depends on this protocol alone (never on engine internals), and the test
fake in ``tests/ui_fake.py`` implements it, so the UI can be tested without a stream.
State that changes per tick is a trait (observe it with ``observe``); tables are
pandas frames built on demand; KPI names come from ``kpis`` (never a hard-coded list).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from telecom_nb.engine.scored import ScoredBatch


@runtime_checkable
class MonitorView(Protocol):
    """Read side and controls of a live monitor, as the UI sees it."""

    # -- per-tick state (traits: ``observe(handler, names=[...])``) -------------------
    status: str  # idle | warming_up | running | paused | stopped | finished | failed
    running: bool
    paused: bool
    tick: int
    sim_time: str  # ISO network time (UTC) of the last scored batch
    n_anomalies: int
    total_anomalies: int
    open_episodes: int
    rows_per_s: float
    model_version: int
    last_retrain: str
    model_age: str
    warmup_progress: float
    interval: float  # wall seconds per tick (writable: the speed control)
    idle_timeout: float
    error: str
    counters: dict[str, int]  # Counters.as_dict()
    last_message: str

    # -- what the data is ------------------------------------------------------------
    kpis: tuple[str, ...]  # the stream's KPI columns, in the source's order
    kpi_labels: dict[str, str]  # KPI -> what a person reads (with its unit when known)
    kpi_info: Mapping[str, Any]  # KPI -> KpiInfo: label, unit, bad ("up"|"down"|"both")
    timezone: Any  # the network's IANA zone ("Asia/Tehran") or tzinfo; None = UTC
    detector: Any  # parameters are traits tagged param=True (the controls link to them);
    # optional ``day_readings()``: the days the fleet read as another weekday (status line)
    alarms: Any  # AlarmChain: contamination / threshold / open_after / close_after

    @property
    def sectors(self) -> pd.DataFrame:
        """sector_id, province, lat, lon of every sector seen so far."""

    @property
    def episodes_version(self) -> int:
        """Bumped whenever an episode list would show something new."""

    def observe(self, handler: Callable[[dict], None], names: Any = ...) -> None: ...

    def unobserve(self, handler: Callable[[dict], None], names: Any = ...) -> None: ...

    # -- tables ----------------------------------------------------------------------
    def history_frame(self, last: int | None = None) -> pd.DataFrame:
        """Per-tick network aggregates: timestamp, tick, ``<kpi>_mean``, n_anomalies, ..."""

    def sector_history(self, sector_id: object) -> pd.DataFrame:
        """One sector's recent ticks: timestamp, KPIs, score, is_anomaly."""

    def recent_episodes(self, limit: int = 200) -> pd.DataFrame:
        """Alert episodes for a list: open first, then recently closed, with province."""

    # -- control ---------------------------------------------------------------------
    def start(self) -> None: ...

    def pause(self, reason: str = ...) -> None: ...

    def resume(self) -> None: ...

    def stop(self) -> None: ...

    def heartbeat(self) -> None:
        """The watching page is alive (about once a second)."""

    def add_sink(self, sink: Callable[[ScoredBatch], object]) -> None: ...

    def remove_sink(self, sink: Callable[[ScoredBatch], object]) -> None: ...
