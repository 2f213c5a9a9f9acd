"""A fake monitor implementing ``MonitorView``: the dashboard tested without a stream.

It owns the engine's real ``NetworkHistory`` and ``AlarmChain`` (the dashboard reads
them); ``emit`` sets each row's map state by hand. ``kpis`` may be any names: the UI
must take them (and their labels) from the monitor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from traitlets import Any, Bool, Dict, Float, HasTraits, Int, List, Unicode, validate

from telecom_nb import schema
from telecom_nb.alarms import AlarmChain
from telecom_nb.detectors.base import Detector, Scores
from telecom_nb.engine.history import NetworkHistory
from telecom_nb.engine.scored import ScoredBatch
from telecom_nb.params import check_range, param_trait


class FakeDetector(Detector):
    """Just the parameter surface of a detector (the dashboard never scores)."""

    contamination = param_trait(Float(0.01))
    window_size = param_trait(Int(96))
    kpis = param_trait(List(Unicode(), default_value=list(schema.KPIS)))

    @validate("contamination")
    def _check_contamination(self, proposal):
        check_range("contamination", proposal.value, 0, 0.5, low_inclusive=False)
        return proposal.value

    @validate("window_size")
    def _check_window(self, proposal):
        check_range("window_size", proposal.value, 8)
        return proposal.value

    @validate("kpis")
    def _check_kpis(self, proposal):
        if not proposal.value:
            from telecom_nb.errors import ParameterError

            raise ParameterError("kpis must name at least one KPI")
        return proposal.value

    def score(self, batch):  # pragma: no cover - not used by the UI
        return Scores.empty(len(batch))

    def learn(self, batch):  # pragma: no cover
        return None


class FakeMonitor(HasTraits):
    """The observable surface of ``Monitor`` the dashboard relies on.

    It owns the engine's real ``NetworkHistory`` and ``EpisodeTracker`` (the dashboard
    reads them); ``emit`` sets each row's map state by hand.
    """

    status = Unicode("running")
    running = Bool(True)
    paused = Bool(False)
    tick = Int(0)
    sim_time = Any(None)
    rows_per_s = Float(0.0)
    model_version = Int(0)
    model_age = Any(None)
    last_retrain = Any(None)
    n_anomalies = Int(0)
    total_anomalies = Int(0)
    open_episodes = Int(0)
    warmup_progress = Float(0.0)
    interval = Float(2.5)
    idle_timeout = Float(0.0)
    error = Unicode("")
    counters = Dict()
    last_message = Unicode("")

    @validate("interval")
    def _check_interval(self, proposal):
        check_range("interval", proposal.value, 0)
        return proposal.value

    def __init__(self, n_sectors: int = 50, seed: int = 0,
                 kpis: tuple[str, ...] = schema.KPIS, labels: dict[str, str] | None = None,
                 *, kpi_info: dict | None = None, timezone: str | None = None,
                 sectors: pd.DataFrame | None = None):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.kpis = tuple(kpis)
        self.kpi_labels = {k: (labels or {}).get(k, k) for k in self.kpis}
        self.kpi_info = dict(kpi_info or {})  # KPI -> KpiInfo (units, bad direction)
        self.timezone = timezone  # the network's zone; None = UTC
        self.detector = FakeDetector(kpis=list(self.kpis))
        if sectors is None:
            sectors = pd.DataFrame({
                schema.SECTOR: [f"S{i:05d}" for i in range(n_sectors)],
                schema.PROVINCE: rng.choice(["Tehran", "Fars", "Gilan"], n_sectors),
                schema.LAT: rng.uniform(26, 39, n_sectors),
                schema.LON: rng.uniform(45, 62, n_sectors),
            })
        self.sectors = sectors.reset_index(drop=True)
        self.sinks: list = []
        self.network_history = NetworkHistory(kpis=self.kpis)
        self.alarms = AlarmChain(kpis=self.kpis, close_after=3)
        self.alarms.bind(self.detector)
        self.episodes = self.alarms.episodes
        self.heartbeats = 0
        self.frames: list[pd.DataFrame] = []
        self.rng = rng

    @property
    def episodes_version(self) -> int:
        return self.episodes.changes_

    def start(self):
        self.running = True

    def add_sink(self, fn):
        self.sinks.append(fn)

    def remove_sink(self, fn):
        self.sinks.remove(fn)

    def history_frame(self, last=None):
        return self.network_history.frame(last=last)

    def recent_episodes(self, limit=200):
        frame = self.episodes.recent_frame(limit)
        provinces = self.sectors.set_index(schema.SECTOR)[schema.PROVINCE]
        frame.insert(2, schema.PROVINCE, frame[schema.SECTOR].map(provinces).to_numpy())
        return frame

    def heartbeat(self):
        self.heartbeats += 1

    def pause(self, reason: str = "paused by user"):
        self.paused = True

    def resume(self):
        self.paused = False

    def stop(self):
        self.running = False

    def subset_history(self, sector_ids):
        """Per-tick means of a subset of sectors (as ``SectorHistory.aggregate``)."""
        rows = [f[f[schema.SECTOR].isin(list(sector_ids))] for f in self.frames]
        out = pd.DataFrame({
            "timestamp": [f[schema.TIMESTAMP].iloc[0] for f in self.frames],
            **{f"{k}_mean": [r[k].mean() for r in rows] for k in self.kpis},
            "n_anomalies": [int(r[schema.IS_ANOMALY].sum()) for r in rows],
            "n_rows": [len(r) for r in rows]})
        return out[out["n_rows"] > 0].reset_index(drop=True)

    def sector_history(self, sector_id):
        allf = pd.concat(self.frames, ignore_index=True) if self.frames else None
        if allf is None or not (allf[schema.SECTOR] == sector_id).any():
            # as the engine's buffer does for a sector the stream has not reached yet
            raise KeyError(f"unknown sector_id {sector_id!r}: not seen in this stream")
        return allf[allf[schema.SECTOR] == sector_id]

    def emit(self, anomalous: list[int] = (), recovering: list[int] = (),
             blank: tuple[str, ...] = ()) -> ScoredBatch:
        """One scored tick with the given sector positions flagged (``blank`` KPIs: NaN
        in every row, a layer not launched yet)."""
        n = len(self.sectors)
        self.tick += 1
        ts = pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(minutes=15 * self.tick)
        frame = self.sectors.copy()
        frame[schema.TIMESTAMP] = ts
        for k in self.kpis:
            frame[k] = self.rng.uniform(10, 90, n) if k not in blank else np.nan
        state = np.full(n, "normal", dtype=object)
        state[list(recovering)] = "recovering"
        state[list(anomalous)] = "anomalous"
        frame[schema.STATE] = state
        frame[schema.IS_ANOMALY] = state == "anomalous"
        frame[schema.SCORE] = np.where(frame[schema.IS_ANOMALY], 0.9, 0.1)
        frame[schema.TOP_KPI] = np.where(frame[schema.IS_ANOMALY], self.kpis[-1], "")
        self.episodes.update(frame, ts)
        self.frames.append(frame)
        batch = ScoredBatch(tick=self.tick, timestamp=ts, frame=frame, model_version=1,
                            detector_ready=True)
        self.network_history(batch)  # the engine's own sink runs before the dashboard's
        for sink in self.sinks:
            sink(batch)
        return batch
