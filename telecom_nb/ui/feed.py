"""The alert feed: the monitor's alert episodes (open first), bounded, as one HTML table.

The rows come from the engine's episode tracker each time it changed; the widget keeps no
list of its own. A flapping sector is one episode, so it is one row, not a storm.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence

import ipywidgets as widgets
import numpy as np
import pandas as pd

from telecom_nb.schema import PROVINCE, SECTOR, TOP_KPI
from telecom_nb.ui.clock import NetworkClock

TITLE = "Alert episodes"
HEADERS = ["start ({zone})", "sector", "province", "duration (ticks)", "status", "peak score",
           "top KPI"]
#: the table's CSS, sent once with the feed's title (not with every redraw)
STYLE = (
    "<style>.tnb-feed-table{border-collapse:collapse;font-size:12px}"
    ".tnb-feed-table td,.tnb-feed-table th{padding:1px 6px;border-bottom:1px solid #ddd;"
    "text-align:right;white-space:nowrap}.tnb-feed-table th{white-space:normal;"
    "vertical-align:bottom}.tnb-feed-table tr.tnb-episode-open td{color:#b00}</style>"
)
MISSING = "–"


def _text(values: pd.Series) -> np.ndarray:
    return np.array([html.escape(str(v)) for v in values.fillna("")], dtype=object)


def _number(frame: pd.DataFrame, column: str, fmt: str = "%.2f") -> np.ndarray:
    """Formatted numbers; ``–`` where missing (NaN, or a KPI the stream does not carry)."""
    if column not in frame:
        return np.full(len(frame), MISSING, dtype=object)
    values = frame[column].to_numpy(dtype=float, na_value=np.nan)
    out = np.char.mod(fmt, values).astype(object)
    out[~np.isfinite(values)] = MISSING
    return out


def render_episodes(episodes: pd.DataFrame, kpis: Sequence[str] = (),
                    labels: Mapping[str, str] | None = None,
                    clock: NetworkClock | None = None, more: bool = False) -> str:
    """One ``<tr>`` per episode inside a ``<tbody>`` (vectorised string building).

    ``kpis`` are the stream's KPIs: one column each with the KPI's value at the peak;
    start times are on the network's wall clock, its zone named in the header. ``more``
    says that older episodes exist beyond these rows.
    """
    labels, clock = labels or {}, clock or NetworkClock()
    if episodes.empty:
        return "<i>No alert episodes yet.</i>"
    start = clock.format_many(episodes["start"])
    is_open = episodes["is_open"].to_numpy(dtype=bool)
    cells = [
        start.fillna(MISSING).to_numpy(dtype=object),
        _text(episodes[SECTOR]),
        _text(episodes[PROVINCE]) if PROVINCE in episodes else np.full(len(episodes), ""),
        _number(episodes, "duration_ticks", "%d"),
        np.where(is_open, "open", "closed").astype(object),
        _number(episodes, "peak_score", "%.3f"),
        _text(episodes[TOP_KPI].map(lambda k: labels.get(k, k)).replace("", MISSING)),
        *(_number(episodes, f"peak_{kpi}") for kpi in kpis),
    ]
    row_open = np.where(is_open, '<tr class="tnb-episode-open"><td>', "<tr><td>").astype(object)
    # HTML closes a cell at the next <td> and a row at the next <tr>: the closing tags
    # would be a third of the bytes resent on every redraw
    body = row_open + cells[0]
    for column in cells[1:]:
        body = body + "<td>" + column
    names = [HEADERS[0].format(zone=html.escape(clock.name)), *HEADERS[1:],
             *(html.escape(labels.get(k, k)) for k in kpis)]
    head = "".join(f"<th>{h}</th>" for h in names)
    footer = ('<div style="font-size:11px;color:#666">older episodes: '
              "<code>monitor.recent_episodes()</code></div>" if more else "")
    return (f'<table class="tnb-feed-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>{footer}")


class EpisodeFeed:
    """Shows ``episodes(max_rows)``; redraws only when ``version()`` moved since last time.

    ``episodes`` is e.g. ``monitor.recent_episodes`` and ``version`` the tracker's change
    counter, so a tick that changed no episode costs one integer comparison.
    """

    def __init__(self, episodes: Callable[[int], pd.DataFrame], version: Callable[[], int],
                 max_rows: int = 200, *, kpis: Sequence[str] = (),
                 labels: Mapping[str, str] | None = None, clock: NetworkClock | None = None):
        if max_rows < 1:
            raise ValueError(f"max_rows must be >= 1; got {max_rows}")
        self.max_rows = max_rows
        self.kpis = tuple(kpis)
        self.labels = dict(labels or {})
        self.clock = clock or NetworkClock()
        self._episodes = episodes
        self._version = version
        self._shown_version: int | None = None
        self.n_rows = 0  # rows currently drawn
        self.redraws = 0
        self.widget = widgets.HTML(render_episodes(pd.DataFrame()), layout=widgets.Layout(
            max_height="320px", overflow="auto"))
        self.widget.add_class("tnb-feed")

    def refresh(self) -> bool:
        """Redraw if the episodes changed since the last draw; True when it redrew."""
        version = self._version()
        if version == self._shown_version:
            return False
        rows = self._episodes(self.max_rows + 1)
        more = len(rows) > self.max_rows
        rows = rows.head(self.max_rows)
        self.widget.value = render_episodes(rows, self.kpis, self.labels, self.clock, more)
        self._shown_version = version
        self.n_rows = len(rows)
        self.redraws += 1
        return True
