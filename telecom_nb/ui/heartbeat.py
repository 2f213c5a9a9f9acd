"""A browser-driven heartbeat: proves in the kernel that a page is still watching.

A hidden ``ipywidgets.Play`` ticks in the browser and sends its ``value`` to the kernel
every ``interval_ms``; each change is a beat. When the page closes the beats stop, so the
monitor can pause itself and the idle kernel can be culled.

Three facts shape this class (measured with JupyterLab 4.6, ipywidgets 8.1,
ipykernel 7.4; see ``test_live_dashboard_in_lab``
in ``tests/browser/test_lab.py``):

* The Play's timer lives in its front-end *model* but is started by a *view*, and only on
  a ``playing`` false -> true edge; so :meth:`kick` toggles ``playing`` while beats are
  stale (the dashboard kicks after display and on refreshes while the stream runs, never
  on its own timer, which would keep an abandoned kernel busy).
* The ipywidgets front end sends a model's next update only after the kernel reported
  ``idle`` for the previous one. ipykernel 7 routes an incoming comm message to the
  subshell that last *published* on that comm; for this Play that is the main shell (the
  stream task's kicks carry the running cell's parent). While a cell holds the main shell
  (``await advance(...)`` in the notebook), ipykernel dispatches the comm message
  concurrently and publishes *no* busy/idle for it, so the model's throttle waits forever:
  one beat, then silence (Lab sends widget comms over a subshell, Voilà does not, which
  is why only Lab paused). :func:`_route_to_sender` keeps the beats on the subshell the
  page sent them on, where they are handled, and acknowledged, at once.
* Should a model still wedge (a front end without subshells while a cell awaits), a kick
  that goes unanswered for ``renew_after`` seconds replaces the Play with a fresh model.

Beats handled on a subshell arrive on another thread: ``on_beat`` is handed to the
event loop that built the heartbeat, so the monitor is only ever touched on its loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable

import ipywidgets as widgets


def _route_to_sender(widget: widgets.Widget) -> None:
    """Handle this widget's incoming messages on the subshell the page sent them on.

    Overrides ipykernel's (>= 7) per-comm reply routing, which would send them to the
    subshell that last published on the comm; older kernels have no such hook.
    """
    comm = getattr(widget, "comm", None)
    if comm is not None and hasattr(comm, "_reply_subshell_for"):
        comm._reply_subshell_for = lambda _data, default: default


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Heartbeat:
    """A hidden Play whose ticks call ``on_beat`` on the loop that created it."""

    def __init__(self, on_beat: Callable[[], None], interval_ms: int = 1000,
                 stale_after: float = 3.0, renew_after: float = 6.0,
                 clock: Callable[[], float] = time.monotonic):
        self._on_beat = on_beat
        self._clock = clock
        self.interval_ms = interval_ms
        self.stale_after = stale_after
        self.renew_after = renew_after
        self.last_beat: float | None = None
        self.beats = 0
        self.renewals = 0
        self._unanswered_since: float | None = None  # first kick no beat has followed
        self._loop = _running_loop()
        self._thread = threading.get_ident()
        self.play = self._new_play()
        self.widget = widgets.Box([self.play], layout=widgets.Layout(display="none"))
        self.widget.add_class("tnb-heartbeat")

    def _new_play(self) -> widgets.Play:
        play = widgets.Play(value=0, min=0, max=10**9, step=1, interval=self.interval_ms,
                            repeat=True, playing=False, show_repeat=False,
                            layout=widgets.Layout(display="none"))
        play.observe(self._beat, names="value")
        _route_to_sender(play)
        return play

    def _beat(self, _change) -> None:
        self.last_beat = self._clock()
        self.beats += 1
        loop = self._loop
        if loop is None or threading.get_ident() == self._thread:
            self._on_beat()
            return
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is left to tell
            loop.call_soon_threadsafe(self._on_beat)

    @property
    def stale(self) -> bool:
        return self.last_beat is None or self._clock() - self.last_beat > self.stale_after

    def kick(self) -> None:
        """(Re)start the browser-side timer if no beat arrived recently.

        A kick left unanswered for ``renew_after`` seconds swaps in a fresh Play (a new
        front-end model, whose update throttle cannot be stuck), but only once a page has
        beaten at all: a stuck throttle sends one beat first, while before any beat there
        may be no page yet (Voilà connects after every cell has run; a model closed while
        its page restores the widgets is a "Comm not found" error in that page).
        """
        if not self.stale:
            self._unanswered_since = None
            return
        now = self._clock()
        answered = (self.last_beat is not None and self._unanswered_since is not None
                    and self.last_beat >= self._unanswered_since)
        if self._unanswered_since is None or answered:
            self._unanswered_since = now
        elif self.last_beat is not None and now - self._unanswered_since > self.renew_after:
            self.renew()
            self._unanswered_since = now
        self.play.playing = False  # two messages: the front end sees a false -> true edge
        self.play.playing = True

    def renew(self) -> None:
        """Replace the Play with a fresh one (its view is created by the page).

        The old one is told to stop before it is closed: its timer lives in the front-end
        model, which outlives the close and would go on syncing a model without a comm
        ("Syncing error: no comm channel defined" in the page once a second)."""
        old, self.play = self.play, self._new_play()
        self.widget.children = (self.play,)
        old.unobserve(self._beat, names="value")
        old.playing = False  # sent before the close, so the front-end loop ends
        old.close()
        self.renewals += 1

    def close(self) -> None:
        self.play.unobserve(self._beat, names="value")
        self.play.close()
        self.widget.close()
