"""The status bar: tick, network time, rows/s, model age, retrain, data repairs, errors.

While the fleet reads today as another weekday (the detector's ``day_readings()``, an
undeclared holiday) it says so: "today read as Fri since 02:00 (fleet)". That changes what
is flagged, and a quiet map an analyst cannot explain is one they do not trust.

It also echoes the detector's contamination / threshold, so a change made with a
control (or in code) is visible where a browser test can read it. Two lines of fixed
height that never wrap (what does not fit ends in "…" and is shown whole, over the map,
while the mouse is on the line): a status that re-wrapped every tick moved the map under
the mouse by ~40 px. No tooltip: it would send the long line twice on every tick.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import pandas as pd

from telecom_nb.ui.clock import NetworkClock


def _fmt_age(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, pd.Timedelta):
        return str(value).replace("0 days ", "")
    if isinstance(value, (int, float)):
        return f"{value:g} ticks" if float(value).is_integer() else f"{value:.1f}"
    return html.escape(str(value))


def _fmt_param(value: Any) -> str:
    return "auto" if value is None else html.escape(f"{value:g}" if isinstance(value, float)
                                                    else str(value))


def _repairs(counters: dict[str, int]) -> str:
    """What the stream repaired or could not use, from the typed counters (zeros included)."""
    get = lambda name: int(counters.get(name, 0))  # noqa: E731
    reasons = ", ".join(f"{html.escape(key[len('batches_rejected['):-1])} {int(n):,}"
                        for key, n in counters.items()
                        if key.startswith("batches_rejected[") and n)
    return (f'values blank {get("values_blank"):,} · '
            f'clipped {get("values_clipped"):,} · rows dropped {get("rows_dropped"):,} · '
            f'batches rejected {get("batches_rejected"):,}'
            + (f" ({reasons})" if reasons else ""))


#: sent once with the dashboard's title (not with every tick's status)
STYLE = (".tnb-status{height:40px;width:100%;overflow:hidden}.tnb-status .widget-html-content"
         "{width:100%;overflow:hidden}.tnb-status-line{white-space:nowrap;max-width:100%;"
         "overflow:hidden;text-overflow:ellipsis;height:19px;line-height:19px;font-size:13px}"
         ".tnb-status-detail{font-size:12px;color:#555}"
         ".tnb-status:hover,.tnb-status:hover .widget-html-content{overflow:visible}"
         ".tnb-status-detail:hover{white-space:normal;height:auto;position:relative;"
         "z-index:1000;background:#fff;box-shadow:0 2px 6px rgba(0,0,0,.25)}")


def _line(parts: list[str], css: str) -> str:
    return f'<div class="tnb-status-line {css}">{" | ".join(p for p in parts if p)}</div>'


class StatusLine:
    """Renders the monitor's observable state; call :meth:`refresh` (at most once per tick)."""

    SHOWN_PARAMS = ("contamination", "threshold")

    def __init__(self, monitor: Any, extra: Callable[[], str] | None = None,
                 incidents: Callable[[], str] | None = None):
        self.monitor = monitor
        self.extra = extra  # more text from the dashboard (e.g. heartbeats seen)
        self.incidents = incidents  # "12 open incidents (9 not acknowledged)"
        self.clock = NetworkClock.of(monitor)  # network times in the network's zone
        self.widget = widgets.HTML("", layout=widgets.Layout(width="100%", height="40px"))
        self.widget.add_class("tnb-status")
        self.refresh()

    def text(self) -> str:
        m = self.monitor
        get = lambda name, default=None: getattr(m, name, default)  # noqa: E731
        counters = get("counters", {}) or {}
        alarms = m.alarms
        params = " · ".join(  # (plain text: every byte here is resent on every tick)
            f"{p} {_fmt_param(getattr(alarms, p))}"
            for p in self.SHOWN_PARAMS if p in alarms.param_names()
        )
        n_sectors = len(m.sectors) if getattr(m, "sectors", None) is not None else 0
        first = [
            f'<b class="tnb-status-state">{html.escape(str(get("status", "")))}</b>',
            f"{n_sectors:,} sector{'' if n_sectors == 1 else 's'}",
            f'tick <span class="tnb-status-tick">{get("tick", 0)}</span>',
            f"network time {html.escape(self.clock.format(get('sim_time')))} {self._zone()}",
            f"anomalies {get('n_anomalies', 0)} now",
            self._day_type(),
            self.incidents() if self.incidents is not None else "",
        ]
        error = get("error", "")
        if error:
            first.insert(1, f'<span class="tnb-status-error" style="color:#b00">'
                         f"error: {html.escape(str(error))}</span>")
        message = get("last_message", "")
        second = [
            f"<i>{html.escape(str(message))}</i>" if message else "",
            f"{get('total_anomalies', 0)} anomalies in all, {get('open_episodes', 0)} open "
            "episodes",
            params,
            f"{float(get('rows_per_s', 0) or 0):,.0f} rows/s",
            f"model v{get('model_version', 0)} (age {_fmt_age(get('model_age'))}, "
            f"last retrain {html.escape(self.clock.format(get('last_retrain')))})",
            _repairs(counters),
            self.extra() if self.extra is not None else "",
        ]
        store = getattr(m, "store", None)
        where = html.escape(str(store.path)) if store is not None else "none (memory only)"
        second.append(f'<span class="tnb-status-store">store {where}</span>')
        # the first line is short enough for any screen; the second is cut with "…" on
        # narrow ones and unfolds while hovered (CSS), so neither repeats its text
        return _line(first, "tnb-status-main") + _line(second, "tnb-status-detail")

    def _day_type(self) -> str:
        """The fleet's reading of the current local day, while it holds; "" otherwise (and
        for detectors without ``day_readings``, or with ``day_type`` off)."""
        detector = getattr(self.monitor, "detector", None)
        readings = getattr(detector, "day_readings", None)
        if readings is None or not getattr(detector, "day_type", False):
            return ""
        read = readings()
        today = self.clock.date(getattr(self.monitor, "sim_time", None)) if read else ""
        now = [r for r in read if r.date == today] if today else []
        if not now:
            return ""
        return (f'<span class="tnb-status-daytype">today read as {now[-1].weekday_name} '
                f"since {now[-1].since} (fleet)</span>")

    def _zone(self) -> str:
        return "" if self.clock.is_utc else f"({html.escape(self.clock.name)})"

    def refresh(self) -> None:
        self.widget.value = self.text()
