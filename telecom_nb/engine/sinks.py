"""Sink helpers for front ends that render slower than the stream produces.

Sinks are called synchronously on the event loop for every scored batch, so they must be
cheap. A UI that takes longer to draw than a tick lasts should not draw from the sink;
it registers a :class:`CoalescingSink` and renders :meth:`CoalescingSink.take` from its
own timer: intermediate frames are skipped (and counted) while the detector, history
and episodes still see every batch.
"""

from __future__ import annotations

from collections.abc import Callable

from telecom_nb.engine.scored import ScoredBatch

Sink = Callable[[ScoredBatch], object]


class Sinks(list):
    """The stream's sinks, called in order; one failing sink never stops the others."""

    def add(self, sink: Sink) -> None:
        if not callable(sink):
            raise TypeError(f"a sink must be callable with one ScoredBatch; got {sink!r}")
        if sink not in self:
            self.append(sink)

    def discard(self, sink: Sink) -> None:
        if sink in self:
            self.remove(sink)

    def publish(self, scored: ScoredBatch) -> list[str]:
        """Call every sink; the errors as ``"name: Type: message"``."""
        errors = []
        for sink in tuple(self):
            try:
                sink(scored)
            except Exception as exc:
                name = getattr(sink, "__qualname__", None) or type(sink).__name__
                errors.append(f"{name}: {type(exc).__name__}: {exc}")
        return errors


class CoalescingSink:
    """Remembers only the latest scored batch and whether it was rendered yet."""

    def __init__(self) -> None:
        self.latest: ScoredBatch | None = None
        self.pending = False
        self.received = 0  # batches delivered by the pipeline
        self.rendered = 0  # batches handed out by take()
        self.skipped = 0  # batches replaced before anyone took them

    def __call__(self, scored: ScoredBatch) -> None:
        if self.pending:
            self.skipped += 1
        self.latest = scored
        self.pending = True
        self.received += 1

    def take(self) -> ScoredBatch | None:
        """The latest batch if not taken yet, else None (nothing new to draw)."""
        if not self.pending:
            return None
        self.pending = False
        self.rendered += 1
        return self.latest

    def render_pending(self, render: Callable[[ScoredBatch], object]) -> bool:
        """Call ``render`` with the latest batch if there is a new one; True if it did."""
        scored = self.take()
        if scored is None:
            return False
        render(scored)
        return True

    @property
    def stats(self) -> dict[str, int]:
        return {"received": self.received, "rendered": self.rendered, "skipped": self.skipped}
