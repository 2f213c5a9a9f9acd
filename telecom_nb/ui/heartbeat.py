"""A browser-driven heartbeat: proves in the kernel that a page is still watching.

A hidden ``ipywidgets.Play`` ticks in the browser and sends its ``value`` to the
kernel every ``interval_ms``; each change calls ``on_beat``. When the page closes the
beats stop, so the monitor can pause itself and the idle kernel can be culled.

The Play front end only starts counting when ``playing`` *changes* to true while a view
exists, so :meth:`kick` toggles it whenever beats are stale; the dashboard kicks after
display and on refreshes while the stream is running (never on its own timer, which
would keep an abandoned kernel busy).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import ipywidgets as widgets


class Heartbeat:
    def __init__(self, on_beat: Callable[[], None], interval_ms: int = 1000,
                 stale_after: float = 3.0, clock: Callable[[], float] = time.monotonic):
        self._on_beat = on_beat
        self._clock = clock
        self.stale_after = stale_after
        self.last_beat: float | None = None
        self.beats = 0
        self.widget = widgets.Play(value=0, min=0, max=10**9, step=1, interval=interval_ms,
                                   repeat=True, playing=False, show_repeat=False,
                                   layout=widgets.Layout(display="none"))
        self.widget.add_class("tnb-heartbeat")
        self.widget.observe(self._beat, names="value")

    def _beat(self, _change) -> None:
        self.last_beat = self._clock()
        self.beats += 1
        self._on_beat()

    @property
    def stale(self) -> bool:
        return self.last_beat is None or self._clock() - self.last_beat > self.stale_after

    def kick(self) -> None:
        """(Re)start the browser-side timer if no beat arrived recently."""
        if not self.stale:
            return
        self.widget.playing = False  # two messages: the front end sees a false -> true edge
        self.widget.playing = True
