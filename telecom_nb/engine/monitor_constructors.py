"""The Monitor's constructors by source: the simulator, an operator export, a recorded table.

Each builds the :class:`~telecom_nb.sources.base.Source` and hands it to ``Monitor``'s own
constructor, so a notebook starts a stream in one line whatever feeds it; kept apart from
:mod:`.monitor` (the running stream's state and control), whose class inherits them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from telecom_nb.detectors.base import Detector

if TYPE_CHECKING:
    from telecom_nb.engine.monitor import Monitor
    from telecom_nb.sources.spec import SourceSpec
    from telecom_nb.sources.tables import ColumnMapping


class MonitorConstructors:
    """Mixin: ``Monitor.simulated``, ``Monitor.from_source`` and ``Monitor.replay``."""

    @classmethod
    def simulated(
        cls,
        n_sectors: int = 500,
        seed: int = 0,
        interval: float = 2.5,
        detector: Detector | str = "iforest",
        max_ticks: int | None = None,
        *,
        source_params: dict[str, Any] | None = None,
        store: str | Path | None = None,
        **detector_params: Any,
    ) -> Monitor:
        """A monitor over the KPI simulator (``source_params`` go to KpiSimulator)."""
        from telecom_nb.sources.simulator import KpiSimulator

        source = KpiSimulator(n_sectors=n_sectors, seed=seed, **(source_params or {}))
        return cls(source, detector, interval=interval, max_ticks=max_ticks, store=store,
                   **detector_params)

    @classmethod
    def from_source(
        cls,
        spec_or_path: SourceSpec | str | Path,
        detector: Detector | str = "iforest",
        interval: float = 0.5,
        max_ticks: int | None = None,
        *,
        data: pd.DataFrame | None = None,
        store: str | Path | None = None,
        **detector_params: Any,
    ) -> Monitor:
        """A monitor replaying an operator export (``source.toml``, SourceSpec or file) per
        timestamp through the live engine.

        Loaded by :func:`~telecom_nb.sources.load_source` (the 1 % loss rule applies);
        KPIs, their labels and units, and the time zone come from the data and its spec;
        ``monitor.source.loaded`` keeps the counters and messages. ``detector_params``
        take the names ``--set`` takes (``weekly=True``, ``features__peers__alpha=0.1``).
        """
        from telecom_nb.sources.replay import ReplaySource

        source = ReplaySource.from_source(spec_or_path, data=data)
        return cls(source, detector, interval=interval, max_ticks=max_ticks, store=store,
                   **detector_params)

    @classmethod
    def replay(
        cls,
        path_or_df: str | Path | pd.DataFrame,
        mapping: ColumnMapping | Mapping[str, str] | None = None,
        interval: float = 0.5,
        detector: Detector | str = "iforest",
        max_ticks: int | None = None,
        *,
        store: str | Path | None = None,
        **detector_params: Any,
    ) -> Monitor:
        """A monitor replaying a recorded table (CSV, Parquet or DataFrame) per timestamp;
        ``mapping`` is a ColumnMapping or a dict of roles (``{"timestamp": "time"}``)."""
        from telecom_nb.sources.replay import ReplaySource

        source = ReplaySource(path_or_df, mapping)
        return cls(source, detector, interval=interval, max_ticks=max_ticks, store=store,
                   **detector_params)
