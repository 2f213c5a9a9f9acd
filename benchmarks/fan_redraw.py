"""What one zoom of the map costs the kernel: the fan's positions for the new zoom and the
layers' GeoJSON (base and the alert overlay), for a simulated network.

    PYTHONPATH=. python benchmarks/fan_redraw.py --sectors 5000 100000 --seed 2400

Prints per size: the fan's geometry (once per table), ``fan_at`` alone, the whole
``SectorMap.redraw`` (positions + GeoJSON of every layer, 2 % of sectors alerting), and the
base layer's JSON (size, and the time to encode it, as the kernel does to send it); the
median of ``--repeats`` zooms, alternating two zooms. Then a scroll wheel's ``--steps``
zooms reaching the kernel ``--gap`` s apart through the page's zoom link (in an event
loop, as in a kernel): the base layer's resends and the kernel's CPU until the last
step's fan is drawn.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import numpy as np
import scipy.spatial  # noqa: F401  (imported before timing: fan_geometry's first call)

from telecom_nb import schema
from telecom_nb.geo.placement import place_sectors
from telecom_nb.ui.fan import fan_at, fan_geometry
from telecom_nb.ui.map import SectorMap

EMPTY = {"type": "FeatureCollection", "features": []}


def _ms(f, repeats: int) -> float:
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        f(i)
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def measure(n: int, seed: int, repeats: int, steps: int = 3, gap: float = 0.1
            ) -> dict[str, float]:
    sectors = place_sectors(n, seed=seed)
    t0 = time.perf_counter()
    geometry = fan_geometry(sectors)
    geometry_ms = 1000 * (time.perf_counter() - t0)
    smap = SectorMap(sectors, provinces=EMPTY)
    frame = sectors.copy()
    rng = np.random.default_rng(seed)
    frame[schema.STATE] = np.where(rng.random(n) < 0.02, "anomalous", "normal")
    frame[schema.SCORE] = 0.5
    smap.update(frame)
    zooms = (11.0, 12.0)
    fan_ms = _ms(lambda i: fan_at(geometry, zooms[i % 2]), repeats)
    redraw_ms = _ms(lambda i: smap.redraw(zooms[i % 2]), repeats)
    text = json.dumps(smap.base.data)
    encode_ms = _ms(lambda i: json.dumps(smap.base.data), repeats)
    sends, wheel_ms = _wheel(smap, steps, gap)
    return {"sectors": n, "geometry_ms": geometry_ms, "fan_at_ms": fan_ms,
            "redraw_ms": redraw_ms, "base_json_MB": len(text) / 1e6, "encode_ms": encode_ms,
            "wheel_base_sends": sends, "wheel_cpu_ms": wheel_ms}


def _wheel(smap: SectorMap, steps: int, gap: float) -> tuple[int, float]:
    """A wheel's ``steps`` zooms in from 6, ``gap`` s apart: base layer resends, CPU ms."""
    smap.redraw(6.0)
    sends: list[int] = []
    smap.base.observe(lambda _: sends.append(1), names="data")
    last = 6.0 + steps

    async def scroll() -> None:
        for zoom in range(7, 7 + steps):
            smap.zoom_seen.value = float(zoom)
            await asyncio.sleep(gap)
        while smap.fan_zoom != last:
            await asyncio.sleep(0.01)

    t0 = time.process_time()
    asyncio.run(scroll())
    return len(sends), 1000 * (time.process_time() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sectors", type=int, nargs="+", default=[5000, 100000])
    parser.add_argument("--seed", type=int, default=2400)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--steps", type=int, default=3, help="a wheel's zoom steps")
    parser.add_argument("--gap", type=float, default=0.1, help="seconds between its steps")
    args = parser.parse_args()
    for n in args.sectors:
        row = measure(n, args.seed, args.repeats, args.steps, args.gap)
        print("  ".join(f"{k} {v:,.1f}" if isinstance(v, float) else f"{k} {v:,}"
                        for k, v in row.items()))


if __name__ == "__main__":
    main()
