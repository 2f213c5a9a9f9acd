"""The asyncio pipeline: source -> validate -> score -> episodes -> sinks -> learn.

It runs inside an event loop that is already running (the Jupyter kernel's), as one task
that owns a producer sub-task. The producer paces the source at ``interval`` wall seconds
per tick into a bounded queue (backpressure instead of unbounded memory); the consumer
scores, feeds the sinks and asks the detector to learn. Retrains run one at a time in a
private one-thread executor; scoring continues on the old model until the new one is
installed on the loop thread, between ticks, so a model is never swapped mid-score.

Failures are state, never a silently dead task: a source error ends the stream with
``status == "failed"`` and ``error`` set; a rejected batch, a failing sink or a failing
retrain is counted, reported in ``last_message`` and the stream goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.detectors.base import Detector, RetrainJob, Scores
from telecom_nb.errors import KpiInputError
from telecom_nb.params import check_range
from telecom_nb.pipeline.batch import ScoredBatch
from telecom_nb.pipeline.episodes import ANOMALOUS, NORMAL, EpisodeTracker
from telecom_nb.sources.base import Source
from telecom_nb.sources.validation import BatchValidator

Sink = Callable[[ScoredBatch], object]
Listener = Callable[[str], object]

#: Batches (rows) above this size are scored / fetched in a worker thread.
OFFLOAD_ROWS = 5000

IDLE, RUNNING, PAUSED, STOPPED, FINISHED, FAILED = (
    "idle",
    "running",
    "paused",
    "stopped",
    "finished",
    "failed",
)
WARMING_UP = "warming_up"


class _End:
    """Queue marker: the source is exhausted."""


@dataclass
class _SourceFailure:
    exc: BaseException


@dataclass
class _Retrain:
    job: RetrainJob
    future: asyncio.Future
    data_time: pd.Timestamp | None


def default_validator(kpis: Iterable[str] = schema.KPIS) -> BatchValidator:
    """The stream's repair/reject rules for these KPI columns."""
    return BatchValidator(tuple(kpis))


