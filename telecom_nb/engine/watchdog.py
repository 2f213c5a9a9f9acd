"""A watchdog for abandoned pages.

A closed Voilà page leaves its kernel (and the stream) running forever, because the
stream's own output counts as activity. The page therefore sends a heartbeat (about once
a second); when none arrives for ``timeout_s`` *after at least one was seen*, the
stream should pause itself. A notebook that never sends heartbeats is never paused.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from telecom_nb.params import check_range


class Watchdog:
    """Tracks the last heartbeat; ``expired()`` says the watching page is gone."""

    def __init__(
        self, timeout_s: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self.timeout_s = timeout_s
        self.last_beat: float | None = None
        self.beats = 0

    @property
    def timeout_s(self) -> float:
        return self._timeout_s

    @timeout_s.setter
    def timeout_s(self, value: float) -> None:
        check_range("timeout_s", value, 0)
        self._timeout_s = float(value)

    def beat(self) -> None:
        """Record a heartbeat from the page."""
        self.last_beat = self._clock()
        self.beats += 1

    def silence(self) -> float:
        """Seconds since the last heartbeat (0 if none was ever seen)."""
        return 0.0 if self.last_beat is None else self._clock() - self.last_beat

    def expired(self) -> bool:
        """True when enabled (timeout > 0), a beat was seen, and none came for timeout_s."""
        return (
            self._timeout_s > 0
            and self.last_beat is not None
            and (self.silence() > self._timeout_s)
        )


class PagePresence:
    """Mixin of :class:`~telecom_nb.engine.monitor.Monitor`: pause the stream when the
    watching page goes silent, resume when its heartbeat comes back (needs the monitor's
    ``watchdog``, ``runner``, ``_watchdog_paused``, ``_syncing`` and ``_sync``)."""

    def heartbeat(self) -> None:
        """Called by the watching page (about once a second); resumes a watchdog pause."""
        self.watchdog.beat()
        if self._watchdog_paused and self.runner.paused:
            self._watchdog_paused = False
            self.runner.resume()
            self.runner.last_message = "resumed: the page is back"
            self._sync()

    def check_watchdog(self) -> bool:
        """Pause if the watching page went silent; True when it paused now."""
        if not self.watchdog.expired() or not self.runner.running or self.runner.paused:
            return False
        self._watchdog_paused = True
        silence = self.watchdog.silence()
        self._syncing = True  # one trait update for this tick, done by the caller
        try:
            self.runner.pause(f"paused: no heartbeat from the page for {silence:.0f} s")
        finally:
            self._syncing = False
        return True
