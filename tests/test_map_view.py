"""The kernel's view of the map follows the page's (JupyterLab 4 sends it only through
front-end links), so every zoom-to moves the view; a quick series of zooms redraws once."""

from __future__ import annotations

import asyncio

import pandas as pd

from telecom_nb import schema
from telecom_nb.ui import map as map_module
from telecom_nb.ui.map import SectorMap

EMPTY = {"type": "FeatureCollection", "features": []}


def _sectors() -> pd.DataFrame:
    return pd.DataFrame({schema.SECTOR: ["a1", "a2", "b1", "c1"],
                         schema.LAT: [35.70, 35.70, 36.30, 29.60],
                         schema.LON: [51.40, 51.40, 59.60, 52.50],
                         "azimuth": [0.0, 120.0, 0.0, 0.0]})


def _recording(smap: SectorMap) -> list[dict]:
    """The state messages the map's widget sends to the page from now on."""
    sent: list[dict] = []
    smap.map._send = lambda msg, buffers=None: sent.append(msg.get("state", {}))
    return sent


def test_the_page_s_zoom_and_centre_reach_the_kernel_without_an_echo():
    smap = SectorMap(_sectors(), provinces=EMPTY)
    sent = _recording(smap)
    smap.zoom_seen.value = 14.0  # what the links set when a person zooms the page
    smap.center_seen.location = [35.7, 51.4]
    assert smap.map.zoom == 14 and list(smap.map.center) == [35.7, 51.4]
    assert smap.fan_zoom == 14
    assert sent == []  # sent back, it would pull a page mid-scroll to an earlier step


def test_a_zoom_to_the_first_view_after_zooming_by_hand_moves_the_page():
    """In Lab the kernel kept the first view while the page was zoomed in; a filter
    whose view is the first one (every sector) then sent nothing and the page stayed."""
    smap = SectorMap(_sectors(), provinces=EMPTY)
    first = (list(smap.map.center), smap.map.zoom)
    smap.zoom_seen.value = 15.0
    smap.center_seen.location = [35.7, 51.4]
    sent = _recording(smap)
    smap.set_filter(pd.Index(["a1", "a2", "b1", "c1"]))
    moved = {k: v for msg in sent for k, v in msg.items() if k in ("center", "zoom")}
    assert moved == {"center": first[0], "zoom": first[1]}


def test_a_zoom_to_the_view_the_kernel_already_has_is_sent_anyway():
    """A link's message may be in flight: the kernel's view equal to the target is no
    proof the page shows it."""
    smap = SectorMap(_sectors(), provinces=EMPTY)
    sent = _recording(smap)
    smap.set_filter(pd.Index(["a1", "a2", "b1", "c1"]))
    assert any("zoom" in msg and "center" in msg for msg in sent)


def test_a_quick_series_of_zooms_redraws_once_for_the_last(monkeypatch):
    monkeypatch.setattr(map_module, "ZOOM_SETTLE_S", 0.05)
    smap = SectorMap(_sectors(), provinces=EMPTY)
    redrawn: list[float] = []
    redraw = smap.redraw
    monkeypatch.setattr(smap, "redraw", lambda z: (redrawn.append(z), redraw(z)))

    async def scroll() -> None:
        for zoom in (6.0, 7.0, 8.0):  # a wheel's steps, each in a message of its own
            smap.zoom_seen.value = zoom
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)

    asyncio.run(scroll())
    assert redrawn == [8.0] and smap.fan_zoom == 8
