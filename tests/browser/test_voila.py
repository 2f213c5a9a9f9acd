"""The dashboard served by Voilà, checked in headless Chromium."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from browser_probes import (
    CONTAMINATION,
    save_screenshot,
    status_count,
    status_float,
    wait_for,
)
from conftest import REPO, SCREENSHOTS

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).parent / "fixtures" / "mini_dashboard.ipynb"
LIVE_ENV = {"TELECOM_NB_TICKS": "60", "TELECOM_NB_INTERVAL": "0.5"}
NOTEBOOK = FIXTURE


def set_contamination(page, value: float) -> None:
    """Type a value into the contamination control, as a user would."""
    control = page.locator(CONTAMINATION).first
    text_input = control.locator("input[type=number], input[type=text]")
    field = text_input.first if text_input.count() else control.locator(".widget-readout").first
    field.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(f"{value}")
    page.keyboard.press("Enter")


def test_dashboard_in_voila(voila_server, page):
    t0 = time.monotonic()
    server = voila_server(NOTEBOOK, **LIVE_ENV)
    page.goto(server.base_url, timeout=60_000)
    view = wait_for(page, lambda v: v.map_rendered and v.sector_paths > 0 and v.status,
                    "the map with its sectors and the status line", timeout_s=60)
    rendered_s = time.monotonic() - t0

    assert view.province_paths > 0, "no province outline drawn"
    sectors = status_count(view.status, "sectors")
    assert sectors is not None, f"status line names no sector count: {view.status!r}"
    assert view.sector_paths == sectors

    view = wait_for(page, lambda v: v.red_sectors > 0 and v.feed_entries > 0,
                    "an anomalous (red) sector and a feed entry", timeout_s=30)
    first_size = view.chart_size
    later = wait_for(page, lambda v: v.chart_size > first_size, "the charts to grow",
                     timeout_s=15)
    assert later.charts >= 1

    before = status_float(later.status, "contamination")
    target = 0.12 if before != 0.12 else 0.15
    set_contamination(page, target)
    changed = wait_for(page, lambda v: status_float(v.status, "contamination") == target,
                       f"the status line to show contamination {target}", timeout_s=10)
    assert changed.sector_paths == sectors

    save_screenshot(page, SCREENSHOTS, "voila.png")
    assert page.console_log.errors == []
    print(f"voila: server up {server.started_s:.1f}s, map drawn {rendered_s:.1f}s, "
          f"total {time.monotonic() - t0:.1f}s; ignored {page.console_log.ignored}")


__all__ = ["REPO"]
