"""Background retrains for a live stream: one at a time, fitted off the loop.

The fit runs in a private one-thread executor; scoring goes on with the old model
until the new one is installed *on the loop thread, between ticks*, so a model is never
swapped mid-score. A stream that stops discards a fit in flight (after waiting for it:
no thread outlives the stream).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd

from telecom_nb.detectors.base import RetrainJob
from telecom_nb.engine.scored import Counters


@dataclass
class _InFlight:
    job: RetrainJob
    future: asyncio.Future
    data_time: pd.Timestamp | None


def run_retrain_now(job: RetrainJob | None, counters: Counters) -> bool:
    """Fit and install in this thread (replays, ``step``); True when a model was installed."""
    if job is None:
        return False
    if job.run_sync():
        counters.retrains_done += 1
        return True
    counters.retrains_failed += 1
    return False


class Retrains:
    """Runs a stream's retrain jobs: in line (``step``) or in a worker thread (live).

    ``may_install()`` says whether a fit that just ended may be installed now (no tick in
    flight, stream not stopped); otherwise it waits for :meth:`collect` or :meth:`drain`.
    """

    def __init__(self, counters: Counters, detector: Any,
                 on_done: Callable[[pd.Timestamp | None, str | None], None],
                 may_install: Callable[[], bool] = lambda: True) -> None:
        self.counters = counters
        self.detector = detector
        self.on_done = on_done  # (data time, error text or None) after an install / a failure
        self.may_install = may_install
        self._in_flight: _InFlight | None = None
        self._executor: ThreadPoolExecutor | None = None

    def handle(self, job: RetrainJob, timestamp: pd.Timestamp, *, in_line: bool) -> None:
        """Run the job the detector asked for after the tick at ``timestamp``."""
        data_time = job.data_time if job.data_time is not None else timestamp
        if in_line:
            ok = run_retrain_now(job, self.counters)
            self.on_done(data_time, None if ok else self.detector.last_error_)
        else:
            self.submit(job, data_time)

    def _fitted(self) -> None:
        if self.may_install():
            self.collect()

    @property
    def busy(self) -> bool:
        return self._in_flight is not None

    def submit(self, job: RetrainJob, data_time: pd.Timestamp | None) -> None:
        """Start fitting in the worker thread; one at a time (later asks are skipped)."""
        if self._in_flight is not None:
            self.counters.retrains_skipped += 1  # the detector will ask again
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="telecom-nb-retrain")
        future = asyncio.get_running_loop().run_in_executor(self._executor, job.fit)
        self._in_flight = _InFlight(job, future, data_time)
        future.add_done_callback(lambda _f: self._fitted())

    def collect(self, *, install: bool = True) -> bool:
        """Install (or fail, or discard) a finished fit; False while it is still fitting."""
        pending = self._in_flight
        if pending is None or not pending.future.done():
            return False
        self._in_flight = None
        if not install or pending.future.cancelled():
            pending.job.discard()  # else the detector would wait for this fit forever
            self.counters.retrains_discarded += 1
            return True
        exc = pending.future.exception()
        if exc is None:
            try:
                pending.job.install(pending.future.result())
            except Exception as install_exc:
                exc = install_exc
        if exc is None:
            self.counters.retrains_done += 1
        else:
            pending.job.fail(exc)
            self.counters.retrains_failed += 1
        self.on_done(pending.data_time, None if exc is None else f"{type(exc).__name__}: {exc}")
        return True

    async def drain(self, *, install: bool) -> None:
        """Wait for a fit in flight, then install or discard it (never half-install)."""
        pending = self._in_flight
        if pending is None:
            return
        if not pending.future.done():
            await asyncio.wait([pending.future])
        self.collect(install=install)

    def shutdown(self) -> None:
        if self._executor is not None and self._in_flight is None:
            self._executor.shutdown(wait=True)
            self._executor = None
