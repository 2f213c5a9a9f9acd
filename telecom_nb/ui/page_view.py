"""The map's view as the page shows it, kept in the kernel's ``Map.zoom`` / ``Map.center``.

JupyterLab 4 never sends ipyleaflet's own ``zoom`` / ``center`` back to the kernel
(ipyleaflet waits for every view's bounds first: jupyterlab#14829), so the kernel kept the
first view it set: a zoom-to whose target equalled it sent nothing and the page stayed
zoomed in. Front-end links to plain widgets are sent in Lab; the kernel's map follows them,
under the widget's property lock, so nothing is sent back (an echo would pull a page
mid-scroll back to an earlier step).
"""

from __future__ import annotations

import ipyleaflet
import ipywidgets as widgets


class PageView:
    """``zoom_seen`` / ``center_seen``: what the page's links report; the map follows."""

    def __init__(self, leaflet_map: ipyleaflet.Map):
        self.map = leaflet_map
        self.zoom_seen = widgets.FloatText(value=float(leaflet_map.zoom))
        self.zoom_link = widgets.jsdlink((leaflet_map, "zoom"), (self.zoom_seen, "value"))
        self.zoom_seen.observe(lambda c: self._follow("zoom", float(c["new"])), names="value")
        # a Marker never added to the map: a widget with a [lat, lon] trait for the link
        self.center_seen = ipyleaflet.Marker(location=list(leaflet_map.center))
        self.center_link = widgets.jsdlink((leaflet_map, "center"),
                                           (self.center_seen, "location"))
        self.center_seen.observe(
            lambda c: self._follow("center", [float(v) for v in c["new"]]), names="location")

    def _follow(self, name: str, value: object) -> None:
        with self.map._lock_property(**{name: value}):
            setattr(self.map, name, value)

    def move_to(self, center: list[float], zoom: float) -> None:
        """Show ``center`` at ``zoom``, in one message; sent even when the kernel's view is
        already there (a link's report of a newer page view may still be in flight)."""
        target = (list(center), float(zoom))
        if (list(self.map.center), float(self.map.zoom)) == target:
            self.map.send_state(["center", "zoom"])
            return
        with self.map.hold_sync():
            self.map.center, self.map.zoom = target
