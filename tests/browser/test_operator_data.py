"""The dashboard over an operator-style export (vendor KPI names, sites.csv with azimuths,
Asia/Tehran local time) served by Voilà, checked in headless Chromium (``operator_checks``).
The same checks run in JupyterLab on ``test_lab``'s page, the notebook opened beside the
live one."""

from __future__ import annotations

import time

import pytest
from browser_probes import SCREENSHOTS, save_screenshot
from operator_checks import OPERATOR_NOTEBOOK, check_operator_dashboard, operator_env

pytestmark = pytest.mark.browser


def test_operator_data_in_voila(voila_server, page, operator_source):
    t0 = time.monotonic()
    server = voila_server(OPERATOR_NOTEBOOK, **operator_env(operator_source))
    page.goto(server.base_url, timeout=60_000)
    result = check_operator_dashboard(page)
    page.evaluate("() => window.scrollTo(0, 0)")
    save_screenshot(page, SCREENSHOTS, "voila-operator.png")
    assert page.console_log.errors == []
    print(f"voila operator: first zoom {result['first_zoom']}, total "
          f"{time.monotonic() - t0:.1f}s; ignored {page.console_log.ignored}")
