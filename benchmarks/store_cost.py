"""What persistence costs: per-tick commit at 500 and 10,000 sectors, checkpoint size and
time, resume time (restore + model refit); DuckDB's per-tick commit for comparison.

    PYTHONPATH=. python benchmarks/store_cost.py [--sectors 500,10000] [--ticks 40]

No timed tests: figures are printed (median ms) and quoted in the README. DuckDB is
optional (``pip install duckdb`` into any path on PYTHONPATH); it is skipped if missing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from telecom_nb.engine.monitor import Monitor
from telecom_nb.engine.persist import Persister


def _timed_sink(times: list[float]):
    original = Persister.__call__

    def timed(self, scored):
        started = time.perf_counter()
        original(self, scored)
        times.append(time.perf_counter() - started)

    return original, timed


def measure(n_sectors: int, ticks: int, folder: Path) -> dict[str, float]:
    times: list[float] = []
    original, timed = _timed_sink(times)
    Persister.__call__ = timed  # type: ignore[method-assign]
    try:
        path = folder / f"s{n_sectors}.db"
        monitor = Monitor.simulated(n_sectors=n_sectors, seed=1, interval=0, store=path,
                                    checkpoint_every=None)
        started = time.perf_counter()
        scored = asyncio.run(monitor.step(ticks))
        tick_ms = (time.perf_counter() - started) / ticks * 1e3
    finally:
        Persister.__call__ = original  # type: ignore[method-assign]
    steady = times[5:] or times
    flagged = [int(s.frame["is_anomaly"].sum()) for s in scored]
    started = time.perf_counter()
    monitor.checkpoint()
    ck_s = time.perf_counter() - started
    ck_mb = monitor.persister.checkpoint_bytes / 1e6
    started = time.perf_counter()
    resumed = Monitor.simulated(n_sectors=n_sectors, seed=1, interval=0, store=path)
    resume_s = time.perf_counter() - started
    assert resumed.detector.is_ready and resumed.tick == ticks
    return {"sectors": n_sectors, "tick_ms": tick_ms,
            "commit_ms_median": statistics.median(steady) * 1e3,
            "commit_ms_max": max(steady) * 1e3,
            "flagged_rows_per_tick": statistics.mean(flagged),
            "checkpoint_mb": ck_mb, "checkpoint_s": ck_s, "resume_s": resume_s,
            "store_mb": path.stat().st_size / 1e6, "frames": scored}


def duckdb_commit_ms(frames: list[pd.DataFrame], folder: Path) -> float | None:
    """The same per-tick transaction (tick row + anomalous rows) in a DuckDB file."""
    try:
        import duckdb
    except ImportError:
        return None
    con = duckdb.connect(str(folder / f"bench{len(frames[0])}.duckdb"))
    cols = ["sector_id", "payload_mb", "throughput_mbps", "prb_pct", "availability_pct",
            "score", "top_kpi", "alert_score", "state"]
    con.execute("CREATE TABLE ticks (tick INTEGER PRIMARY KEY, time_ns BIGINT, n_rows INTEGER)")
    con.execute("CREATE TABLE anomalies (tick INTEGER, time_ns BIGINT, sector_id VARCHAR, "
                "payload_mb DOUBLE, throughput_mbps DOUBLE, prb_pct DOUBLE, "
                "availability_pct DOUBLE, score DOUBLE, top_kpi VARCHAR, alert_score DOUBLE, "
                "state VARCHAR)")
    times = []
    for tick, frame in enumerate(frames, start=1):
        rows = frame.loc[frame["is_anomaly"], cols].astype({"state": str, "top_kpi": str})
        rows.insert(0, "time_ns", frame["timestamp"].iloc[0].value)
        rows.insert(0, "tick", tick)
        started = time.perf_counter()
        con.execute("BEGIN")
        con.execute("INSERT INTO ticks VALUES (?, ?, ?)",
                    [tick, int(frame["timestamp"].iloc[0].value), len(frame)])
        con.register("batch", rows)
        con.execute("INSERT INTO anomalies SELECT * FROM batch")
        con.unregister("batch")
        con.execute("COMMIT")
        times.append(time.perf_counter() - started)
    con.close()
    return statistics.median(times[5:] or times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sectors", default="500,10000")
    parser.add_argument("--ticks", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in (int(s) for s in args.sectors.split(",")):
            r = measure(n, args.ticks, folder)
            frames = [s.frame for s in r.pop("frames")]
            duck = duckdb_commit_ms(frames, folder)
            print(f"{n:>6} sectors: tick {r['tick_ms']:7.1f} ms | SQLite commit median "
                  f"{r['commit_ms_median']:.2f} ms (max {r['commit_ms_max']:.2f}), "
                  f"{r['flagged_rows_per_tick']:.0f} flagged rows/tick | DuckDB commit "
                  f"{'n/a' if duck is None else f'{duck:.2f} ms'} | checkpoint "
                  f"{r['checkpoint_mb']:.1f} MB in {r['checkpoint_s']:.2f} s | resume "
                  f"(restore + refit) {r['resume_s']:.2f} s | store {r['store_mb']:.2f} MB "
                  f"after {args.ticks} ticks", flush=True)


if __name__ == "__main__":
    main()
