"""The dashboard notebook opened and run in JupyterLab, checked in headless Chromium."""

from __future__ import annotations

import hashlib
import time

import pytest
from browser_probes import REPO, SCREENSHOTS, save_screenshot, sector_counts, wait_for
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.browser

NOTEBOOK = REPO / "notebooks" / "live_monitor.ipynb"
OUTPUT = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output"


FIRST_PROMPT = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt"


def run_all_cells(page, timeout_s: float = 60.0) -> None:
    """Run → Run All Cells through the menu bar, as a user would, once the kernel is idle.

    Lab may still be connecting its kernel session when the status first reads idle; a Run
    All made then is silently dropped, so it is repeated until the first prompt changes.
    """
    page.locator(".jp-StatusBar-TextItem", has_text="Idle").first.wait_for(
        timeout=timeout_s * 1000)
    deadline = time.monotonic() + timeout_s
    while True:
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-item:visible", has_text="Run All Cells").first.click()
        try:
            page.wait_for_function(
                "(sel) => !/\\[\\s*\\]/.test(document.querySelector(sel).innerText)",
                arg=FIRST_PROMPT, timeout=5_000)
            return
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise


def test_dashboard_in_lab(lab_server, page):
    t0 = time.monotonic()
    digest = hashlib.sha256(NOTEBOOK.read_bytes()).hexdigest()
    rel = NOTEBOOK.relative_to(REPO).as_posix()
    page.goto(f"{lab_server.base_url}/lab/tree/{rel}?token={lab_server.token}",
              timeout=90_000)
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
    opened_s = time.monotonic() - t0
    run_all_cells(page)

    view = wait_for(page, lambda v: v.map_rendered and v.sector_paths > 0 and v.charts > 0
                    and "sectors" in v.status,
                    "the map and charts in the cell outputs", timeout_s=60, root=OUTPUT)
    assert view.leaflet_map and view.ink_pixels > 0, "Leaflet drew nothing on the map"
    assert view.province_paths > 0, "no province outline drawn"
    drawn, reported = sector_counts(view)
    assert drawn == reported, view.status
    first_size = view.chart_size
    wait_for(page, lambda v: v.chart_size > first_size, "the charts to grow", timeout_s=20,
             root=OUTPUT)

    page.locator(OUTPUT + " .tnb-map").first.scroll_into_view_if_needed()
    save_screenshot(page, SCREENSHOTS, "lab.png")
    assert page.console_log.errors == []
    assert hashlib.sha256(NOTEBOOK.read_bytes()).hexdigest() == digest, "Lab saved the notebook"
    print(f"lab: server up {lab_server.started_s:.1f}s, notebook open {opened_s:.1f}s, "
          f"total {time.monotonic() - t0:.1f}s; ignored {page.console_log.ignored}")
