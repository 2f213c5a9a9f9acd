"""The live stream over time, read from the status line: samples taken by the test between
its own steps (``watch_status``) or by the page itself (``StatusRecorder``), and what is
wrong with a watch of a stream that should keep running (``live_problems``).

The page's own recorder keeps sampling while the test clicks, types and waits on other
things, so a page can be watched for several idle timeouts *while* a person uses it: a
pause (or a stall) in the middle of a long click sequence is seen, not skipped over.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from browser_probes import STATUS, status_float

_STATUS_TEXT_JS = """
(sel) => { const e = document.querySelector(sel); return e ? e.textContent.trim() : ''; }
"""


@dataclass(frozen=True)
class StatusSample:
    """The status line at one instant (``textContent``: also read when scrolled away)."""

    at_s: float  # seconds since the watch began
    status: str

    @property
    def tick(self) -> int | None:
        value = status_float(self.status, "tick")
        return None if value is None else int(value)

    @property
    def heartbeats(self) -> int | None:
        value = status_float(self.status, "page heartbeats")
        return None if value is None else int(value)

    @property
    def paused(self) -> bool:
        return self.status.startswith("paused") or "paused:" in self.status


def watch_status(page, seconds: float, root: str = "", every_s: float = 1.0,
                 during: Callable[[float], None] | None = None) -> list[StatusSample]:
    """Read the status line every ``every_s`` for ``seconds``; ``during(elapsed)`` runs
    after each reading (e.g. to scroll the page as a user would)."""
    selector = f"{root} {STATUS}" if root else STATUS
    t0 = time.monotonic()
    samples: list[StatusSample] = []
    while True:
        elapsed = time.monotonic() - t0
        samples.append(StatusSample(elapsed, page.evaluate(_STATUS_TEXT_JS, selector)))
        if elapsed >= seconds:
            return samples
        if during is not None:
            during(elapsed)
        page.wait_for_timeout(every_s * 1000)


def longest_stall_s(samples: list[StatusSample]) -> float:
    """The longest time the tick did not move (to the end of the watch)."""
    longest, since, last = 0.0, samples[0].at_s, samples[0].tick
    for sample in samples[1:]:
        if sample.tick != last:
            since, last = sample.at_s, sample.tick
        longest = max(longest, sample.at_s - since)
    return longest


def live_problems(samples: list[StatusSample], idle_timeout_s: float,
                  interval_s: float) -> list[str]:
    """What is wrong with a watch of a live stream that should keep running: it paused, its
    tick stalled for half an idle timeout, it made under half its paced ticks, or the page's
    heartbeats did not keep coming (at least one per two seconds)."""
    watched = samples[-1].at_s - samples[0].at_s
    if any(s.tick is None or s.heartbeats is None for s in samples):
        return ["the status line lacks the tick or the page heartbeats"]
    problems = []
    paused = [s for s in samples if s.paused]
    if paused:
        problems.append(f"paused at {paused[0].at_s:.0f}s: {paused[0].status[-80:]!r}")
    if longest_stall_s(samples) >= idle_timeout_s / 2:
        problems.append(f"the tick stalled for {longest_stall_s(samples):.0f}s")
    if samples[-1].tick - samples[0].tick < watched / interval_s / 2:
        problems.append(f"only {samples[-1].tick - samples[0].tick} ticks in {watched:.0f}s")
    if samples[-1].heartbeats - samples[0].heartbeats < watched / 2:
        problems.append(f"only {samples[-1].heartbeats - samples[0].heartbeats} page "
                        f"heartbeats in {watched:.0f}s")
    return problems


# the status line's text every ``every`` ms, kept in the page (seconds since the start)
_RECORD_JS = """([sel, every]) => {
  clearInterval(window.__tnbStatusTimer);
  const log = (window.__tnbStatusLog = []);
  const t0 = performance.now();
  const read = () => { const e = document.querySelector(sel);
    log.push([(performance.now() - t0) / 1000, e ? e.textContent.trim() : '']); };
  read();
  window.__tnbStatusTimer = setInterval(read, every);
}"""
_RECORDED_JS = """(stop) => { if (stop) clearInterval(window.__tnbStatusTimer);
  return window.__tnbStatusLog || []; }"""


class StatusRecorder:
    """The page reads its status line every ``every_s`` on its own timer from ``start()``
    until ``stop()``, whatever the test does meanwhile (one recorder per page)."""

    def __init__(self, page, root: str = "", every_s: float = 0.5) -> None:
        self.page, self.selector, self.every_s = page, f"{root} {STATUS}".strip(), every_s

    def start(self) -> StatusRecorder:
        self.page.evaluate(_RECORD_JS, [self.selector, self.every_s * 1000])
        return self

    def samples(self, stop: bool = False) -> list[StatusSample]:
        return [StatusSample(at, text) for at, text in self.page.evaluate(_RECORDED_JS, stop)]

    def stop(self) -> list[StatusSample]:
        return self.samples(stop=True)

    def watched_s(self) -> float:
        """Seconds between the first and the last sample so far."""
        samples = self.samples()
        return samples[-1].at_s - samples[0].at_s

    def keep_watching(self, seconds: float) -> None:
        """Wait (the page still recording) until it has recorded for ``seconds``."""
        while (left := seconds - self.watched_s()) > 0:
            self.page.wait_for_timeout(min(left, 2.0) * 1000 + 100)
