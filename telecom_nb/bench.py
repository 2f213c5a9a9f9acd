"""Per-tick cost of the engine at a given fleet size (what ``telecom-nb bench`` prints).

Medians per size, with the detector's model already trained: ``simulate_ms`` (the source
producing one tick), ``score_ms`` (features + model + calibration for one batch, no
learning), ``tick_ms`` (one whole engine tick through the Monitor in deterministic mode:
source, validation, features, score, episodes, history/feed sinks, learn) and
``seed_tick_ms`` (the seed's tick on the same fleet), and ``speedup_vs_seed``.

On a shared 2-core machine one run's wall medians moved 2.06-2.96x for the same code, as
ours and the seed's were timed minutes apart. So the two are timed in turns (ABBA: each
of our ticks next to one of the seed's), the ratio is the median over those pairs, and
each figure comes with its process CPU time (``*_cpu_ms``, ``speedup_cpu``) and the
middle half of its samples (``*_iqr``). The targets read the wall figures; the CPU ones
say how much of a move was the machine's. ``tick_alone_ms`` are the ticks before, run
without the seed, as the bench timed them before.

The process's memory: ``rss_mb`` after the timed ticks (the live state held) and
``peak_rss_mb`` during this size's run (the kernel's high-water mark, reset per size), and
``aged_rss_mb``, the RSS once every page of the live state's arrays is written, as in a
stream that has run for a week (zero-filled tables are resident only as far as written:
``rss_mb`` after a few ticks is a young stream's).
``bench_replay`` times a Parquet file through the replay as ``telecom-nb detect`` does.
"""

from __future__ import annotations

import asyncio
import gc
import os
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


def _spread_ms(samples: list[float]) -> list[float]:
    """The middle half of the samples (quartiles, ms): how far one run's median can move."""
    if len(samples) < 2:
        return [_median_ms(samples)] * 2
    q = statistics.quantiles(samples, n=4, method="inclusive")
    return [round(q[0] * 1000.0, 2), round(q[2] * 1000.0, 2)]


class _Clocks:
    """Wall and process CPU time of each call of one thing (a tick, the seed's tick).

    Process CPU counts every thread of this process (a large tick runs on a worker
    thread and the forest walks on numba's), and not the time other jobs held the cores.
    """

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def start(self) -> tuple[float, float]:
        return time.perf_counter(), time.process_time()

    def stop(self, started: tuple[float, float]) -> None:
        self.wall.append(time.perf_counter() - started[0])
        self.cpu.append(time.process_time() - started[1])


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

    # 1. Our ticks alone: the young stream's memory (the seed's dicts not yet in it).
    # The source and the detector's scoring are timed inside the very ticks being timed.
    sim_s = _timed(monitor.source, "next_batch")
    score_s = _timed(monitor.detector, "score")
    alone = _Clocks()
    for _ in progress(range(ticks), desc=f"{n_sectors} sectors", enabled=not quiet):
        started = alone.start()
        await monitor.step(1)
        alone.stop(started)
    rss_mb, peak_rss_mb = memory_mb("VmRSS"), memory_mb("VmHWM")
    write_every_page(monitor)
    aged_rss_mb = memory_mb("VmRSS")

    # 2. Ours and the seed's tick in turns (ABBA), so both meet the machine's same minutes.
    load_before = _load()
    ours, seed = _Clocks(), _Clocks()
    seed_tick = SeedTick(n_sectors)
    for i in range(ticks):
        for which in ((ours, seed) if i % 2 == 0 else (seed, ours)):
            if which is seed:
                seed_tick.step(seed)
            else:
                started = ours.start()
                await monitor.step(1)
                ours.stop(started)
    await monitor.aclose()
    del seed_tick
    return {
        "sectors": n_sectors,
        "simulate_ms": _median_ms(sim_s),
        "score_ms": _median_ms(score_s),
        **_tick_figures(ours, seed),
        "tick_alone_ms": _median_ms(alone.wall),
        "tick_alone_cpu_ms": _median_ms(alone.cpu),
        "ticks_timed": ticks,
        "load": max(load_before, _load()),
        "rss_mb": rss_mb,
        "peak_rss_mb": peak_rss_mb,
        "aged_rss_mb": aged_rss_mb,
    }


