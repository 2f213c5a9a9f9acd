"""The asyncio side of a live stream: start / pause / resume / stop / step, pacing.

One task runs on the loop that is already running (the Jupyter kernel's): wait while
paused, pace to ``interval`` wall seconds per tick, fetch a batch, run it through the
:class:`~telecom_nb.engine.tick.Tick`, hand the scored batch to the sinks, start a
retrain if the detector asked for one. A batch is either being fetched or being scored
(both shielded: a stop lets them finish) or kept by the fetcher for the next run; the
source is paced, so a queue of prefetched batches would buy nothing but stale data.
Heavy batches are fetched and scored in a worker thread so the loop stays responsive.

Failures are state, never a silently dead task: a source error ends the stream with
``status == "failed"`` and ``error`` set; a rejected batch, a failing sink or a failing
retrain is counted, reported in ``last_message``, and the stream goes on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

import pandas as pd

from telecom_nb.engine.fetch import OFFLOAD_ROWS, BatchFetcher
from telecom_nb.engine.heap import trim_heap
from telecom_nb.engine.live_loop import LiveLoop
from telecom_nb.engine.retrain import Retrains
from telecom_nb.engine.scored import ScoredBatch
from telecom_nb.engine.sinks import Sink, Sinks
from telecom_nb.engine.state import LIVE, WARMING_UP, RunState, on_loop_thread
from telecom_nb.engine.tick import Tick
from telecom_nb.errors import KpiInputError
from telecom_nb.params import check_range
from telecom_nb.sources.base import Source

Listener = Callable[[str], object]



class Runner(LiveLoop):
    """Streams a :class:`Source` through a :class:`Tick` into sinks.

    Live: :meth:`start` / :meth:`pause` / :meth:`resume` / :meth:`stop`, then ``await``
    :meth:`wait` or :meth:`aclose`. Deterministic (tests, bench, notebooks): ``await
    step(n)`` processes the next n batches in order, retrains in line.
    """

    def __init__(self, source: Source, engine: Tick, sinks: Iterable[Sink] = (), *,
                 interval: float = 2.5, max_ticks: int | None = None,
                 offload_rows: int = OFFLOAD_ROWS) -> None:
        self.source = source
        self.engine = engine
        self.sinks = Sinks(sinks)
        self.listeners: list[Listener] = []
        self.offload_rows = int(offload_rows)
        self.state = RunState.IDLE
        self.error = ""
        self.last_message = ""
        self.last_sink_error = ""
        self.rows_per_s = 0.0
        self.last: ScoredBatch | None = None
        self.last_retrain_time: pd.Timestamp | None = None
        self.retrains = Retrains(engine.counters, engine.detector, self._retrain_done,
                                 may_install=lambda: not self._busy and self.state in LIVE)
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._resumed = self._wake = self._lock = None  # asyncio primitives of that loop
        self._interval = 0.0
        self.interval = interval
        self.max_ticks = max_ticks
        self.fetcher = BatchFetcher(source, offload_rows)
        self._scoring: asyncio.Future | None = None
        self._busy = False  # a tick is in flight: a finished fit waits to be installed

    # ---------------------------------------------------------------- state
    @property
    def interval(self) -> float:
        """Wall seconds between two batches; a change applies to the running stream."""
        return self._interval

    @interval.setter
    def interval(self, value: float) -> None:
        check_range("interval", value, 0)
        self._interval = float(value)
        if self._wake is not None:
            self._wake.set()

    @property
    def max_ticks(self) -> int | None:
        """Finish once this many batches were scored; None = unbounded."""
        return self._max_ticks

    @max_ticks.setter
    def max_ticks(self, value: int | None) -> None:
        if value is not None:
            check_range("max_ticks", value, 0)
            value = int(value)
        self._max_ticks = value

    @property
    def detector(self):
        return self.engine.detector

    @property
    def tick(self) -> int:
        return self.engine.tick

    @property
    def timestamp(self) -> pd.Timestamp | None:
        return self.engine.timestamp

    @property
    def status(self) -> str:
        """idle | warming_up | running | paused | stopped | finished | failed."""
        if self.state is RunState.RUNNING and not self.detector.is_ready:
            return WARMING_UP
        return self.state.value

    @property
    def running(self) -> bool:
        """True while the stream's task is alive and not stopping (also when paused)."""
        return self._task is not None and not self._task.done() and self.state in LIVE

    @property
    def paused(self) -> bool:
        return self.running and self.state is RunState.PAUSED

    @property
    def retrain_in_flight(self) -> bool:
        return self.retrains.busy

    @property
    def counters(self) -> dict[str, int]:
        return self.engine.counters.as_dict()

    def add_sink(self, sink: Sink) -> None:
        self.sinks.add(sink)

    def remove_sink(self, sink: Sink) -> None:
        self.sinks.discard(sink)

    def _notify(self, event: str) -> None:
        for listener in tuple(self.listeners):
            try:
                listener(event)
            except Exception as exc:  # a broken observer must not kill the stream
                self.engine.counters.listener_errors += 1
                self.last_message = f"listener error: {type(exc).__name__}: {exc}"

    def _say(self, message: str, *, info: bool = False) -> None:
        """Set last_message; routine news (``info``) never hides why the stream is paused."""
        if info and self.state is RunState.PAUSED:
            return
        self.last_message = message

    # -------------------------------------------------------------- control
    def start(self) -> asyncio.Task:
        """Start streaming on the running loop; while running it only resumes a pause."""
        if self.running:
            self.resume()
            return self._task  # type: ignore[return-value]
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "start() needs a running event loop (a Jupyter kernel has one); "
                "in a script use `await step(n)` or start it inside asyncio.run()"
            ) from None
        self.error = ""
        previous = self._task if self._task is not None and not self._task.done() else None
        self._bind(loop, force=previous is None)
        self.state = RunState.RUNNING
        self._resumed.set()  # type: ignore[union-attr]
        self._task = loop.create_task(self._run(previous), name="telecom-nb-stream")
        self._say("started")
        self._notify("status")
        return self._task

    def _bind(self, loop: asyncio.AbstractEventLoop, *, force: bool = False) -> None:
        """Fresh asyncio primitives for ``loop`` (each ``asyncio.run`` has its own)."""
        if self._loop is loop and not force and self._lock is not None:
            return
        self._loop = loop
        self._resumed = asyncio.Event()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    def pause(self, reason: str = "paused") -> None:
        """Hold the stream (no fetching, no scoring) until :meth:`resume`."""
        if not self.running or self.state is RunState.PAUSED:
            return
        self.state = RunState.PAUSED
        self._resumed.clear()  # type: ignore[union-attr]
        self._say(reason)
        self._notify("status")

    def resume(self) -> None:
        """Continue a paused stream (starts it if it is not running)."""
        if not self.running:
            self.start()
            return
        if self.state is not RunState.PAUSED:
            return
        self.state = RunState.RUNNING
        self._resumed.set()  # type: ignore[union-attr]
        self._say("resumed")
        self._notify("status")

    def stop(self) -> None:
        """Stop the stream; safe from sync code, twice, or from another thread.

        The task is cancelled; a fetch or tick in flight completes, a fetched batch is
        kept for the next start, a retrain in flight is awaited and discarded.
        """
        task = self._task
        if self.state in LIVE:
            self.state = RunState.STOPPED
        if task is None or task.done():
            return
        loop = task.get_loop()
        if on_loop_thread(loop):
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
        """Stop and wait until no task, fetch or retrain thread is left."""
        self.stop()
        await self.wait()
        await self.retrains.drain(install=False)
        self.retrains.shutdown()

    # -------------------------------------------------------- deterministic
    async def step(self, n: int = 1) -> list[ScoredBatch]:
        """Process the next ``n`` batches in order; retrains run in line.

        Returns the scored batches (rejected ones are counted, not returned); stops early
        when the source is exhausted (status "finished"). A source or scoring exception
        is recorded (status "failed") and raised.
        """
        check_range("n", n, 0)
        if self.running and self.state is RunState.RUNNING:
            raise RuntimeError("step() needs a paused or stopped stream: pause() it first")
        self._bind(asyncio.get_running_loop(), force=not self.running)
        out: list[ScoredBatch] = []
        async with self._lock:  # type: ignore[union-attr]
            await self.retrains.drain(install=True)
            for _ in range(int(n)):
                try:
                    batch = await self.fetcher.next()
                except Exception as exc:
                    self._fail(f"source failed: {type(exc).__name__}: {exc}")
                    raise
                if batch is None:
                    self.state = RunState.FINISHED
                    self._say("source exhausted")
                    break
                try:
                    scored = await self._process(batch, in_line=True)
                except Exception as exc:
                    self._fail(f"scoring failed: {type(exc).__name__}: {exc}")
                    raise
                if scored is not None:
                    out.append(scored)
        if not self.running:
            self.retrains.shutdown()
        self._notify("status")
        return out

    # ----------------------------------------------------------- one batch
    async def _process(self, batch: pd.DataFrame, *, in_line: bool = False
                       ) -> ScoredBatch | None:
        """One tick through the engine, then sinks and retrain; None when rejected."""
        started = time.perf_counter()
        learn_errors = self.engine.counters.learn_errors
        self._busy = True
        large = isinstance(batch, pd.DataFrame) and len(batch) > self.offload_rows
        try:
            try:
                scored, job = (await asyncio.to_thread(self.engine.run, batch) if large
                               else self.engine.run(batch))
            except KpiInputError as exc:
                self._say(f"rejected batch: {exc}")
                self._notify("message")
                return None
            if self.engine.counters.learn_errors > learn_errors:
                self._say(self.engine.last_learn_error)
            self.last = scored
            for error in self.sinks.publish(scored):
                self.engine.counters.sink_errors += 1
                self.last_sink_error = error
                self._say(f"sink error in {error}")
            if job is not None:
                self.retrains.handle(job, scored.timestamp, in_line=in_line)
        finally:
            self._busy = False
            if large:
                trim_heap()  # the tick's temporaries and its sinks' (~10 ms at 100k)
        self.retrains.collect()  # a fit that ended during the tick
        elapsed = max(time.perf_counter() - started, 1e-9)
        rate = scored.n_rows / elapsed
        self.rows_per_s = rate if self.rows_per_s == 0 else 0.7 * self.rows_per_s + 0.3 * rate
        self._notify("tick")
        return scored

    # ------------------------------------------------------------ retrains
    def _retrain_done(self, data_time: pd.Timestamp | None, error: str | None) -> None:
        if error is None:
            self.last_retrain_time = data_time
            self._say(f"model v{self.detector.model_version_} installed", info=True)
        else:
            self._say(f"retrain failed, old model kept: {error}")
        self._notify("retrain")

    def _fail(self, message: str) -> None:
        self.state = RunState.FAILED
        self.error = message
        self._say(message)
        self._notify("status")
