"""Per-tick cost of the engine at a given fleet size (what ``telecom-nb bench`` prints).

Medians per size, with the detector's model already trained: ``simulate_ms`` (the source
producing one tick), ``score_ms`` (features + model + calibration for one batch, no
learning), ``tick_ms`` (one whole engine tick through the Monitor in deterministic mode:
source, validation, features, score, episodes, history/feed sinks, learn) and
``seed_tick_ms`` (the seed's tick on the same fleet, measured in the same run), and the
process's memory: ``rss_mb`` after the timed ticks (the live state held) and
``peak_rss_mb`` during this size's run (the kernel's high-water mark, reset per size), and
``aged_rss_mb``, the RSS once every page of the live state's arrays is written, as in a
stream that has run for a week (zero-filled tables are resident only as far as written:
``rss_mb`` after a few ticks is a young stream's).
``bench_replay`` times a Parquet file through the replay as ``telecom-nb detect`` does.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time

from telecom_nb.batching import progress
from telecom_nb.detectors import make_detector
from telecom_nb.engine.monitor import Monitor
from telecom_nb.sources.simulator import KpiSimulator
from telecom_nb.state_pages import write_every_page


def memory_mb(field: str = "VmRSS") -> float:
    """This process's ``VmRSS`` or ``VmHWM`` (its own peak) in MB. Without /proc: the
    peak from ``ru_maxrss`` (which keeps a parent's over exec), the current RSS as 0."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    if field == "VmHWM":
        import resource

        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return 0.0


def reset_peak_memory() -> None:
    """Start a new ``VmHWM`` (Linux: ``5`` to clear_refs); elsewhere the peak keeps running."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000.0, 2)


async def _bench(n_sectors: int, ticks: int, detector: str, quiet: bool) -> dict:
    gc.collect()  # a previous size's monitor (reference cycles) is not counted in this one's
    reset_peak_memory()
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
    rss_mb, peak_rss_mb = memory_mb("VmRSS"), memory_mb("VmHWM")
    write_every_page(monitor)
    aged_rss_mb = memory_mb("VmRSS")
    await monitor.aclose()
    tick_ms = _median_ms(tick_s)
    seed_ms = bench_seed_tick(n_sectors, max(3, min(ticks, 10)))
    return {
        "sectors": n_sectors,
        "simulate_ms": _median_ms(sim_s),
        "score_ms": _median_ms(score_s),
        "tick_ms": tick_ms,
        "seed_tick_ms": seed_ms,
        "speedup_vs_seed": round(seed_ms / max(tick_ms, 1e-9), 2),
        "rss_mb": rss_mb,
        "peak_rss_mb": peak_rss_mb,
        "aged_rss_mb": aged_rss_mb,
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
    """``{"sectors", "simulate_ms", "score_ms", "tick_ms", "seed_tick_ms", ...}`` for one size."""
    return asyncio.run(_bench(n_sectors, ticks, detector, quiet))


# ---------------------------------------------------------------- seed-equivalent tick
def bench_seed_tick(n_sectors: int, ticks: int = 5) -> float:
    """Median ms of the seed's tick: a Python loop over sectors into dicts + IF ``predict``.

    The reference the live tick is compared with (same batches, same machine, same run):
    the seed kept one dict of KPIs per sector and flagged with a 100-tree forest fitted
    on a rolling window of 2,000 samples.
    """
    import numpy as np
    from sklearn.ensemble import IsolationForest

    from telecom_nb import schema

    sim = KpiSimulator(n_sectors=n_sectors, seed=0)
    kpis = list(schema.KPIS)
    window = sim.next_batch()[kpis].to_numpy(dtype=float)
    forest = IsolationForest(contamination=0.01, random_state=0).fit(window[-2000:])
    state: dict[str, dict[str, float]] = {}
    samples = []
    for _ in range(ticks):
        batch = sim.next_batch()
        t0 = time.perf_counter()
        for sector, *values in batch[[schema.SECTOR, *kpis]].itertuples(index=False):
            state[sector] = dict(zip(kpis, values, strict=True))
        x = np.array([[row[k] for k in kpis] for row in state.values()])
        forest.predict(x)
        samples.append(time.perf_counter() - t0)
    return _median_ms(samples)


# ---------------------------------------------------------------- replay
#: the fleet of a replay benchmark (rows / FLEET_SECTORS ticks)
FLEET_SECTORS = 1000

_CHILD = """
import json, sys, time
path, out, detector = sys.argv[1:4]
from telecom_nb.bench import memory_mb
from telecom_nb.detectors import make_detector
from telecom_nb.engine.replay import replay
from telecom_nb.sources.tables import load_table
base = memory_mb("VmRSS")  # the interpreter and its libraries before any data
t0 = time.perf_counter()
loaded = load_table(path)
t1 = time.perf_counter()
det = make_detector(detector)
res = replay(loaded.frame, det, loaded.kpis)
t2 = time.perf_counter()
res.frame.to_parquet(out, index=False)
t3 = time.perf_counter()
print(json.dumps({"rows": len(loaded.frame), "read_s": t1 - t0, "replay_s": t2 - t1,
                  "retrains": getattr(det, "model_version_", 0),
                  "write_s": t3 - t2, "total_s": t3 - t0,
                  "table_mb": loaded.frame.memory_usage(deep=True).sum() / 2**20,
                  "base_rss_mb": base, "peak_rss_mb": memory_mb("VmHWM")}))
"""


def make_replay_table(rows: int, *, one_series: bool, seed: int = 0):
    """A simulated KPI table of about ``rows`` rows: a fleet, or one sector's series."""
    from telecom_nb import schema

    sectors = 1 if one_series else min(FLEET_SECTORS, rows)
    frame = KpiSimulator(n_sectors=sectors, seed=seed).run(max(1, rows // sectors))
    if one_series:  # a file without a sector column is one series
        frame = frame[[schema.TIMESTAMP, *schema.KPIS]]
    return frame


def bench_replay(rows: int, *, one_series: bool = False, detector: str = "iforest") -> dict:
    """One replay of a Parquet file as ``telecom-nb detect`` does it, in a fresh process.

    Times are measured inside the process after its imports (interpreter start
    excluded): read the file, replay, write the scored file. Peak RSS is the process's;
    ``retrains`` the models fitted on the way (one series: about one per data day).
    """
    import json
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "table.parquet"
        make_replay_table(rows, one_series=one_series).to_parquet(path, index=False)
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path), str(Path(tmp) / "scored.parquet"),
             detector], capture_output=True, text=True, check=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out = {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}
    out["kind"] = "one series" if one_series else f"fleet of {min(FLEET_SECTORS, rows)}"
    out["rows_per_s"] = round(out["rows"] / max(out["total_s"], 1e-9))
    return out
