"""A replayed file with its own KPI names streams through the live pipeline unchanged."""

from __future__ import annotations

import asyncio

import numpy as np
import pandas as pd
from pipeline_fakes import make_runner

from telecom_nb.detectors import make_detector
from telecom_nb.engine import Monitor
from telecom_nb.sources.replay import ReplaySource


def _series(n: int = 300) -> pd.DataFrame:
    stamps = pd.date_range("2026-01-01", periods=n, freq="5min")
    values = 10 + np.sin(np.arange(n) / 10) + np.random.default_rng(0).normal(0, 0.1, n)
    return pd.DataFrame({"timestamp": stamps, "value": values})


def test_pipeline_validates_the_sources_own_kpis() -> None:
    source = ReplaySource(_series())
    pipeline = make_runner(source, make_detector("robust_z", kpis=["value"]), interval=0)
    assert pipeline.engine.validator.kpis == ["value"]
    scored = asyncio.run(pipeline.step(50))
    assert len(scored) == 50
    assert pipeline.counters["batches_rejected"] == 0


def test_monitor_replays_a_single_series_file_without_rejections() -> None:
    monitor = Monitor.replay(_series(), interval=0, detector="robust_z", warmup_batches=10)

    async def run() -> None:
        await monitor.step(300)
        await monitor.aclose()

    asyncio.run(run())
    assert monitor.tick == 300
    assert monitor.counters["batches_rejected"] == 0
    assert monitor.detector.is_ready
