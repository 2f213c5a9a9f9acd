"""The incident feed: grouped alerts ranked by severity, one expandable row each, with
acknowledgement.

A province-wide event is one row ("Fars: province event, 22 sectors"), not 22; the row
picked in the *Incident* list expands to its sectors. Severity is a word with the odds
in the row's tooltip; start on the network's clock, duration in minutes/hours.
Acknowledged incidents are blue and say who and why. The table is one HTML string built
with vectorised string operations, redrawn only when incidents, acknowledgements, the
filter or the expanded row changed.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping

import ipywidgets as widgets
import numpy as np
import pandas as pd

from telecom_nb.alarms.incidents import format_duration
from telecom_nb.alarms.severity import SEVERITY_COLORS, one_in, severities
from telecom_nb.schema import SECTOR, TOP_KPI
from telecom_nb.ui.clock import NetworkClock

TITLE = "Incidents"
HEADERS = ("#", "incident", "severity · normal ticks this rare", "sectors", "start ({zone})",
           "duration", "worst KPI", "status")
STYLE = (
    "<style>.tnb-feed-table{border-collapse:collapse;font-size:12px}"
    ".tnb-feed-table td,.tnb-feed-table th{padding:1px 6px;border-bottom:1px solid #ddd;"
    "text-align:left;white-space:nowrap}.tnb-feed-table th{vertical-align:bottom}"
    ".tnb-feed-table tr td{color:#222}"
    ".tnb-feed-table tr.tnb-incident-closed td{color:#888}"
    ".tnb-feed-table tr.tnb-incident-acked td{color:#3343a8;background:#eef0fb}"
    ".tnb-feed-table tr.tnb-member td{font-size:11px;color:#555;background:#fafafa}"
    ".tnb-feed-table tr.tnb-incident-picked td{border-top:2px solid #333}"
    + "".join(f".tnb-sev-{word}{{color:{color};font-weight:bold}}"
              for word, color in SEVERITY_COLORS.items())
    + "</style>"
)
MEMBERS_SHOWN = 25
SHORT_TIME = "%m-%d %H:%M"
NONE = "–"


def _esc(values: pd.Series) -> np.ndarray:
    return np.array([html.escape(str(v)) for v in values.fillna("")], dtype=object)


def render_incidents(incidents: pd.DataFrame, labels: Mapping[str, str], clock: NetworkClock,
                     picked: int | None = None, members: pd.DataFrame | None = None,
                     states: pd.Series | None = None, hidden: int = 0) -> str:
    """The ranked table (``incidents`` as ``IncidentBook.frame`` gives them); the
    ``picked`` incident is followed by one row per member sector (``members``)."""
    if incidents.empty:
        return "<i>No incidents match.</i>" if hidden else "<i>No incidents yet.</i>"
    ids = incidents["incident_id"].astype(int).to_numpy()
    is_open = incidents["is_open"].to_numpy(dtype=bool)
    acked = incidents["acknowledged"].to_numpy(dtype=bool)
    partly = (~acked) & (incidents["n_unacknowledged"].to_numpy() < incidents["n_sectors"]
                         .to_numpy())
    sev = incidents["severity"].astype(str).to_numpy(dtype=object)
    peak = incidents["peak_score"].astype(float).to_numpy()
    odds = np.array([f"1 in {one_in(p)}" if np.isfinite(p) else "" for p in peak], dtype=object)
    # "critical · 1 in 500 million": the word, and how rarely a normal tick scores this high
    severity = '<b class="tnb-sev-' + sev + '">' + sev + "</b> · " + odds
    # month-day and 24-hour time, as on the charts' axes (the year is in the status bar)
    start = clock.format_many(incidents["start"], SHORT_TIME).fillna(NONE).to_numpy(dtype=object)
    duration = np.array([format_duration(d) for d in incidents["duration"]], dtype=object)
    worst = _esc(incidents["worst_kpi"].map(lambda k: labels.get(k, k)).replace("", NONE))
    who = incidents["ack_who"].fillna("").astype(str)
    note = incidents["ack_comment"].fillna("").astype(str)
    ack_text = ("✔ acknowledged" + np.where(who != "", " by " + who, "")
                + np.where(note != "", ": " + note, ""))
    status = np.where(is_open, "open", "closed").astype(object)
    status = np.where(acked, status + " · " + _esc(pd.Series(ack_text)), status)
    status = np.where(partly, status + " · " + (incidents["n_unacknowledged"].astype(str)
                                                + " new since acknowledged").to_numpy(), status)
    # open rows carry no class (most rows, resent every tick): closed and acked ones do
    css = np.where(acked, ' class="tnb-incident-acked',
                   np.where(is_open, "", ' class="tnb-incident-closed')).astype(object)
    css = np.where(ids == picked, np.where(css == "", ' class="', css + " ")
                   + 'tnb-incident-picked', css)
    css = np.where(css == "", "", css + '"').astype(object)
    cells = [np.char.mod("%d", ids).astype(object), _esc(incidents["title"]), severity,
             np.char.mod("%d", incidents["n_sectors"].to_numpy()).astype(object), start,
             duration, worst, status]
    rows = "<tr" + css + "><td>" + cells[0]
    for column in cells[1:]:
        rows = rows + "<td>" + column
    body = list(rows)
    if picked is not None and members is not None and picked in ids:
        at = int(np.flatnonzero(ids == picked)[0])
        body.insert(at + 1, _member_rows(members, labels, clock, states))
    head = "".join(f"<th>{h.format(zone=html.escape(clock.name))}</th>" for h in HEADERS)
    more = (f'<div style="font-size:11px;color:#666">{hidden:,} more incidents '
            "(narrow the filter, or <code>monitor.incidents_frame()</code>)</div>"
            if hidden else "")
    return (f'<table class="tnb-feed-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>{more}")


def _member_rows(members: pd.DataFrame, labels: Mapping[str, str], clock: NetworkClock,
                 states: pd.Series | None) -> str:
    """One sub-row per sector of the expanded incident (worst first, bounded)."""
    shown = members.head(MEMBERS_SHOWN)
    sid = shown[SECTOR].astype(str)
    state = (sid.map(states).fillna("normal") if states is not None
             else pd.Series("", index=shown.index)).astype(str)
    sev = severities(shown["peak_score"])
    top = shown[TOP_KPI].map(lambda k: labels.get(k, k)).fillna("")
    start = clock.format_many(shown["start"]).fillna(NONE)
    text = ("<tr class=\"tnb-member\"><td><td>↳ " + _esc(sid) + "<td>" + sev
            + np.char.mod(" %.1f", shown["peak_score"].astype(float).to_numpy()).astype(object)
            + "<td>" + _esc(state) + "<td>" + start.to_numpy(dtype=object) + "<td>"
            + np.array([f"{int(t)} ticks" for t in shown["duration_ticks"]], dtype=object)
            + "<td>" + _esc(top) + "<td>" + np.where(shown["acknowledged"], "acknowledged", ""))
    extra = len(members) - len(shown)
    tail = (f'<tr class="tnb-member"><td><td colspan="7">and {extra} more sectors '
            "(<code>monitor.incident_episodes(id)</code>)" if extra > 0 else "")
    return "".join(text) + tail


class IncidentFeed:
    """The ranked incident table plus the controls to expand and acknowledge one."""

    def __init__(self, *, labels: Mapping[str, str], clock: NetworkClock, max_rows: int = 15,
                 on_acknowledge: Callable[[int, str, str], object],
                 on_pick: Callable[[int | None], None]):
        if max_rows < 1:
            raise ValueError(f"max_rows must be >= 1; got {max_rows}")
        self.labels, self.clock, self.max_rows = dict(labels), clock, max_rows
        self._on_acknowledge, self._on_pick = on_acknowledge, on_pick
        # a number typed from the table's # column: a dropdown of the listed incidents
        # would be resent on most ticks (new incidents), a message more per tick
        self.picker = widgets.Text(placeholder="number in the # column", description="Incident #",
                                   continuous_update=False, layout=widgets.Layout(width="260px"))
        # sent on Enter or when the box loses focus (a click on Acknowledge): never a
        # half-typed comment, and no message per keystroke
        self.comment = widgets.Text(placeholder="what is being done, e.g. power work, ticket 123",
                                    description="Comment", continuous_update=False,
                                    layout=widgets.Layout(width="360px"))
        self.who = widgets.Text(placeholder="optional", description="Who",
                                continuous_update=False, layout=widgets.Layout(width="200px"))
        self.ack = widgets.Button(description="Acknowledge", icon="check",
                                  tooltip="acknowledge the picked incident with the comment")
        self.message = widgets.HTML("")
        for widget, css in ((self.picker, "tnb-incident-picker"), (self.comment, "tnb-ack-comment"),
                            (self.who, "tnb-ack-who"), (self.ack, "tnb-ack"),
                            (self.message, "tnb-ack-message")):
            widget.add_class(css)
        self.picker.observe(self._pick, names="value")
        self.ack.on_click(self._acknowledge)
        self.table = widgets.HTML("<i>No incidents yet.</i>",
                                  layout=widgets.Layout(max_height="340px", overflow="auto"))
        self.table.add_class("tnb-feed")
        self.n_rows = 0
        self.redraws = 0
        self._drawn_key: object = None
        self.widget = widgets.VBox([
            widgets.HBox([self.picker, self.comment, self.who, self.ack],
                         layout=widgets.Layout(flex_flow="row wrap")),
            self.message, self.table])

    @property
    def picked(self) -> int | None:
        """The incident number typed in the picker (None when empty or not a number)."""
        text = str(self.picker.value).strip().lstrip("#")
        return int(text) if text.isdigit() else None

    def pick(self, incident_id: int | None) -> None:
        """Expand an incident (as typing its number does)."""
        self.picker.value = "" if incident_id is None else str(int(incident_id))

    def show(self, incidents: pd.DataFrame, key: object, members: pd.DataFrame | None = None,
             states: pd.Series | None = None) -> bool:
        """Draw the first ``max_rows`` of ``incidents`` (already filtered and ranked)
        unless ``key`` (what they were built from) is the one drawn; True when redrawn."""
        key = (key, self.picked)
        if key == self._drawn_key:
            return False
        rows = incidents.head(self.max_rows)
        self.table.value = render_incidents(rows, self.labels, self.clock, self.picked,
                                            members, states, hidden=len(incidents) - len(rows))
        self._drawn_key = key
        self.n_rows = len(rows)
        self.redraws += 1
        return True

    def _pick(self, change: dict) -> None:
        text = str(change["new"]).strip().lstrip("#")
        if text and not text.isdigit():
            self.message.value = ('<span style="color:#b00">⚠ type the incident\'s number from '
                                  "the # column, e.g. 42</span>")
            return
        self.message.value = ""
        self._on_pick(self.picked)

    def _acknowledge(self, _button: object = None) -> None:
        if self.picked is None:
            self.message.value = ('<span style="color:#b00">⚠ type the number of the incident '
                                  "(the # column) in <b>Incident #</b> first</span>")
            return
        picked = int(self.picked)
        try:
            self._on_acknowledge(picked, self.comment.value, self.who.value)
        except KeyError as exc:
            self.message.value = f'<span style="color:#b00">⚠ {html.escape(str(exc))}</span>'
            return
        self.message.value = html.escape(f"✓ incident #{picked} acknowledged")
        self.comment.value = ""
