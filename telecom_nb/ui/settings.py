"""Run-mode switches read from the environment, so one notebook serves three uses.

* live (no variables): the stream runs at its normal pace until stopped;
* short run (``TELECOM_NB_TICKS=N``): exactly N ticks as fast as possible, then stop,
  so ``pytest --nbval-lax`` finishes in seconds and every later cell still works;
* fast live (``TELECOM_NB_INTERVAL=0.2``): a Voilà page that ticks quickly for browser tests;
* your own data (``TELECOM_NB_SOURCE=path/to/source.toml``): the stream replays that export
  (any of the modes above still applies) instead of the simulator.

The store (``TELECOM_NB_STORE=PATH``, ``none`` for memory only) keeps alerts, episodes and
the learned state across kernel restarts; by default a live run uses a file under the
user's data directory, one per stream (simulated fleet size, or export), and a short run
uses none (tests must not share a file).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass

from telecom_nb.errors import ParameterError

TICKS_VAR = "TELECOM_NB_TICKS"
INTERVAL_VAR = "TELECOM_NB_INTERVAL"
SECTORS_VAR = "TELECOM_NB_SECTORS"
IDLE_VAR = "TELECOM_NB_IDLE_TIMEOUT"
SOURCE_VAR = "TELECOM_NB_SOURCE"
STORE_VAR = "TELECOM_NB_STORE"
NO_STORE = "none"

# Set by Voilà in the environment of the kernels it starts.
VOILA_VARS = ("VOILA_BASE_URL", "VOILA_SERVER_URL", "VOILA_APP_PORT")

DEFAULT_INTERVAL = 2.5
DEFAULT_SECTORS = 500
DEFAULT_IDLE_TIMEOUT = 60.0


@dataclass(frozen=True)
class NotebookSettings:
    """How the notebook should build and drive its monitor."""

    ticks: int | None = None  # None = live until stopped
    interval: float = DEFAULT_INTERVAL  # seconds of wall time per tick
    n_sectors: int = DEFAULT_SECTORS
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT  # pause when no page is seen (0 = never)
    in_voila: bool = False  # a Voilà page: cells must not hold the page back waiting on ticks
    source: str | None = None  # a source.toml (or export file) to replay; None = simulator
    store: str | None = None  # SQLite file that survives restarts; None = memory only

    @property
    def short_run(self) -> bool:
        return self.ticks is not None

    def monitor_kwargs(self) -> dict[str, object]:
        """Keyword arguments for ``Monitor.simulated`` (``Monitor.from_source`` with a
        source: the fleet is the export's, so no ``n_sectors``)."""
        if self.source is not None:
            return {"interval": self.interval, "max_ticks": self.ticks, "store": self.store}
        return {
            "n_sectors": self.n_sectors,
            "interval": self.interval,
            "max_ticks": self.ticks,
            "store": self.store,
        }


def _number(env: Mapping[str, str], name: str, cast: type, low: float) -> float | int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = cast(raw)
    except ValueError:
        raise ParameterError(
            f"environment variable {name} must be a {cast.__name__}; got {raw!r}"
        ) from None
    if value < low:
        raise ParameterError(f"environment variable {name} must be >= {low}; got {raw!r}")
    return value


def notebook_settings(env: Mapping[str, str] | None = None) -> NotebookSettings:
    """Read ``TELECOM_NB_TICKS``, ``TELECOM_NB_INTERVAL``, ``TELECOM_NB_SECTORS``,
    ``TELECOM_NB_IDLE_TIMEOUT``, ``TELECOM_NB_SOURCE``, ``TELECOM_NB_STORE``; a short run
    defaults to ``interval=0``, no idle pause (nobody is watching a test run, so the heartbeat would
    never come) and no store (test runs must not share, or resume, a file)."""
    env = os.environ if env is None else env
    ticks = _number(env, TICKS_VAR, int, 1)
    interval = _number(env, INTERVAL_VAR, float, 0.0)
    sectors = _number(env, SECTORS_VAR, int, 1)
    idle = _number(env, IDLE_VAR, float, 0.0)
    if interval is None:
        interval = 0.0 if ticks is not None else DEFAULT_INTERVAL
    if idle is None:
        idle = 0.0 if ticks is not None else DEFAULT_IDLE_TIMEOUT
    n_sectors = DEFAULT_SECTORS if sectors is None else int(sectors)
    source = env.get(SOURCE_VAR, "").strip() or None
    return NotebookSettings(
        in_voila=any(name in env for name in VOILA_VARS),
        ticks=ticks,
        interval=float(interval),
        n_sectors=n_sectors,
        idle_timeout=float(idle),
        source=source,
        store=_store(env, short_run=ticks is not None, stream=_stream_name(source, n_sectors)),
    )


def _stream_name(source: str | None, n_sectors: int) -> str:
    """``sim-500`` or ``export-1a2b3c4d`` (file stem + hash of its absolute path)."""
    if source is None:
        return f"sim-{n_sectors}"
    path = os.path.abspath(os.path.expanduser(source))
    digest = hashlib.sha1(path.encode()).hexdigest()[:8]
    stem = os.path.splitext(os.path.basename(path))[0] or "source"
    return f"{stem}-{digest}"


def _store(env: Mapping[str, str], *, short_run: bool, stream: str) -> str | None:
    """The store file: ``TELECOM_NB_STORE``, else one per stream under the user's data
    folder (a store holds one stream: 500 then 20,000 sectors get a file each)."""
    raw = env.get(STORE_VAR, "").strip()
    if raw.lower() == NO_STORE or (not raw and short_run):
        return None
    if raw:
        return os.path.expanduser(raw)
    from telecom_nb.engine.store import default_store_path  # stdlib-only helper

    return str(default_store_path(f"live_monitor-{stream}.db"))