class Pipeline:
    """Streams a :class:`Source` through a :class:`Detector` into sinks.

    Live mode: :meth:`start` / :meth:`pause` / :meth:`resume` / :meth:`stop`, then
    ``await`` :meth:`wait` or :meth:`aclose`. Deterministic mode (tests, CLI):
    ``await step(n)`` processes n source batches in order with synchronous retrains.
    """

    def __init__(
        self,
        source: Source,
        detector: Detector,
        sinks: Iterable[Sink] = (),
        *,
        validator: Any | None = None,
        interval: float = 2.5,
        queue_size: int = 8,
        max_ticks: int | None = None,
        episodes: EpisodeTracker | None = None,
        offload_rows: int = OFFLOAD_ROWS,
    ) -> None:
        check_range("queue_size", queue_size, 1)
        self.source = source
        self.detector = detector
        self.sinks: list[Sink] = list(sinks)
        #: ``None``: a BatchValidator for the source's KPIs; ``False`` disables validation.
        if validator is None:
            validator = default_validator(getattr(source, "kpis", None) or schema.KPIS)
        self.validator = validator or None
        self.episodes = episodes if episodes is not None else EpisodeTracker()
        self.queue_size = int(queue_size)
        self.offload_rows = int(offload_rows)
        self._interval = 0.0
        self.interval = interval
        self.max_ticks = max_ticks
        self.listeners: list[Listener] = []

        self.tick = 0
        self.timestamp: pd.Timestamp | None = None
        self.last: ScoredBatch | None = None
        self.error = ""
        self.last_message = ""
        self.last_sink_error = ""
        self.rows_per_s = 0.0
        self.last_retrain_time: pd.Timestamp | None = None
        self.stats: dict[str, int] = {
            "batches_in": 0,
            "rejected_batches": 0,
            "sink_errors": 0,
            "learn_errors": 0,
            "retrains": 0,
            "retrain_failures": 0,
            "retrains_skipped": 0,
            "retrains_discarded": 0,
            "listener_errors": 0,
        }

        self._phase = IDLE
        self._paused = False
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._resumed: asyncio.Event | None = None
        self._wake: asyncio.Event | None = None
        self._progress: asyncio.Event | None = None
        self._in_flight = 0
        self._carry: deque[pd.DataFrame] = deque()
        self._fetching: asyncio.Future | None = None
        self._holding: pd.DataFrame | None = None
        self._current: asyncio.Future | None = None
        self._hand: pd.DataFrame | None = None  # fetched by the producer, not yet queued
        self._suspended = False  # a paused stream parked while step() runs
        self._busy = False
        self._retrain: _Retrain | None = None
        self._executor: ThreadPoolExecutor | None = None
        sectors = getattr(source, "sectors", None)
        self._source_heavy = sectors is not None and len(sectors) > self.offload_rows

    # ------------------------------------------------------------------ state
    @property
    def interval(self) -> float:
        """Wall seconds between two source batches; changes apply to the running stream."""
        return self._interval

    @interval.setter
    def interval(self, value: float) -> None:
        check_range("interval", value, 0)
        self._interval = float(value)
        wake = getattr(self, "_wake", None)
        if wake is not None:
            wake.set()

    @property
    def max_ticks(self) -> int | None:
        """Stop (status "finished") once this many batches were scored; None = unbounded."""
        return self._max_ticks

    @max_ticks.setter
    def max_ticks(self, value: int | None) -> None:
        if value is not None:
            check_range("max_ticks", value, 0)
            value = int(value)
        self._max_ticks = value
        if getattr(self, "_progress", None) is not None:
            self._progress.set()

    @property
    def status(self) -> str:
        """idle | warming_up | running | paused | stopped | finished | failed."""
        if self._phase == RUNNING and not self.detector.is_ready:
            return WARMING_UP
        return self._phase

    @property
    def running(self) -> bool:
        """True while the stream task is alive (also when paused)."""
        alive = self._task is not None and not self._task.done() and not self._stopping
        return alive or self._suspended

    @property
    def paused(self) -> bool:
        return self._paused and self.running

    @property
    def retrain_in_flight(self) -> bool:
        return self._retrain is not None

    @property
    def counters(self) -> dict[str, int]:
        """Validator totals (repairs, drops) plus the pipeline's own counters."""
        totals = getattr(self.validator, "totals", None) or {}
        return {**{str(k): int(v) for k, v in dict(totals).items()}, **self.stats}

    def add_sink(self, sink: Sink) -> None:
        if not callable(sink):
            raise TypeError(f"a sink must be callable with one ScoredBatch; got {sink!r}")
        if sink not in self.sinks:
            self.sinks.append(sink)

    def remove_sink(self, sink: Sink) -> None:
        with contextlib.suppress(ValueError):
            self.sinks.remove(sink)

    def _notify(self, event: str) -> None:
        for listener in tuple(self.listeners):
            try:
                listener(event)
            except Exception as exc:  # a broken observer must not kill the stream
                self.stats["listener_errors"] += 1
                self.last_message = f"listener error: {type(exc).__name__}: {exc}"

    def _say(self, message: str, *, info: bool = False) -> None:
        """Set last_message; routine news (``info``) never hides why the stream is paused."""
        if info and self._phase == PAUSED:
            return
        self.last_message = message

    # --------------------------------------------------------------- control
    def start(self) -> asyncio.Task:
        """Start streaming on the running loop; a second call while running does nothing."""
        if self.running:
            if self._paused:
                self.resume()
            return self._task  # type: ignore[return-value]
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "Pipeline.start() needs a running event loop (a Jupyter kernel has one); "
                "in a script use `await pipeline.step(n)` or start it inside asyncio.run()"
            ) from None
        self.error = ""
        task = self._launch(loop, paused=False)
        self._say("started")
        self._notify("status")
        return task

    def _launch(self, loop: asyncio.AbstractEventLoop, *, paused: bool) -> asyncio.Task:
        previous = self._task if self._task is not None and not self._task.done() else None
        self._stopping = False
        self._paused = paused
        self._phase = PAUSED if paused else RUNNING
        self._resumed = asyncio.Event()
        if not paused:
            self._resumed.set()
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()
        self._task = loop.create_task(self._run(previous), name="telecom-nb-pipeline")
        return self._task

    def pause(self, reason: str = "paused") -> None:
        """Hold the stream (no fetching, no scoring) until :meth:`resume`."""
        if not self.running or self._paused:
            return
        self._paused = True
        self._phase = PAUSED
        if self._resumed is not None:
            self._resumed.clear()
        self._say(reason)
        self._notify("status")

    def resume(self) -> None:
        """Continue a paused stream (starts it if it is not running)."""
        if not self.running:
            self.start()
            return
        if not self._paused:
            return
        self._paused = False
        self._phase = RUNNING
        if self._resumed is not None:
            self._resumed.set()
        self._say("resumed")
        self._notify("status")

    def stop(self) -> None:
        """Stop the stream; safe from sync code, twice, or from another thread.

        The task is cancelled; once the loop runs it leaves no task, no producer and no
        pending retrain (a fit in flight is awaited and its result discarded).
        """
        if self._task is None or self._task.done():
            if self._phase in (RUNNING, PAUSED):
                self._phase = STOPPED
            return
        if self._stopping:
            return
        self._stopping = True
        if self._phase in (RUNNING, PAUSED, IDLE):
            self._phase = STOPPED
        self._paused = False
        task = self._task
        loop = task.get_loop()
        if _on_loop_thread(loop):
            task.cancel()
            self._say("stopped")
            self._notify("status")
        else:
            loop.call_soon_threadsafe(task.cancel)

    async def wait(self) -> str:
        """Until the stream ends (max_ticks, source exhausted, stop or failure); the status."""
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait([task])
        return self.status

    async def aclose(self) -> None:
        """Stop and wait until everything (task, producer, retrain thread) is gone."""
        self.stop()
        await self.wait()
        await self._drain_retrain(install=False)
        self._shutdown_executor()

    # --------------------------------------------------------- deterministic
    async def step(self, n: int = 1) -> list[ScoredBatch]:
        """Process the next ``n`` source batches in order; retrains run synchronously.

        Returns the scored batches (rejected ones are counted, not returned). Stops early
        when the source is exhausted (status "finished"). Raises the source's or the
        detector's exception after recording it (status "failed").
        """
        check_range("n", n, 0)
        if self.running and not self._paused:
            raise RuntimeError("step() needs a paused or stopped stream: pause() it first")
        if not self.running:
            return await self._step(n)
        # Paused live stream: park its task (keeping fetched batches), step, park again.
        await self._suspend()
        try:
            return await self._step(n)
        finally:
            self._suspended = False
            if self._phase == PAUSED:
                self._launch(asyncio.get_running_loop(), paused=True)
            self._notify("status")

    async def _suspend(self) -> None:
        task = self._task
        assert task is not None
        self._suspended = True
        self._stopping = True
        task.cancel()
        await asyncio.wait([task])

    async def _step(self, n: int) -> list[ScoredBatch]:
        await self._drain_retrain(install=True)
        out: list[ScoredBatch] = []
        for _ in range(int(n)):
            try:
                batch = self._carry.popleft() if self._carry else await self._fetch()
            except Exception as exc:
                self._fail(f"source failed: {type(exc).__name__}: {exc}")
                raise
            if batch is None:
                self._phase = FINISHED
                self._say("source exhausted")
                self._notify("status")
                break
            try:
                scored = await self._process(batch, deterministic=True)
            except Exception as exc:
                self._fail(f"scoring failed: {type(exc).__name__}: {exc}")
                raise
            if scored is not None:
                out.append(scored)
        return out

    # ----------------------------------------------------------------- tasks
    async def _run(self, previous: asyncio.Task | None) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        queue: asyncio.Queue = asyncio.Queue(self.queue_size)
        self._in_flight = 0
        producer = asyncio.get_running_loop().create_task(
            self._produce(queue), name="telecom-nb-producer"
        )
        install_pending = False
        try:
            while not self._max_reached():
                item = await queue.get()
                if isinstance(item, pd.DataFrame):
                    self._holding = item  # kept for the next run if stopped right here
                    await self._resumed.wait()  # type: ignore[union-attr]
                    self._in_flight -= 1
                    self._holding = None
                    # A tick is atomic: a stop lets the current one finish, then ends.
                    self._current = asyncio.ensure_future(self._process(item, deterministic=False))
                    try:
                        await asyncio.shield(self._current)
                    finally:
                        self._progress.set()  # type: ignore[union-attr]
                elif isinstance(item, _SourceFailure):
                    exc = item.exc
                    self._fail(f"source failed: {type(exc).__name__}: {exc}")
                    return
                else:
                    break
            self._phase = FINISHED
            install_pending = True
            self._say(
                f"finished after {self.tick} ticks"
                if self._max_reached()
                else f"source exhausted after {self.tick} ticks"
            )
        except asyncio.CancelledError:
            if self._suspended:
                raise
            if self._phase in (RUNNING, PAUSED):
                self._phase = STOPPED
            self._say("stopped")
            raise
        except Exception as exc:
            self._fail(f"scoring failed: {type(exc).__name__}: {exc}")
        finally:
            producer.cancel()
            await asyncio.gather(producer, return_exceptions=True)
            await self._finish_current()
            await self._keep_unprocessed(queue)
            await self._drain_retrain(install=install_pending or self._suspended)
            self._shutdown_executor()
            if not self._suspended:
                self._paused = False
                self._notify("status")

    async def _finish_current(self) -> None:
        """Let a tick interrupted by a stop complete, and surface its error if any."""
        current, self._current = self._current, None
        if current is None:
            return
        if not current.done():
            await asyncio.wait([current])
        if not current.cancelled() and current.exception() is not None:
            exc = current.exception()
            if self._phase != FAILED:
                self._fail(f"scoring failed: {type(exc).__name__}: {exc}")

    def _max_reached(self) -> bool:
        return self._max_ticks is not None and self.tick >= self._max_ticks

    async def _produce(self, queue: asyncio.Queue) -> None:
        loop = asyncio.get_running_loop()
        last_fetch: float | None = None
        while True:
            await self._resumed.wait()  # type: ignore[union-attr]
            if self._max_ticks is not None and self.tick + self._in_flight >= self._max_ticks:
                self._progress.clear()  # type: ignore[union-attr]
                await self._progress.wait()  # type: ignore[union-attr]
                continue
            if last_fetch is not None:
                await self._pace(loop, last_fetch)
                await self._resumed.wait()  # type: ignore[union-attr]
            last_fetch = loop.time()
            try:
                batch = self._carry.popleft() if self._carry else await self._fetch_shielded()
            except Exception as exc:
                await queue.put(_SourceFailure(exc))
                return
            if batch is None:
                await queue.put(_End())
                return
            self._in_flight += 1
            self._hand = batch
            await queue.put(batch)
            self._hand = None

    async def _pace(self, loop: asyncio.AbstractEventLoop, last_fetch: float) -> None:
        """Sleep until ``interval`` after the last fetch; a new interval wakes it up."""
        await asyncio.sleep(0)
        while True:
            remaining = last_fetch + self._interval - loop.time()
            if remaining <= 0:
                return
            self._wake.clear()  # type: ignore[union-attr]
            try:
                await asyncio.wait_for(self._wake.wait(), remaining)  # type: ignore[union-attr]
            except TimeoutError:
                return

    async def _fetch(self) -> pd.DataFrame | None:
        if self._source_heavy:
            batch = await asyncio.to_thread(self.source.next_batch)
        else:
            batch = self.source.next_batch()
        if batch is not None:
            self._source_heavy = len(batch) > self.offload_rows
        return batch

    async def _fetch_shielded(self) -> pd.DataFrame | None:
        """A fetch that a stop cannot cut in half: its batch is kept for the next run."""
        self._fetching = asyncio.ensure_future(self._fetch())
        try:
            batch = await asyncio.shield(self._fetching)
        except asyncio.CancelledError:
            raise  # the fetch goes on; _keep_unprocessed collects its batch
        except Exception:
            self._fetching = None
            raise
        self._fetching = None
        return batch

    async def _keep_unprocessed(self, queue: asyncio.Queue) -> None:
        """After a stop, keep fetched-but-unscored batches (in order) for the next run."""
        kept: list[pd.DataFrame] = []
        if self._holding is not None:
            kept.append(self._holding)
            self._holding = None
        while not queue.empty():
            item = queue.get_nowait()
            if isinstance(item, pd.DataFrame):
                kept.append(item)
        if self._hand is not None:
            kept.append(self._hand)
            self._hand = None
        if self._fetching is not None:
            fetching, self._fetching = self._fetching, None
            await asyncio.wait([fetching])
            if not fetching.cancelled() and fetching.exception() is None:
                batch = fetching.result()
                if batch is not None:
                    kept.append(batch)
        self._carry.extendleft(reversed(kept))
        self._in_flight = 0

    # ------------------------------------------------------------ processing
    async def _process(self, batch: pd.DataFrame, *, deterministic: bool) -> ScoredBatch | None:
        """One tick; None when the batch was rejected."""
        started = time.perf_counter()
        self.stats["batches_in"] += 1
        self._busy = True
        try:
            try:
                frame, report, timestamp = self._validate(batch)
                scores = await self._score(frame)
            except KpiInputError as exc:
                self.stats["rejected_batches"] += 1
                self._say(f"rejected batch: {exc}")
                self._notify("message")
                return None
            scored = self._assemble(frame, scores, timestamp, report)
            self.tick = scored.tick
            self.timestamp = timestamp
            self.last = scored
            for sink in tuple(self.sinks):
                try:
                    sink(scored)
                except Exception as exc:  # one failing sink never stops the others
                    self.stats["sink_errors"] += 1
                    name = getattr(sink, "__qualname__", None) or type(sink).__name__
                    self.last_sink_error = f"{name}: {type(exc).__name__}: {exc}"
                    self._say(f"sink error in {self.last_sink_error}")
            self._learn(frame, timestamp, deterministic=deterministic)
        finally:
            self._busy = False
        self._collect_retrain()
        elapsed = max(time.perf_counter() - started, 1e-9)
        rate = len(frame) / elapsed
        self.rows_per_s = rate if self.rows_per_s == 0 else 0.7 * self.rows_per_s + 0.3 * rate
        self._notify("tick")
        return scored

    def _validate(self, batch: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int], pd.Timestamp]:
        if not isinstance(batch, pd.DataFrame):
            raise KpiInputError(f"a batch must be a pandas DataFrame; got {type(batch).__name__}")
        report: dict[str, int] = {}
        frame = batch
        if self.validator is not None:
            validated = self.validator.validate(batch)
            frame = validated.frame
            report = dict(getattr(validated, "report", {}) or {})
            messages = list(getattr(validated, "messages", []) or [])
            if messages:
                self._say(str(messages[-1]))
        missing = [c for c in (schema.TIMESTAMP, schema.SECTOR) if c not in frame.columns]
        if missing:
            raise KpiInputError(f"batch has no column {', '.join(missing)}")
        if frame.empty:
            raise KpiInputError("batch is empty (no rows left to score)")
        timestamp = pd.Timestamp(frame[schema.TIMESTAMP].max())
        if timestamp.tzinfo is None:
            raise KpiInputError("column timestamp must be tz-aware (UTC)")
        if self.timestamp is not None and timestamp <= self.timestamp:
            raise KpiInputError(
                f"late batch: timestamp {timestamp.isoformat()} is not after the last "
                f"processed batch {self.timestamp.isoformat()}"
            )
        return frame, report, timestamp

    async def _score(self, frame: pd.DataFrame) -> Scores:
        if len(frame) > self.offload_rows:
            scores = await asyncio.to_thread(self.detector.score, frame)
        else:
            scores = self.detector.score(frame)
        for name in ("score", "is_anomaly", "top_kpi"):
            if len(getattr(scores, name)) != len(frame):
                raise ValueError(
                    f"{type(self.detector).__name__}.score returned {name} of length "
                    f"{len(getattr(scores, name))} for a batch of {len(frame)} rows"
                )
        return scores

    def _assemble(
        self,
        frame: pd.DataFrame,
        scores: Scores,
        timestamp: pd.Timestamp,
        report: dict[str, int],
    ) -> ScoredBatch:
        flags = np.asarray(scores.is_anomaly, dtype=bool)
        out = frame.assign(
            **{
                schema.SCORE: np.asarray(scores.score, dtype=np.float64),
                schema.IS_ANOMALY: flags,
                schema.TOP_KPI: np.asarray(scores.top_kpi, dtype=object),
            }
        )
        if self.episodes is not None:
            out["state"] = self.episodes.update(out, timestamp)
        else:
            out["state"] = np.where(flags, ANOMALOUS, NORMAL).astype(object)
        return ScoredBatch(
            tick=self.tick + 1,
            timestamp=timestamp,
            frame=out,
            contributions=scores.contributions,
            model_version=int(self.detector.model_version_),
            detector_ready=bool(self.detector.is_ready),
            report=report,
        )

    # -------------------------------------------------------------- retrains
    def _learn(self, frame: pd.DataFrame, timestamp: pd.Timestamp, *, deterministic: bool) -> None:
        try:
            job = self.detector.learn(frame)
        except Exception as exc:
            self.stats["learn_errors"] += 1
            self._say(f"detector.learn failed: {type(exc).__name__}: {exc}")
            return
        if job is None:
            return
        data_time = job.data_time if job.data_time is not None else timestamp
        if deterministic:
            if job.run_sync():
                self._installed(data_time)
            else:
                self._failed_retrain()
            return
        if self._retrain is not None:
            self.stats["retrains_skipped"] += 1  # one at a time; the detector will ask again
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="telecom-nb-retrain")
        future = asyncio.get_running_loop().run_in_executor(self._executor, job.fit)
        self._retrain = _Retrain(job, future, data_time)
        future.add_done_callback(self._on_fit_done)

    def _on_fit_done(self, future: asyncio.Future) -> None:
        if (self._stopping and not self._suspended) or self._phase in (STOPPED, FAILED):
            self._collect_retrain(install=False)  # a stopped stream never swaps its model
        elif not self._busy:  # never swap a model while a batch is being scored
            self._collect_retrain()

    def _collect_retrain(self, *, install: bool = True) -> None:
        """Install (or fail, or discard) a finished retrain; no-op while it is running."""
        pending = self._retrain
        if pending is None or not pending.future.done():
            return
        self._retrain = None
        if not install or pending.future.cancelled():
            self.stats["retrains_discarded"] += 1
            return
        exc = pending.future.exception()
        if exc is None:
            try:
                pending.job.install(pending.future.result())
            except Exception as install_exc:
                exc = install_exc
        if exc is None:
            self._installed(pending.data_time)
        else:
            pending.job.fail(exc)
            self._failed_retrain(exc)
        self._notify("retrain")

    def _installed(self, data_time: pd.Timestamp | None) -> None:
        self.stats["retrains"] += 1
        self.last_retrain_time = data_time
        self._say(f"model v{self.detector.model_version_} installed", info=True)

    def _failed_retrain(self, exc: BaseException | None = None) -> None:
        self.stats["retrain_failures"] += 1
        detail = f"{type(exc).__name__}: {exc}" if exc else self.detector.last_error_
        self._say(f"retrain failed, old model kept: {detail}")

    async def _drain_retrain(self, *, install: bool) -> None:
        """Wait for a fit in flight, then install it or discard it (never half-install)."""
        pending = self._retrain
        if pending is None:
            return
        if not pending.future.done():
            await asyncio.wait([pending.future])
        self._collect_retrain(install=install)

    def _shutdown_executor(self) -> None:
        if self._executor is not None and self._retrain is None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def _fail(self, message: str) -> None:
        self._phase = FAILED
        self.error = message
        self._say(message)
        self._notify("status")


def _on_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return threading.current_thread() is threading.main_thread() and not loop.is_running()
