"""Tiny fake sources and detectors for the pipeline tests (no simulator/detector needed)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.alarms.chain import AlarmChain
from telecom_nb.detectors.base import Detector, RetrainJob, Scores
from telecom_nb.engine.runner import Runner
from telecom_nb.engine.sinks import Sink
from telecom_nb.engine.tick import Tick
from telecom_nb.sources.base import Source

T0 = pd.Timestamp("2024-03-01", tz="UTC")
STEP = pd.Timedelta("15min")


def make_batch(tick: int, n_sectors: int = 5, *, anomalous: Iterable[int] = (), seed: int = 0):
    """A clean batch at ``T0 + tick*STEP``; sectors in ``anomalous`` get prb_pct 99."""
    rng = np.random.default_rng(seed * 100_003 + tick)
    ids = [f"S{i:04d}" for i in range(n_sectors)]
    frame = pd.DataFrame(
        {
            schema.TIMESTAMP: pd.Series(
                [T0 + tick * STEP] * n_sectors, dtype="datetime64[ns, UTC]"
            ),
            schema.SECTOR: ids,
            schema.PROVINCE: ["Tehran" if i % 2 else "Fars" for i in range(n_sectors)],
            schema.LAT: 35.0 + np.arange(n_sectors) * 0.01,
            schema.LON: 51.0 + np.arange(n_sectors) * 0.01,
            schema.PAYLOAD: rng.uniform(100, 200, n_sectors),
            schema.THROUGHPUT: rng.uniform(10, 20, n_sectors),
            schema.PRB: rng.uniform(20, 60, n_sectors),
            schema.AVAILABILITY: np.full(n_sectors, 100.0),
        }
    )
    bad = [i for i in anomalous if i < n_sectors]
    frame.loc[bad, schema.PRB] = 99.0
    return frame


class ListSource(Source):
    """Emits prepared batches (or raises prepared exceptions) in order."""

    step = STEP

    def __init__(self, batches: Iterable[pd.DataFrame | BaseException | Callable]) -> None:
        self.items = list(batches)
        self.calls = 0
        first = next((b for b in self.items if isinstance(b, pd.DataFrame)), None)
        if first is not None:
            self.sectors = first[[schema.SECTOR, schema.PROVINCE, schema.LAT, schema.LON]]

    def next_batch(self) -> pd.DataFrame | None:
        if self.calls >= len(self.items):
            return None
        item = self.items[self.calls]
        self.calls += 1
        if isinstance(item, BaseException):
            raise item
        return item


class CountingSource(Source):
    """An endless clean stream of ``n_sectors`` sectors (cheap; for live-mode tests)."""

    step = STEP

    def __init__(self, n_sectors: int = 5, anomalous: Iterable[int] = ()) -> None:
        self.n_sectors = n_sectors
        self.calls = 0
        self._base = make_batch(0, n_sectors, anomalous=anomalous)
        self.sectors = self._base[[schema.SECTOR, schema.PROVINCE, schema.LAT, schema.LON]]

    def next_batch(self) -> pd.DataFrame:
        stamp = T0 + self.calls * STEP
        self.calls += 1
        return self._base.assign(**{schema.TIMESTAMP: stamp})


class ThresholdDetector(Detector):
    """Flags prb_pct above a threshold; 'retrains' (learns the mean) every ``every`` batches.

    ``fit_delay`` makes fit slow (seconds, in the worker thread); ``fail_fit`` makes it raise.
    The model is a tuple ``(version, mean_prb)`` installed with one assignment.
    """

    name = "threshold"

    def __init__(
        self,
        threshold: float = 90.0,
        every: int = 2,
        warmup: int = 1,
        fit_delay: float = 0.0,
        fail_fit: bool = False,
    ) -> None:
        super().__init__()
        self.threshold = threshold
        self.every = every
        self.warmup = warmup
        self.fit_delay = fit_delay
        self.fail_fit = fail_fit
        self.model_ = None
        self.seen_ = 0
        self.scored_ = 0
        self.fit_threads: list[str] = []
        self.installs = 0
        self.fit_started = threading.Event()

    def score(self, batch: pd.DataFrame) -> Scores:
        self.scored_ += 1
        prb = batch[schema.PRB].to_numpy(dtype=float)
        flags = prb > self.threshold if self.is_ready else np.zeros(len(batch), dtype=bool)
        return Scores(
            score=prb / 100.0,
            is_anomaly=flags,
            top_kpi=np.where(flags, schema.PRB, "").astype(object),
        )

    def learn(self, batch: pd.DataFrame) -> RetrainJob | None:
        self.seen_ += 1
        if self.seen_ < self.warmup or self.seen_ % self.every:
            return None
        data = batch[schema.PRB].to_numpy(dtype=float).copy()
        version = self.model_version_ + 1

        def fit():
            self.fit_threads.append(threading.current_thread().name)
            self.fit_started.set()
            if self.fit_delay:
                time.sleep(self.fit_delay)
            if self.fail_fit:
                raise RuntimeError("fit exploded")
            return (version, float(data.mean()))

        def install(model):
            self.model_ = model
            self.model_version_ += 1
            self.installs += 1

        return RetrainJob(
            fit=fit,
            install=install,
            fail=self._record_failure,
            data_time=batch[schema.TIMESTAMP].iloc[0],
        )


def run(coro):
    """Run a coroutine in a fresh loop (pytest-asyncio is not installed)."""
    return asyncio.run(coro)


def pipeline_tasks() -> list[asyncio.Task]:
    """Tasks of the pipeline still alive on the running loop."""
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("telecom-nb")]


def retrain_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("telecom-nb-retrain")]


def make_runner(source: Source, detector: Detector, sinks: Iterable[Sink] = (), *,
                alarms: AlarmChain | None = None, **kwargs) -> Runner:
    """A runner over a tick for the source's KPIs (the schema's four by default)."""
    kpis = getattr(source, "kpis", None) or schema.KPIS
    return Runner(source, Tick(detector, kpis, alarms=alarms), sinks, **kwargs)


def hourly_iforest(start: pd.Timestamp):
    """The default detector bound to three KPIs whose cadence has read two rows an hour
    apart from ``start`` (``first_time_`` set): the part schedule's cadence and age gates
    read from here by setting ``_fit_time``."""
    from telecom_nb.detectors import make_detector

    det = make_detector("iforest")
    det.features_.bind(("a", "b", "c"))
    cadence = det.features_.parts_[0].cadence_
    cadence.observe(pd.DatetimeIndex([start]))
    cadence.observe(pd.DatetimeIndex([start + pd.Timedelta("1h")]))
    det.first_time_ = start
    return det, cadence
