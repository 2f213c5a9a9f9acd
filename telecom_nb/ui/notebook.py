"""Small helpers that keep the notebook's cells short and the run modes in one place."""

from __future__ import annotations

import asyncio
from typing import Any

from telecom_nb.ui.dashboard import Dashboard, show_dashboard
from telecom_nb.ui.settings import NotebookSettings, notebook_settings

#: A Voilà page is the dashboard only: the notebook's prose (markdown cells, rendered by
#: Voilà itself) is hidden by this style, shown with the dashboard; the tutorial code
#: cells print nothing there (they test ``settings.in_voila``), so Voilà shows no cell
#: for them. Selectors: Voilà's lab template, then its classic one.
VOILA_PAGE_STYLE = "<style>.jp-MarkdownCell, .text_cell { display: none; }</style>"

#: The monitor and dashboard of the last ``launch`` in this kernel: re-running the cell
#: stops and closes them first, so a kernel never streams twice.
_launched: list[tuple[Any, Dashboard]] = []


def launch(settings: NotebookSettings | None = None, *, display: bool = True,
           **monitor_kwargs: Any) -> tuple[Any, Dashboard]:
    """Build the monitor from the settings, show its dashboard, start the stream.

    The monitor replays ``settings.source`` (``TELECOM_NB_SOURCE``: a ``source.toml``)
    when one is set, else it runs the simulator.

    On a Voilà page (``settings.in_voila``) the page shows the dashboard only.
    Calling it again (re-running the notebook cell) stops the previous monitor and closes
    its dashboard before starting the new one: never two streams in one kernel.
    """
    from telecom_nb.engine.monitor import Monitor

    while _launched:
        old_monitor, old_dashboard = _launched.pop()
        old_monitor.stop()
        old_dashboard.close()
    settings = settings or notebook_settings()
    kwargs = {**settings.monitor_kwargs(), **monitor_kwargs}
    if settings.source is not None:
        monitor = Monitor.from_source(settings.source, **kwargs)
    else:
        monitor = Monitor.simulated(**kwargs)
    if hasattr(monitor, "idle_timeout"):
        monitor.idle_timeout = settings.idle_timeout
    if display and settings.in_voila:
        from IPython.display import HTML
        from IPython.display import display as show

        show(HTML(VOILA_PAGE_STYLE))
    dashboard = show_dashboard(monitor) if display else Dashboard(monitor)
    _launched.append((monitor, dashboard))
    monitor.start()
    return monitor, dashboard


async def finish_short_run(monitor: Any, dashboard: Dashboard,
                           settings: NotebookSettings | None = None) -> None:
    """In a short run at full speed (``interval == 0``), wait for the N ticks and draw.

    Live runs, and short runs paced by ``TELECOM_NB_INTERVAL`` (a Voilà page under a
    browser test), return at once: the stream keeps going in the background and the
    page must not be held back while it does.
    """
    settings = settings or notebook_settings()
    if not settings.short_run or settings.interval > 0:
        return
    await monitor.wait()
    dashboard.refresh()


async def advance(monitor: Any, n: int, timeout: float | None = None) -> int:
    """Let ``n`` more ticks happen and return the tick reached.

    A live stream is simply waited for; a stopped or finished one is stepped by hand
    (so cells after a short run still work).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1; got {n}")
    if getattr(monitor, "running", False) and getattr(monitor, "paused", False):
        raise RuntimeError("the stream is paused: resume() it (or stop() it) before advancing")
    if getattr(monitor, "running", False):
        target = monitor.tick + n
        reached = asyncio.Event()

        def _on_tick(change: dict) -> None:
            if change["new"] >= target:
                reached.set()

        monitor.observe(_on_tick, names="tick")
        try:
            if monitor.tick < target:
                await asyncio.wait_for(reached.wait(), timeout)
        finally:
            monitor.unobserve(_on_tick, names="tick")
    else:
        await monitor.step(n)
    return monitor.tick


def flag_rate(monitor: Any, last: int) -> float:
    """Share of rows flagged over the stream's last ``last`` ticks (engine history).

    Accepts the monitor or its :class:`Dashboard` (which reads the same history).
    """
    monitor = getattr(monitor, "monitor", monitor)
    ticks = monitor.history_frame(last=last)
    if ticks.empty:
        return 0.0
    return float(ticks["n_anomalies"].sum() / max(ticks["n_rows"].sum(), 1))
