"""Per-tick cost of the dashboard's widget updates, at 500 and 20,000 sectors.

Builds the real dashboard in-process around a simulated ``Monitor`` with a comm that counts
what would be sent to the browser, warms the detector up with the dashboard attached (so the
feed and charts are in their steady state), then steps the stream one tick at a time and
times the dashboard's sink + ``refresh()`` on each (all per-tick widget work, reading the
engine's state as it is at that tick; the engine's own time is not counted; CPU time of
this thread, ``time.thread_time``, so a retrain in its worker thread is not counted; wall
time on a shared host is noise). "flagged" is
anomalous + recovering sectors on the tick, "feed" how many ticks redrew the episode feed,
"map" the overlay update alone, "max" the worst measured tick. The figure that matters is bytes per
tick: the NOTES measured ~70 µs and ~650 B per message in a real kernel.

    .venv/bin/python benchmarks/widget_traffic.py [--sectors 500,20000] [--ticks 5] [--by-widget]

``--by-widget`` lists each widget's messages and bytes per tick (class and the traits sent).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from ipywidgets.widgets.widget import _instances as widget_instances

from telecom_nb.engine.monitor import Monitor
from telecom_nb.ui import Dashboard
from telecom_nb.ui.geojson import EMPTY_COLLECTION
from telecom_nb.ui.traffic import count_widget_traffic


def measure(n_sectors: int, warmup: int, ticks: int, contamination: float) -> dict[str, float]:
    monitor = Monitor.simulated(n_sectors=n_sectors, seed=0, interval=0.0,
                                contamination=contamination)
    with count_widget_traffic() as traffic:
        t0 = time.process_time()
        dashboard = Dashboard(monitor)
        build_s = time.process_time() - t0
        build_bytes, build_msgs = traffic.bytes, traffic.messages
        # fed by hand, every tick drawn (on a loop, refreshes coalesce by wall time and the
        # first measured tick would carry whatever the warm-up left undrawn)
        monitor.remove_sink(dashboard._on_batch)
        engine_s = 0.0
        for _ in range(warmup):  # the detector trains, so ticks carry anomalies
            t0 = time.process_time()
            (batch,) = asyncio.run(monitor.step(1))
            engine_s += time.process_time() - t0
            dashboard._on_batch(batch)
        per_tick_ms, per_tick_bytes, per_tick_msgs, flagged = [], [], [], []
        by_state: dict[tuple[str, str], list[int]] = {}
        map_ms, map_bytes = [], []
        feed_redraws = dashboard.feed.redraws
        for _ in range(ticks):
            (batch,) = asyncio.run(monitor.step(1))
            traffic.reset()
            t0 = time.thread_time()
            dashboard._on_batch(batch)  # no running loop here: refreshes synchronously
            per_tick_ms.append((time.thread_time() - t0) * 1e3)
            per_tick_bytes.append(traffic.bytes)
            per_tick_msgs.append(traffic.messages)
            for key, n in traffic.by_state.items():
                count = by_state.setdefault(key, [0, 0])
                count[0] += n
                count[1] += traffic.bytes_by_state[key]
            flagged.append(int((batch.frame["state"] != "normal").sum()))
            # the map alone, comparable with NOTES.md: clear the overlays, redraw this tick
            dashboard.map.alerts.data = EMPTY_COLLECTION
            traffic.reset()
            t0 = time.thread_time()
            dashboard.map.update(batch.frame)
            map_ms.append((time.thread_time() - t0) * 1e3)
            map_bytes.append(traffic.bytes)
    return {
        "sectors": n_sectors,
        "engine_s": engine_s,
        "build_s": build_s,
        "build_kb": build_bytes / 1e3,
        "build_msgs": build_msgs,
        "tick_ms": statistics.median(per_tick_ms),
        "tick_kb": statistics.median(per_tick_bytes) / 1e3,
        "tick_msgs": statistics.median(per_tick_msgs),
        "max_msgs": max(per_tick_msgs),
        "max_kb": max(per_tick_bytes) / 1e3,
        "flagged": statistics.median(flagged),
        "feed_redraws": dashboard.feed.redraws - feed_redraws,
        "map_ms": statistics.median(map_ms),
        "map_kb": statistics.median(map_bytes) / 1e3,
        "by_widget": _by_widget(by_state, ticks),
    }


def _by_widget(by_state: dict[tuple[str, str], list[int]], ticks: int
               ) -> dict[str, tuple[float, float]]:
    """"Lines[x,y]" -> (messages, bytes) per tick, summed over the widgets of that class."""
    out: dict[str, list[float]] = {}
    for (cid, keys), (n, size) in by_state.items():
        total = out.setdefault(f"{type(widget_instances.get(cid)).__name__}[{keys}]", [0, 0])
        total[0] += n / ticks
        total[1] += size / ticks
    return {name: (n, size) for name, (n, size) in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sectors", default="500,20000")
    parser.add_argument("--warmup", type=int, default=40, help="ticks scored before measuring")
    parser.add_argument("--ticks", type=int, default=15, help="ticks measured")
    parser.add_argument("--by-widget", action="store_true",
                        help="each widget's messages and bytes per tick")
    parser.add_argument("--contamination", type=float, default=0.01,
                        help="detector alarm rate (NOTES measured maps at ~5%% flagged)")
    args = parser.parse_args()
    print(f"{'sectors':>8} {'build s':>8} {'build KB':>9} {'msgs':>5} {'tick ms':>8} "
          f"{'tick KB':>8} {'max KB':>7} {'msgs':>5} {'max':>4} {'map ms':>7} {'map KB':>7} "
          f"{'flagged':>8} {'feed':>5}")
    for n in (int(s) for s in args.sectors.split(",")):
        r = measure(n, args.warmup, args.ticks, args.contamination)
        print(f"{r['sectors']:>8,} {r['build_s']:>8.2f} {r['build_kb']:>9.0f} "
              f"{r['build_msgs']:>5} {r['tick_ms']:>8.1f} {r['tick_kb']:>8.1f} "
              f"{r['max_kb']:>7.1f} {r['tick_msgs']:>5.0f} {r['max_msgs']:>4} "
              f"{r['map_ms']:>7.1f} {r['map_kb']:>7.1f} "
              f"{r['flagged']:>8.0f} {r['feed_redraws']:>2}/{args.ticks}")
        if args.by_widget:
            for name, (n, size) in sorted(r["by_widget"].items(), key=lambda kv: -kv[1][1]):
                print(f"{'':>8} {n:5.1f} msgs {size:9,.0f} B  {name}")


if __name__ == "__main__":
    main()
