"""Scratch: the cost of building blocks whose speed unit tests used to assert (prints figures).

Not a test: timings on a shared 2-core machine vary 2-5x with load, so the suite checks
behaviour only and the figures live here. Each line prints the median of a few repeats next
to the budget the block was designed for.

    PYTHONPATH=. python benchmarks/unit_costs.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from telecom_nb import schema

T0 = pd.Timestamp("2026-01-05 10:00", tz="UTC")
STEP = pd.Timedelta("15min")


def timed(fn: Callable[[], object], repeats: int) -> float:
    """Median seconds of ``repeats`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def simulator_tick() -> float:
    from telecom_nb.sources.simulator import KpiSimulator

    sim = KpiSimulator(10_000, seed=0)
    return timed(sim.next_batch, 5)


def placement() -> float:
    from telecom_nb.geo.placement import place_sectors

    return timed(lambda: place_sectors(100_000, seed=7), 3)


def episode_tick() -> float:
    from telecom_nb.alarms.episodes import EpisodeTracker

    n, rng = 20_000, np.random.default_rng(0)
    ids = np.array([f"s{i}" for i in range(n)], dtype=object)
    base = pd.DataFrame({schema.SECTOR: ids, schema.TOP_KPI: "", schema.PRB: 1.0})
    tracker, tick = EpisodeTracker(), [0]

    def one() -> None:
        frame = base.assign(**{schema.IS_ANOMALY: rng.random(n) < 0.05,
                               schema.SCORE: rng.random(n)})
        tracker.update(frame, T0 + tick[0] * STEP)
        tick[0] += 1

    return timed(one, 5)


def evaluate_500k() -> float:
    from telecom_nb.evaluation.metrics import evaluate

    rng = np.random.default_rng(0)
    sectors, ticks = 500, 1000
    fault = np.where(rng.random(sectors * ticks) < 0.01, "outage", "")
    frame = pd.DataFrame({
        "timestamp": np.tile(pd.date_range("2024-01-01", periods=ticks, freq="15min",
                                           tz="UTC"), sectors),
        "sector_id": np.repeat([f"s{i:04d}" for i in range(sectors)], ticks),
        "fault": fault,
        "is_anomaly": rng.random(sectors * ticks) < 0.01,
    })
    return timed(lambda: evaluate(frame), 3)


def replay_load_1m() -> float:
    from telecom_nb.sources.replay import ReplaySource

    n_sectors, n_times, rng = 500, 2000, np.random.default_rng(0)
    stamps = pd.date_range("2026-01-01", periods=n_times, freq="15min", tz="UTC")
    n = n_sectors * n_times
    frame = pd.DataFrame({
        "timestamp": np.repeat(stamps, n_sectors),
        "sector_id": np.tile([f"S{i:04d}" for i in range(n_sectors)], n_times),
        **{k: rng.random(n) * 100 for k in schema.KPIS},
    })
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.parquet"
        frame.to_parquet(path)
        return timed(lambda: ReplaySource(path), 2)


def validator(n_rows: int) -> float:
    from telecom_nb.sources.validation import BatchValidator

    rng = np.random.default_rng(0)
    sectors = pd.Series([f"S{i:06d}" for i in range(n_rows)], dtype="str")
    check, tick = BatchValidator(schema.KPIS), [0]

    def one() -> None:
        values = rng.uniform(-1, 101, (n_rows, 4))
        values[rng.random(values.shape) < 0.01] = np.nan
        check.validate(pd.DataFrame({"timestamp": T0 + tick[0] * STEP, "sector_id": sectors,
                                     **dict(zip(schema.KPIS, values.T, strict=True))}))
        tick[0] += 1

    return timed(one, 5)


def operator_sample() -> float:
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "scripts" / "make_operator_sample.py"
    spec = importlib.util.spec_from_file_location("make_operator_sample", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with tempfile.TemporaryDirectory() as tmp:
        return timed(lambda: module.main(["--out", tmp, "--cells", "400", "--weeks", "3"]), 1)


#: name -> (what, budget in seconds, measure)
BLOCKS: dict[str, tuple[str, float, Callable[[], float]]] = {
    "simulator": ("simulator, one tick of 10k sectors", 0.010, simulator_tick),
    "placement": ("placing 100k sectors in provinces", 0.5, placement),
    "episodes": ("episode tracker, one tick of 20k sectors", 0.025, episode_tick),
    "evaluate": ("evaluate 500 sectors x 1000 ticks", 0.2, evaluate_500k),
    "replay_load": ("ReplaySource on a 1M-row Parquet", 3.0, replay_load_1m),
    "validate_500": ("validator, one batch of 500 rows", 0.005, lambda: validator(500)),
    "validate_100k": ("validator, one batch of 100k rows", 0.040, lambda: validator(100_000)),
    "operator_sample": ("operator sample, 400 cells x 3 weeks", 10.0, operator_sample),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(BLOCKS), default=None)
    args = parser.parse_args(argv)
    for name in args.only or BLOCKS:
        what, budget, measure = BLOCKS[name]
        seconds = measure()
        verdict = "ok" if seconds <= budget else "OVER"
        print(f"{what:45s} {seconds * 1e3:9.1f} ms  (budget {budget * 1e3:,.0f} ms) {verdict}",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
