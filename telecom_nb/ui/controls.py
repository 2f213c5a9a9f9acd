"""Widgets linked to the detector's and monitor's traits (the UI links to the model).

Widget -> model: the new value is *assigned* to the trait, so the model's own validation
decides; on failure the message is shown in a label and the widget is reset to the
model's value (nothing changes). Model -> widget: an observer mirrors every change,
including ones made in code (``monitor.detector.contamination = 0.02``).
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import traitlets
from traitlets import HasTraits, TraitError

from telecom_nb.schema import KPIS

TEXT_LAYOUT = widgets.Layout(width="260px")
STYLE = {"description_width": "130px"}


def css_name(name: str) -> str:
    return "tnb-" + name.replace("_", "-")


def widget_for(owner: HasTraits, name: str) -> widgets.ValueWidget:
    """A widget suited to the trait's type (free text so an invalid value can be tried)."""
    trait = owner.traits()[name]
    value = getattr(owner, name)
    common = {"description": name.replace("_", " "), "style": STYLE, "layout": TEXT_LAYOUT}
    if isinstance(trait, traitlets.Bool):
        w = widgets.Checkbox(value=bool(value), **common)
    elif isinstance(trait, traitlets.Enum):
        w = widgets.Dropdown(options=list(trait.values), value=value, **common)
    elif isinstance(trait, traitlets.Int):
        w = widgets.IntText(value=int(value), **common)
    elif isinstance(trait, traitlets.Float):
        w = widgets.FloatText(value=float(value), step=0.005, **common)
    elif isinstance(trait, (traitlets.List, traitlets.Tuple, traitlets.Set)):
        options = list(dict.fromkeys([*KPIS, *value])) if name == "kpis" else list(value)
        w = widgets.SelectMultiple(options=options, value=tuple(value), rows=len(options),
                                   **common)
    else:
        w = widgets.Text(value=str(value), **common)
    w.add_class(css_name(name))
    return w


class TraitLink:
    """Two-way link with validation feedback between a widget and a trait."""

    def __init__(self, owner: HasTraits, name: str, widget: widgets.ValueWidget,
                 message: widgets.HTML):
        self.owner, self.name, self.widget, self.message = owner, name, widget, message
        widget.observe(self._from_widget, names="value")
        owner.observe(self._from_model, names=name)

    def _model_value(self, widget_value: Any) -> Any:
        current = getattr(self.owner, self.name)
        if isinstance(widget_value, tuple) and isinstance(current, (list, tuple, set)):
            return type(current)(widget_value)
        return widget_value

    def _widget_value(self, model_value: Any) -> Any:
        if isinstance(model_value, (list, set)):
            return tuple(model_value)
        return model_value

    def _from_widget(self, change: dict) -> None:
        value = self._model_value(change["new"])
        if value == getattr(self.owner, self.name):
            return
        try:
            setattr(self.owner, self.name, value)
        except (TraitError, ValueError) as exc:
            self.message.value = f'<span style="color:#b00">⚠ {exc}</span>'
            self.widget.value = self._widget_value(getattr(self.owner, self.name))
            return
        self.message.value = f"✓ {self.name} = {getattr(self.owner, self.name)!r}"

    def _from_model(self, change: dict) -> None:
        self.widget.value = self._widget_value(change["new"])

    def unlink(self) -> None:
        self.widget.unobserve(self._from_widget, names="value")
        self.owner.unobserve(self._from_model, names=self.name)


class Controls:
    """Detector parameters, pause/resume, speed; one message label for feedback."""

    def __init__(self, monitor: Any):
        self.monitor = monitor
        self.detector = monitor.detector
        self.message = widgets.HTML("")
        self.message.add_class("tnb-control-message")
        self.params: dict[str, widgets.ValueWidget] = {}
        self.links: list[TraitLink] = []
        for name in self.detector.param_names():
            w = widget_for(self.detector, name)
            self.params[name] = w
            self.links.append(TraitLink(self.detector, name, w, self.message))
        self.speed = widgets.FloatText(value=float(monitor.interval),
                                       description="seconds / tick", step=0.5,
                                       style=STYLE, layout=TEXT_LAYOUT)
        self.speed.add_class("tnb-speed")
        self.links.append(TraitLink(monitor, "interval", self.speed, self.message))
        self.pause = widgets.ToggleButton(value=bool(monitor.paused), description="Pause",
                                          icon="pause", tooltip="pause / resume the stream")
        self.pause.add_class("tnb-pause")
        self.pause.observe(self._pause_clicked, names="value")
        monitor.observe(self._paused_changed, names="paused")
        self.stop = widgets.Button(description="Stop", tooltip="stop the stream for good")
        self.stop.add_class("tnb-stop")
        self.stop.on_click(lambda _: monitor.stop())
        self.warmup = widgets.FloatProgress(value=float(monitor.warmup_progress), min=0.0,
                                            max=1.0, description="warm-up", style=STYLE)
        self.warmup.add_class("tnb-warmup")
        traitlets.dlink((monitor, "warmup_progress"), (self.warmup, "value"))
        self.widget = widgets.VBox([
            widgets.HBox([self.pause, self.stop]), self.speed, *self.params.values(),
            self.message, self.warmup,
        ])
        self.widget.add_class("tnb-controls")

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
