"""Widgets linked to the detector's and monitor's traits (the UI links to the model).

Widget -> model: the new value is *assigned* to the trait, so the model's own validation
decides; on failure the message is shown in a label and the widget is reset to the
model's value (nothing changes). Model -> widget: an observer mirrors every change,
including ones made in code (``monitor.detector.contamination = 0.02``).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import pandas as pd
import traitlets
from traitlets import HasTraits, TraitError

from telecom_nb.params import parse_param_text, short_duration

TEXT_LAYOUT = widgets.Layout(width="260px")
STYLE = {"description_width": "130px"}
SELECT_ROWS = 8  # a multi-select's visible rows at most (the rest scroll)


def css_name(name: str) -> str:
    return "tnb-" + name.replace("_", "-")


def _text_to_param(owner: HasTraits, name: str) -> Callable[[Any], Any]:
    """A text box's value as the trait's value, read as ``--set`` reads it (empty = auto)."""
    return lambda text: parse_param_text(owner, name, text, empty_means_none=True)


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, pd.Timedelta):
        return short_duration(value)
    if isinstance(value, dict):  # e.g. bad_sides: as typed back ("KPI=up; KPI2=both")
        return "; ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, tuple):  # e.g. holidays: as they are typed back ("a, b")
        return ", ".join(map(str, value))
    return str(value)



@dataclass
class ParamWidget:
    """A widget plus the conversions between its value and the trait's."""

    widget: widgets.ValueWidget
    to_model: Callable[[Any], Any] = lambda v: v
    to_widget: Callable[[Any], Any] = lambda v: v


def widget_for(owner: HasTraits, name: str, kpis: Sequence[str] = (),
               labels: Mapping[str, str] | None = None) -> ParamWidget:
    """A widget suited to the trait (free text, so an invalid value can be tried and refused).

    Optional numbers (``None`` = automatic) are text boxes where empty means ``None``;
    a KPI list is a multi-select where no selection means ``None`` when allowed.
    """
    trait = owner.traits()[name]
    value = getattr(owner, name)
    label = name.replace("_", " ")
    common = {"description": label, "style": STYLE, "layout": TEXT_LAYOUT}
    optional = getattr(trait, "allow_none", False)
    if isinstance(trait, traitlets.Bool):
        pw = ParamWidget(widgets.Checkbox(value=bool(value), **common))
    elif isinstance(trait, traitlets.Enum):
        pw = ParamWidget(widgets.Dropdown(options=list(trait.values), value=value, **common))
    elif isinstance(trait, (traitlets.Int, traitlets.Float)) and optional:
        pw = ParamWidget(widgets.Text(value=_show(value), placeholder="auto", **common),
                         _text_to_param(owner, name), _show)
    elif isinstance(trait, traitlets.Int):
        pw = ParamWidget(widgets.IntText(value=int(value), **common))
    elif isinstance(trait, traitlets.Float):
        pw = ParamWidget(widgets.FloatText(value=float(value), step=0.005, **common))
    elif isinstance(trait, (traitlets.List, traitlets.Tuple)):
        current = list(value or ())
        options = list(dict.fromkeys([*kpis, *current])) if name == "kpis" else current
        # the source's labels ("Débit moyen DL (Mbps)"), the KPI names as values; a list
        # of 40 KPIs scrolls in a box of SELECT_ROWS instead of filling the side panel
        shown = [(str((labels or {}).get(o, o)), o) for o in options]
        kind = tuple if isinstance(trait, traitlets.Tuple) else list
        empty = None if optional else kind()
        if optional:
            common["description"] = f"{label} (none = all)"
        pw = ParamWidget(
            widgets.SelectMultiple(options=shown, value=tuple(current),
                                   rows=max(1, min(len(options), SELECT_ROWS)),
                                   **common),
            lambda v, kind=kind, empty=empty: kind(v) if v else empty,
            lambda v: tuple(v or ()),
        )
    else:  # e.g. a Timedelta given as text ("6h"): the model's validator parses it
        pw = ParamWidget(widgets.Text(value=_show(value), continuous_update=False, **common),
                         _text_to_param(owner, name), _show)
    if isinstance(pw.widget, widgets.Text):
        pw.widget.continuous_update = False
    pw.widget.add_class(css_name(name))
    return pw


