"""Would the seasonal and peer parts' transforms of a large tick overlap on two threads?

A 100k-sector tick's score spends ~35-40 ms of one thread in each of the seasonal part's
and the peer part's transforms (``tick_stages.py --split``), and the two read only the view
and their own state. This captures one tick's view and times both ways on fresh copies of
it (empty caches; the shared scaled KPIs first, as the pipeline computes them), sequential
and with the peer part on a second thread, alternating. Wall only means something on a
quiet machine: on a loaded one two threads also take two shares of the CPUs.

    PYTHONPATH=. python benchmarks/part_overlap.py --sectors 100000 --reps 16
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from telecom_nb.detectors import make_detector
from telecom_nb.engine.monitor import Monitor
from telecom_nb.features.peers import PeerComparison
from telecom_nb.features.view import BatchView
from telecom_nb.sources.simulator import KpiSimulator


async def captured_tick(sectors: int):
    """(monitor, detector, a trained detector's view of one live tick)."""
    monitor = Monitor(KpiSimulator(n_sectors=sectors, seed=0), make_detector("iforest"),
                      interval=0.0)
    while not monitor.detector.is_ready:
        await monitor.step(1)
    await monitor.step(2)
    detector = monitor.runner.engine.detector
    score, views = detector.score, []

    def grab(batch):
        views.append(detector.features_.view(batch))
        return score(batch)

    detector.score = grab
    await monitor.step(1)
    detector.score = score
    return monitor, detector, views[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sectors", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=16)
    args = parser.parse_args()
    monitor, detector, view = asyncio.run(captured_tick(args.sectors))
    parts = detector.features_.parts_
    seasonal = parts[0]
    peers = next(p for p in parts if isinstance(p, PeerComparison))

    def fresh() -> BatchView:
        return BatchView(view.sector_ids, view.provinces, view.timestamps, view.raw, {},
                         ids_key=view.ids_key, provinces_key=view.provinces_key,
                         coords=view.coords)

    pool = ThreadPoolExecutor(1)

    def sequential() -> None:
        v = fresh()
        seasonal.series(v)
        seasonal.transform_view(v)
        peers.transform_view(v)

    def overlapped() -> None:
        v = fresh()
        seasonal.series(v)
        other = pool.submit(peers.transform_view, v)
        seasonal.transform_view(v)
        other.result()

    runs: dict[str, list[tuple[float, float]]] = {"sequential": [], "overlapped": []}
    for rep in range(args.reps):
        order = [("sequential", sequential), ("overlapped", overlapped)]
        for name, fn in order if rep % 2 else order[::-1]:
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            runs[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    for name, xs in runs.items():
        print(f"{name:10s} wall {statistics.median(x[0] for x in xs) * 1e3:7.1f} ms, process "
              f"CPU {statistics.median(x[1] for x in xs) * 1e3:7.1f} ms (medians of {len(xs)})")
    pool.shutdown()
    asyncio.run(monitor.aclose())


if __name__ == "__main__":
    main()
