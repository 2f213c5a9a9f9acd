"""The live stream's task: wait while paused, pace, fetch, score, until stopped.

A mixin of :class:`~telecom_nb.engine.runner.Runner` (its state, fetcher, lock and
events; ``_process`` scores one batch): the loop that produces ticks on its own, apart
from the controls (start / pause / resume / stop) and the deterministic ``step``.
"""

from __future__ import annotations

import asyncio

from telecom_nb.engine.state import LIVE, RunState


class LiveLoop:
    """The producer loop and its pacing; mixed into the runner (no state of its own)."""

    async def _run(self, previous: asyncio.Task | None) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        loop = asyncio.get_running_loop()
        last_fetch: float | None = None
        try:
            while True:
                await self._resumed.wait()  # type: ignore[union-attr]
                if self._max_reached():
                    self._finish(f"finished after {self.tick} ticks")
                    return
                if last_fetch is not None:
                    await self._pace(loop, last_fetch)
                async with self._lock:  # type: ignore[union-attr]
                    if not self._resumed.is_set():  # type: ignore[union-attr]
                        continue  # paused while pacing
                    last_fetch = loop.time()
                    try:
                        batch = await self.fetcher.next()
                    except Exception as exc:
                        self._fail(f"source failed: {type(exc).__name__}: {exc}")
                        return
                    if batch is None:
                        self._finish(f"source exhausted after {self.tick} ticks")
                        return
                    if not self._resumed.is_set():  # type: ignore[union-attr]
                        self.fetcher.keep(batch)  # paused while fetching: keep it
                        continue
                    self._scoring = asyncio.ensure_future(self._process(batch))
                    await asyncio.shield(self._scoring)  # a stop lets the tick finish
                    self._scoring = None
        except asyncio.CancelledError:
            if self.state in LIVE:
                self.state = RunState.STOPPED
            self._say("stopped")
            raise
        except Exception as exc:
            self._fail(f"scoring failed: {type(exc).__name__}: {exc}")
        finally:
            await self._settle()
            await self.retrains.drain(install=self.state is RunState.FINISHED)
            self.retrains.shutdown()
            self._notify("status")

    def _finish(self, message: str) -> None:
        self.state = RunState.FINISHED
        self._say(message)

    def _max_reached(self) -> bool:
        return self._max_ticks is not None and self.tick >= self._max_ticks

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

    async def _settle(self) -> None:
        """After a stop: keep a batch still being fetched, finish a tick still running."""
        await self.fetcher.settle()
        scoring, self._scoring = self._scoring, None
        if scoring is not None:
            await asyncio.wait([scoring])
            if not scoring.cancelled() and scoring.exception() is not None:
                exc = scoring.exception()
                self._fail(f"scoring failed: {type(exc).__name__}: {exc}")