class TraitLink:
    """Two-way link with validation feedback between a widget and a trait."""

    def __init__(self, owner: HasTraits, name: str, param: ParamWidget, message: widgets.HTML):
        self.owner, self.name, self.param, self.message = owner, name, param, message
        self.widget = param.widget
        self.widget.observe(self._from_widget, names="value")
        owner.observe(self._from_model, names=name)

    def _reset_widget(self) -> None:
        self.widget.value = self.param.to_widget(getattr(self.owner, self.name))

    def _from_widget(self, change: dict) -> None:
        if change["new"] == self.param.to_widget(getattr(self.owner, self.name)):
            return  # the widget shows the model's value already (e.g. after a reset)
        try:
            setattr(self.owner, self.name, self.param.to_model(change["new"]))
        except (TraitError, ValueError) as exc:
            self.message.value = f'<span style="color:#b00">⚠ {html.escape(str(exc))}</span>'
            self._reset_widget()
            return
        self.message.value = html.escape(f"✓ {self.name} = {getattr(self.owner, self.name)!r}")

    def _from_model(self, change: dict) -> None:
        self.widget.value = self.param.to_widget(change["new"])

    def unlink(self) -> None:
        self.widget.unobserve(self._from_widget, names="value")
        self.owner.unobserve(self._from_model, names=self.name)


class Controls:
    """Detector and alarm parameters, pause/resume, speed; one message label for feedback.

    ``contamination`` / ``threshold`` are shown once (the detector's are linked aliases of
    the alarm chain's); the chain's episode parameters follow.
    """

    def __init__(self, monitor: Any):
        self.monitor = monitor
        self.detector = monitor.detector
        self.message = widgets.HTML("")
        self.message.add_class("tnb-control-message")
        self.params: dict[str, widgets.ValueWidget] = {}
        self.links: list[TraitLink] = []
        owners = [(self.detector, name) for name in self.detector.param_names()]
        alarms = getattr(monitor, "alarms", None)
        if alarms is not None:
            owners += [(alarms, name) for name in alarms.param_names()
                       if name not in self.detector.param_names()]
        for owner, name in owners:
            param = widget_for(owner, name, kpis=getattr(monitor, "kpis", ()),
                               labels=getattr(monitor, "kpi_labels", None))
            self.params[name] = param.widget
            self.links.append(TraitLink(owner, name, param, self.message))
        self.speed = widgets.FloatText(value=float(monitor.interval),
                                       description="seconds / tick", step=0.5,
                                       style=STYLE, layout=TEXT_LAYOUT)
        self.speed.add_class("tnb-speed")
        self.links.append(TraitLink(monitor, "interval", ParamWidget(self.speed), self.message))
        self.pause = widgets.ToggleButton(value=bool(monitor.paused), description="Pause",
                                          icon="pause", tooltip="pause / resume the stream")
        self.pause.add_class("tnb-pause")
        self.pause.observe(self._pause_clicked, names="value")
        monitor.observe(self._paused_changed, names="paused")
        self.stop = widgets.Button(
            description="Stop",
            tooltip="stop the stream (monitor.start() goes on from the same tick)")
        self.stop.add_class("tnb-stop")
        self.stop.on_click(lambda _: monitor.stop())
        self.warmup = widgets.FloatProgress(value=float(monitor.warmup_progress), min=0.0,
                                            max=1.0, description="warm-up", style=STYLE)
        self.warmup.add_class("tnb-warmup")
        self._warmup_link = traitlets.dlink((monitor, "warmup_progress"), (self.warmup, "value"))
        self.widget = widgets.VBox([
            widgets.HBox([self.pause, self.stop]), self.speed, *self.params.values(),
            self.message, self.warmup,
        ])
        self.widget.add_class("tnb-controls")

    def close(self) -> None:
        """Detach every observer this panel put on the monitor and its detector."""
        for link in self.links:
            link.unlink()
        self.monitor.unobserve(self._paused_changed, names="paused")
        self._warmup_link.unlink()

    def _pause_clicked(self, change: dict) -> None:
        if change["new"] == bool(self.monitor.paused):
            return
        if change["new"]:
            self.monitor.pause()
        else:
            self.monitor.resume()

    def _paused_changed(self, change: dict) -> None:
        self.pause.value = bool(change["new"])
        self.pause.description = "Resume" if change["new"] else "Pause"
        self.pause.icon = "play" if change["new"] else "pause"