def _load() -> float:
    """The machine's 1-minute load average (0 where the OS does not say)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return 0.0


def _tick_figures(ours: _Clocks, seed: _Clocks) -> dict:
    """The target's figures: medians of the interleaved ticks, and the median over pairs
    (a tick of ours and the seed's next to it) of their ratio: a slow minute of the machine
    slows both halves of a pair, so the pair's ratio moves less than either median."""
    wall_ratio = [s / max(o, 1e-9) for o, s in zip(ours.wall, seed.wall, strict=True)]
    cpu_ratio = [s / max(o, 1e-9) for o, s in zip(ours.cpu, seed.cpu, strict=True)]
    return {
        "tick_ms": _median_ms(ours.wall),
        "tick_ms_iqr": _spread_ms(ours.wall),
        "tick_cpu_ms": _median_ms(ours.cpu),
        "seed_tick_ms": _median_ms(seed.wall),
        "seed_tick_ms_iqr": _spread_ms(seed.wall),
        "seed_tick_cpu_ms": _median_ms(seed.cpu),
        "speedup_vs_seed": round(statistics.median(wall_ratio), 2),
        "speedup_iqr": [round(v / 1000.0, 2) for v in _spread_ms(wall_ratio)],
        "speedup_cpu": round(statistics.median(cpu_ratio), 2),
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
class SeedTick:
    """The seed's tick: a Python loop over sectors into dicts + IF ``predict``.

    The reference the live tick is compared with (same fleet, same machine, same run):
    the seed kept one dict of KPIs per sector and flagged with a 100-tree forest fitted
    on a rolling window of 2,000 samples. :meth:`step` times one tick (its batch is
    simulated before the clocks start, as the live tick's source is inside its own).
    """

    def __init__(self, n_sectors: int) -> None:
        import numpy as np
        from sklearn.ensemble import IsolationForest

        from telecom_nb import schema

        self._np = np
        self.sim = KpiSimulator(n_sectors=n_sectors, seed=0)
        self.kpis = list(schema.KPIS)
        self.columns = [schema.SECTOR, *self.kpis]
        window = self.sim.next_batch()[self.kpis].to_numpy(dtype=float)
        self.forest = IsolationForest(contamination=0.01, random_state=0).fit(window[-2000:])
        self.state: dict[str, dict[str, float]] = {}

    def step(self, clocks: _Clocks) -> None:
        batch = self.sim.next_batch()
        started = clocks.start()
        for sector, *values in batch[self.columns].itertuples(index=False):
            self.state[sector] = dict(zip(self.kpis, values, strict=True))
        x = self._np.array([[row[k] for k in self.kpis] for row in self.state.values()])
        self.forest.predict(x)
        clocks.stop(started)


def bench_seed_tick(n_sectors: int, ticks: int = 5) -> float:
    """Median wall ms of the seed's tick run alone (``bench_engine`` interleaves it)."""
    seed_tick, clocks = SeedTick(n_sectors), _Clocks()
    for _ in range(ticks):
        seed_tick.step(clocks)
    return _median_ms(clocks.wall)


# ---------------------------------------------------------------- replay
#: the fleet of a replay benchmark (rows / FLEET_SECTORS ticks)
FLEET_SECTORS = 1000

_CHILD = """
import json, sys, time
path, out, detector = sys.argv[1:4]
from pathlib import Path
from telecom_nb.bench import memory_mb
from telecom_nb.cli.io import write_parquet
from telecom_nb.detectors import make_detector
from telecom_nb.engine.compact_columns import expand
from telecom_nb.engine.detect_memory import after_replay, before_load, take_table
from telecom_nb.engine.replay import replay, with_local_time
from telecom_nb.sources.ingest import load_source
base = memory_mb("VmRSS")  # the interpreter and its libraries before any data
t0, c0 = time.perf_counter(), time.process_time()
before_load()  # the memory steps of `telecom-nb detect` (cli/commands.run_detect), shared
loaded = load_source(path)  # the loader of `telecom-nb detect` (its copies, its peak)
zone = loaded.spec.timezone  # the scored table is written with its local time, as detect's
rows, table_mb = len(loaded.frame), loaded.frame.memory_usage(deep=True).sum() / 2**20
kpis, table, loaded = loaded.kpis, take_table(loaded), None
t1 = time.perf_counter()
det = make_detector(detector)
res = replay(table, det, kpis)
table = None
t2 = time.perf_counter()
retrains, frame = getattr(det, "model_version_", 0), with_local_time(res.frame, zone)
det = res = None  # as `telecom-nb detect` lets the detector go before its write
after_replay()
write_parquet(frame, Path(out), expand)
t3 = time.perf_counter()
print(json.dumps({"rows": rows, "read_s": t1 - t0, "replay_s": t2 - t1,
                  "retrains": retrains,
                  "write_s": t3 - t2, "total_s": t3 - t0,
                  "cpu_s": time.process_time() - c0,
                  "table_mb": table_mb,
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
    out["peak_per_table"] = round(out["peak_rss_mb"] / max(out["table_mb"], 1e-9), 2)
    return out
