"""Capture what a headless dashboard reads on each tick, and compare two captures exactly.

A refactor of the incident or episode views must leave every frame the same (values,
dtypes, order): run this on main's tree and on the branch's, then ``--compare``. Each tick
keeps the episode frame, the recent episodes, the incident frame, the incident book's
member table and assignments, the feed's HTML, the incident summary line and the sectors
drawn as acknowledged; every 17th tick acknowledges and expands the top incident.

    PYTHONPATH=. python benchmarks/dashboard_capture.py OUT.pkl [--sectors 500] [--seed 0]
        [--ticks 150] [--max-closed N]
    PYTHONPATH=. python benchmarks/dashboard_capture.py --compare A.pkl B.pkl
"""

from __future__ import annotations

import argparse
import asyncio
import pickle
from pathlib import Path

import pandas as pd


def capture(n_sectors: int, seed: int, ticks: int, max_closed: int | None) -> list[dict]:
    from telecom_nb.engine.monitor import Monitor
    from telecom_nb.ui import Dashboard

    monitor = Monitor.simulated(n_sectors=n_sectors, seed=seed, interval=0.0,
                                contamination=0.01)
    if max_closed is not None:
        monitor.episodes.max_closed = max_closed
    dashboard = Dashboard(monitor)
    monitor.remove_sink(dashboard._on_batch)  # fed by hand: every tick drawn
    out = []
    for t in range(ticks):
        (batch,) = asyncio.run(monitor.step(1))
        dashboard._on_batch(batch)
        incidents = monitor.incidents_frame()
        if t % 17 == 16 and len(incidents):
            top = int(incidents["incident_id"].iloc[0])
            dashboard.feed.pick(top)
            monitor.incidents.acknowledge(top, "c", "w", time="2026-01-01")  # a fixed time
            dashboard._draw_incidents(None)
            incidents = monitor.incidents_frame()
        out.append({"episodes": monitor.episodes_frame(),
                    "recent": monitor.recent_episodes(50), "incidents": incidents,
                    "members": monitor.incidents._members.copy(),
                    "assignments": monitor.incidents.assignments(),
                    "feed": dashboard.feed.table.value,
                    "summary": dashboard._incident_summary(),
                    "acknowledged": list(dashboard.map.acknowledged)})
    return out


def compare(a: list[dict], b: list[dict]) -> int:
    """Objects compared; raises at the first difference (tick and name in the message)."""
    assert len(a) == len(b), f"{len(a)} ticks vs {len(b)}"
    n = 0
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        assert x.keys() == y.keys(), f"tick {i}: {sorted(x)} vs {sorted(y)}"
        for k in x:
            if isinstance(x[k], pd.DataFrame):
                pd.testing.assert_frame_equal(x[k], y[k], check_exact=True, obj=f"tick {i} {k}")
            elif isinstance(x[k], pd.Series):
                pd.testing.assert_series_equal(x[k], y[k], check_exact=True, obj=f"tick {i} {k}")
            else:
                assert x[k] == y[k], f"tick {i} {k}"
            n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--compare", action="store_true", help="compare two captures")
    parser.add_argument("--sectors", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ticks", type=int, default=150)
    parser.add_argument("--max-closed", type=int, default=None)
    args = parser.parse_args()
    if args.compare:
        a, b = (pickle.loads(p.read_bytes()) for p in args.paths)
        print(f"identical: {len(a)} ticks, {compare(a, b)} objects")
        return
    caps = capture(args.sectors, args.seed, args.ticks, args.max_closed)
    args.paths[0].write_bytes(pickle.dumps(caps))
    print(f"captured {len(caps)} ticks")


if __name__ == "__main__":
    main()
