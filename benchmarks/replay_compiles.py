"""The numba kernels a replay compiles after ``python -m telecom_nb.warm``: none, ideally.

A kernel the warm-up's small fleets never call in some signature (an array layout, a
dtype) is compiled by the user's first replay that reaches it, in the middle of it: a
5,000-sector replay compiled the ratio detection's decimals kernel on its strided fleet
sample (fixed by the 60th session's row60). Run on a table after the warm-up; each line
names a compiled kernel and its argument types (a cache hit is not a compile):

    python -m telecom_nb.warm
    python benchmarks/replay_compiles.py TABLE.parquet
"""

from __future__ import annotations

import argparse
import time

# the package first: it points NUMBA_CACHE_DIR at the warmed cache before numba loads
from telecom_nb.detectors import make_detector
from telecom_nb.engine.replay import replay
from telecom_nb.sources.tables import load_table


def _listen() -> list[tuple[str, str]]:
    """The kernels compiled from now on, as (name, argument types): numba fires
    ``numba:compile`` on a cache miss only."""
    from numba.core import event

    seen: list[tuple[str, str]] = []

    class Compiles(event.Listener):
        def on_start(self, ev: event.Event) -> None:
            seen.append((ev.data["dispatcher"].py_func.__qualname__, str(ev.data["args"])))

        def on_end(self, ev: event.Event) -> None:
            pass

    event.register("numba:compile", Compiles())
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table", help="a Parquet or CSV KPI table")
    parser.add_argument("--detector", default="iforest")
    args = parser.parse_args()
    seen = _listen()
    loaded = load_table(args.table)
    start = time.process_time()
    replay(loaded.frame, make_detector(args.detector), loaded.kpis)
    print(f"replay {time.process_time() - start:.2f} s CPU, {len(seen)} compiles")
    for name, types in seen:
        print(f"  {name} {types}")


if __name__ == "__main__":
    main()
