"""Per-tick cost of the engine at a given fleet size (what ``telecom-nb bench`` prints).

Three medians per size, with the detector's model already trained:
``simulate_ms`` (the source producing one tick), ``score_ms`` (features + model + calibration
for one batch, no learning) and ``tick_ms`` (one whole engine tick through the Monitor in
deterministic mode: source, validation, features, score, episodes, history/feed sinks, learn).
"""

from __future__ import annotations

import asyncio
import statistics
import time

from telecom_nb.batching import progress
from telecom_nb.detectors import make_detector
from telecom_nb.engine.monitor import Monitor
from telecom_nb.sources.simulator import KpiSimulator


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000.0, 2)


async def _bench(n_sectors: int, ticks: int, detector: str, quiet: bool) -> dict:
    monitor = Monitor(KpiSimulator(n_sectors=n_sectors, seed=0), make_detector(detector),
                      interval=0.0)
    warmup_limit = 200  # ticks; a detector that never gets ready is reported, not looped on
    warm = 0
    while not monitor.detector.is_ready and warm < warmup_limit:
        await monitor.step(1)
        warm += 1
    if not monitor.detector.is_ready:
        raise RuntimeError(f"detector {detector!r} not ready after {warmup_limit} ticks")

    # Time the source and the detector's scoring inside the very ticks being timed.
    sim_s = _timed(monitor.source, "next_batch")
    score_s = _timed(monitor.detector, "score")
    tick_s: list[float] = []
    for _ in progress(range(ticks), desc=f"{n_sectors} sectors", enabled=not quiet):
        t0 = time.perf_counter()
        await monitor.step(1)
        tick_s.append(time.perf_counter() - t0)
    await monitor.aclose()
    return {
        "sectors": n_sectors,
        "simulate_ms": _median_ms(sim_s),
        "score_ms": _median_ms(score_s),
        "tick_ms": _median_ms(tick_s),
    }


def _timed(obj: object, method: str) -> list[float]:
    """Wrap ``obj.method`` (on the instance) to record each call's duration."""
    original = getattr(obj, method)
    samples: list[float] = []

    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            samples.append(time.perf_counter() - t0)

    setattr(obj, method, timed)
    return samples


def bench_engine(n_sectors: int, ticks: int = 20, *, detector: str = "iforest",
                 quiet: bool = False) -> dict:
    """``{"sectors", "simulate_ms", "score_ms", "tick_ms"}`` for one fleet size."""
    return asyncio.run(_bench(n_sectors, ticks, detector, quiet))
