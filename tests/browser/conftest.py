"""Fixtures for the real-browser tests: Voilà / JupyterLab servers and headless Chromium.

Servers run as subprocesses on loopback with throwaway Jupyter dirs (Voilà would otherwise
write a notebook_secret into the user's home) and are always stopped with their kernels,
which jupyter_client starts in sessions of their own, so killing the server's process group
alone would leave them running.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from browser_probes import LEAFLET_HOOK_JS, REPO, SCREENSHOTS, save_screenshot
from operator_checks import make_operator_source

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_TIMEOUT_S = 60.0

# Console errors that are offline noise, not widget-manager failures: requests to hosts
# other than loopback (map tiles, Voilà's Font Awesome CDN stylesheet, web fonts) are
# aborted by `page` below, and Chromium logs each as "Failed to load resource".
OFFLINE_NOISE = ("Failed to load resource: net::ERR_FAILED",)
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def _needs_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (install it with `bash scripts/ensure_chromium.sh`)")


def free_port() -> int:
    """A loopback port that was free a moment ago (the server binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def jupyter_env(home: Path, **extra: str) -> dict[str, str]:
    """Environment whose Jupyter/IPython state and telecom_nb store live under ``home``, not
    the user's: a live page starts on a fresh machine's empty store, as a new user's would
    (the user's own store, resumed by every test run, once mixed test runs into its charts).

    Run-mode variables (``TELECOM_NB_*``) come from ``extra`` only: one inherited from the
    shell (say ``TELECOM_NB_TICKS`` of an nbval run) would change what the test watches.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELECOM_NB_")}
    if env.get("PYTHONPATH"):  # kernels start in notebooks/: a relative entry ("." of a
        # worktree) would import the venv's editable install instead of the tested code
        env["PYTHONPATH"] = os.pathsep.join(
            str(Path(p).resolve()) for p in env["PYTHONPATH"].split(os.pathsep) if p)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                 "XDG_DATA_HOME"):
        path = home / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


@dataclass
class Server:
    """A running Jupyter-family server; ``log`` holds its stdout+stderr."""

    process: subprocess.Popen
    port: int
    log: Path
    token: str = ""
    started_s: float = field(default=0.0)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_server(cmd: list[str], *, port: int, env: dict[str, str], cwd: Path, log: Path,
                 token: str = "") -> Server:
    """Start ``cmd`` in its own process group; return once it listens on ``port``."""
    t0 = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(process, port, log, token)
    deadline = t0 + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{cmd[2]} exited with {process.returncode}:\n{server.log_tail()}")
        if _port_open(port):
            server.started_s = time.monotonic() - t0
            return server
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"{cmd[2]} did not listen on {port} in {SERVER_START_TIMEOUT_S}s:\n"
                       f"{server.log_tail()}")


def stop_server(server: Server) -> None:
    """Stop the server's process group and every descendant (kernels have their own session)."""
    try:
        family = [psutil.Process(server.process.pid), *psutil.Process(server.process.pid)
                  .children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGTERM)
    for proc in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.terminate()
    _, alive = psutil.wait_procs(family, timeout=5)
    for proc in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(alive, timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=5)


def voila_command(notebook: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "voila", str(notebook), "--no-browser",
            "--Voila.ip=127.0.0.1", f"--port={port}"]


def lab_command(port: int, token: str, root: Path) -> list[str]:
    return [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
            f"--port={port}", "--allow-root", f"--ServerApp.token={token}",
            f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate"]


# User settings for the test Lab: never autosave (running the notebook must not write its
# outputs into the repository's copy) and no news / update toasts over the page.
LAB_USER_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}
# Lab's debugger left out: it asks each kernel for its debug state, and a kernel shut down
# from the Kernel menu before it answered is a console error of Lab's own ("Could not
# restore the debugger state: Canceled future for debug_request message").
LAB_PAGE_CONFIG = {"disabledExtensions": {"@jupyterlab/debugger-extension": True}}


def write_lab_settings(config_dir: Path) -> None:
    for name, values in LAB_USER_SETTINGS.items():
        path = config_dir / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    page_config = config_dir / "labconfig" / "page_config.json"
    page_config.parent.mkdir(parents=True, exist_ok=True)
    page_config.write_text(json.dumps(LAB_PAGE_CONFIG))


@pytest.fixture
def voila_server(tmp_path: Path) -> Iterator:
    """Factory: ``voila_server(notebook, **env)`` starts Voilà on it; all stopped on teardown."""
    started: list[Server] = []

    def start(notebook: Path, **env: str) -> Server:
        _needs_chromium()
        port = free_port()
        home = tmp_path / f"voila{len(started)}"
        server = start_server(voila_command(notebook, port), port=port,
                              env=jupyter_env(home, **env), cwd=notebook.parent,
                              log=home / "server.log")
        started.append(server)
        return server

    yield start
    for server in started:
        stop_server(server)


@pytest.fixture
def lab_server_with(tmp_path: Path) -> Iterator:
    """Factory: ``lab_server_with(**env)`` starts JupyterLab rooted at the repository with a
    random token, its kernels getting ``env``; all stopped on teardown."""
    started: list[Server] = []

    def start(**run_env: str) -> Server:
        _needs_chromium()
        port, token = free_port(), secrets.token_hex(16)
        home = tmp_path / f"lab{len(started)}"
        env = jupyter_env(home, **run_env)
        write_lab_settings(Path(env["JUPYTER_CONFIG_DIR"]))
        server = start_server(lab_command(port, token, REPO), port=port, env=env, cwd=REPO,
                              log=home / "server.log", token=token)
        started.append(server)
        return server

    yield start
    for server in started:
        stop_server(server)


@pytest.fixture(scope="session")
def operator_source(tmp_path_factory) -> Path:
    """The operator sample's ``source.toml``, written once for Voilà and Lab."""
    return make_operator_source(tmp_path_factory.mktemp("operator"))


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One Chromium per test module.

    Playwright's sync API runs an event loop in this thread while it is active, so it must
    end with the module: tests that call ``asyncio.run`` afterwards would fail otherwise.
    """
    _needs_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                      headless=True)
        yield chromium
        chromium.close()


@dataclass
class ConsoleLog:
    """Console errors and uncaught page errors, split into real ones and offline noise."""

    errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def _is_offline_noise(text: str, url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    return text.startswith(OFFLINE_NOISE) and host not in LOOPBACK_HOSTS


def _block_external(route) -> None:
    host = urllib.parse.urlsplit(route.request.url).hostname or ""
    if host in LOOPBACK_HOSTS or route.request.url.startswith(("data:", "blob:")):
        route.continue_()
    else:
        route.abort()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so ``page`` can screenshot failures."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser, request) -> Iterator:
    """A fresh page that may reach loopback only; ``page.console_log`` collects errors.

    A failing test leaves ``artifacts/screenshots/<test>-failed.png`` behind.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", _block_external)
    context.add_init_script(LEAFLET_HOOK_JS)
    new_page = context.new_page()
    log = ConsoleLog()

    def on_console(msg) -> None:
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        entry = f"{msg.text} [{url}]"
        (log.ignored if _is_offline_noise(msg.text, url) else log.errors).append(entry)

    new_page.on("console", on_console)
    new_page.on("pageerror", lambda exc: log.errors.append(f"pageerror: {exc}"))
    new_page.console_log = log
    yield new_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        with contextlib.suppress(Exception):
            save_screenshot(new_page, SCREENSHOTS, f"{request.node.name}-failed.png")
    context.close()
