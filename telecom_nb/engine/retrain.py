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

import pandas as pd

from telecom_nb.detectors.base import RetrainJob
from telecom_nb.engine.scored import Counters


@dataclass
class _InFlight:
    job: RetrainJob
    future: asyncio.Future
    data_time: pd.Timestamp | None


class BackgroundRetrains:
    """Runs retrain jobs in a worker thread; ``collect`` installs a finished one."""

    def __init__(self, counters: Counters,
                 on_done: Callable[[pd.Timestamp | None, str | None], None]) -> None:
        self.counters = counters
        self.on_done = on_done  # (data time, error text or None) after an install / a failure
        self._in_flight: _InFlight | None = None
        self._executor: ThreadPoolExecutor | None = None

    @property
    def busy(self) -> bool:
        return self._in_flight is not None

    def submit(self, job: RetrainJob, data_time: pd.Timestamp | None,
               on_fitted: Callable[[], None]) -> None:
        """Start fitting; ``on_fitted`` is called on the loop when the fit ends."""
        if self._in_flight is not None:
            self.counters.retrains_skipped += 1  # the detector will ask again
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="telecom-nb-retrain")
        future = asyncio.get_running_loop().run_in_executor(self._executor, job.fit)
        self._in_flight = _InFlight(job, future, data_time)
        future.add_done_callback(lambda _f: on_fitted())

    def collect(self, *, install: bool = True) -> bool:
        """Install (or fail, or discard) a finished fit; False while it is still fitting."""
        pending = self._in_flight
        if pending is None or not pending.future.done():
            return False
        self._in_flight = None
        if not install or pending.future.cancelled():
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
