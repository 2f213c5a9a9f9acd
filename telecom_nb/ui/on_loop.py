"""The page's widget messages handled on the event loop that owns the dashboard.

JupyterLab sends widget messages over a kernel subshell, and ipykernel 7 handles each one
on the thread of the shell it routes it to: a widget's first message on the main shell,
every later one (the kernel's echo of the first is published under the page's subshell,
and replies follow the last publisher) on the subshell's own thread. The dashboard's
handlers (a filter, a click, a zoom's redraw) then ran there, concurrently with the
stream's per-tick refresh on the main thread and with one another; ipywidgets'
``hold_sync`` is not thread-safe, and a search cleared on the subshell (its zoom redraw
still sending) beside a province chosen on the main shell lost the filter's dimmed style
unsent: the page kept every sector bright under the filter (a Lab test under CI load,
49th session; 1 of 10 loaded runs, 50th). :func:`serve_on_loop` hands every message to
the loop the dashboard was built on, so what it draws changes in one thread, in arrival
order.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterable

import ipywidgets as widgets


def serve_on_loop(built: Iterable[widgets.Widget]) -> int:
    """Handle the page's messages to these widgets on the running loop's thread; returns
    how many widgets were hooked (none without a running loop: scripts and tests, where
    every message arrives on the one thread anyway)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return 0
    owner = threading.get_ident()
    hooked = 0
    for widget in built:
        comm = getattr(widget, "comm", None)
        if comm is not None:
            comm.on_msg(_on_loop(widget._handle_msg, loop, owner))
            hooked += 1
    return hooked


def _on_loop(handle: Callable[[dict], None], loop: asyncio.AbstractEventLoop,
             owner: int) -> Callable[[dict], None]:
    def receive(msg: dict) -> None:
        if threading.get_ident() == owner:
            handle(msg)
            return
        # the receiving shell's context goes along: what the handler publishes (the echo,
        # the redraw) keeps the page's message as parent, so replies stay on its subshell
        with contextlib.suppress(RuntimeError):  # a closed loop: no dashboard is left
            loop.call_soon_threadsafe(handle, msg, context=contextvars.copy_context())

    return receive


def widget_ids() -> set[str]:
    """The model ids of every live widget now (mark before building a dashboard)."""
    from ipywidgets.widgets.widget import _instances  # ipywidgets' registry of live models

    return set(_instances)


def widgets_since(before: set[str]) -> list[widgets.Widget]:
    """The live widgets created since ``before`` (:func:`widget_ids`) was taken."""
    from ipywidgets.widgets.widget import _instances

    return [w for model_id, w in list(_instances.items()) if model_id not in before]
