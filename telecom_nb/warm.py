"""Compile the numba kernels once, before anyone waits on them.

The kernels are compiled on first call and cached on disk (``cache=True``, in a folder
named by the package's source, :mod:`~telecom_nb.kernel_cache`, or the user's
``NUMBA_CACHE_DIR``). On a fresh install that first call is ~1 minute of CPU
(the one-series pass alone ~30-40 s): the dashboard's first tick sat at "tick 1 | 19 rows/s"
for ~20 s, and two test processes each compiled the same kernels. A small run through the
same code paths a user's first run takes (a live simulated fleet, a fleet replay, a one
series stream) fills the cache; with a warm cache it takes a few seconds.

    python -m telecom_nb.warm [fleet|series|all]

``make lab`` and the test suite run it first (``fleet`` and ``series`` in parallel).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

#: small enough to run in seconds once compiled, long enough for the first retrains; the
#: live fleet wide enough for a tick's compiled robust-statistics update
#: (``robust_kernel.MIN_CELLS`` cells: with 24 the first notebook kernel compiled it, ~5 s)
FLEET_SECTORS, FLEET_TICKS, LIVE_TICKS = 64, 200, 8
SERIES_ROWS = 600
#: a replay of a few series (at most ``defaults.FEW_SERIES``: each its own context), whose
#: per-batch kernels (the level record's ``score_rows`` / ``learn_rows``) neither the fleet
#: nor the one series reaches: a small export's first ``detect`` (and a unit test of a
#: small partition) compiled them, ~3-5 s; 60 ticks reach its first fits (~2 s once compiled)
FEW_SECTORS, FEW_TICKS = 3, 60
#: an operator's export as ``detect`` reads one (CSV, local time, a site file, a ratio KPI,
#: a cell on air late): its tables arrive in layouts the simulated replays never give
#: (Fortran-ordered blocks, rows out of cell order) -- after the rest of the warm-up, a
#: user's first ``detect`` of an export still compiled four kernels (the lead's v294:
#: 39.8 -> 32.5 s user CPU with them cached)
EXPORT_SECTORS, EXPORT_HOURS = 30, 360


def warm_fleet() -> None:
    """A live simulated fleet's ticks (the notebook's path) and replays (``detect``'s) of a
    fleet, of a few series and of an export."""
    from telecom_nb import schema
    from telecom_nb.detectors import make_detector
    from telecom_nb.detectors.flat_forest import compile_walks
    from telecom_nb.engine.monitor import Monitor
    from telecom_nb.engine.replay import replay
    from telecom_nb.sources.simulator import KpiSimulator

    async def live() -> None:
        monitor = Monitor.simulated(n_sectors=FLEET_SECTORS, seed=0, interval=0.0)
        try:
            await monitor.step(LIVE_TICKS)
        finally:
            await monitor.aclose()

    asyncio.run(live())
    compile_walks()  # a 100k fleet's forest walk (from row_split.PARALLEL_ROWS rows)
    from telecom_nb.detectors.declustered import compile_layouts

    compile_layouts()  # a feature-tail fit's on a window sampled for its calibration
    # a fleet of >= group_median.FEW_ROWS sectors takes its province medians in one
    # compiled pass the 64-sector fleet never reaches (else the first large tick compiles it)
    from telecom_nb.features import median_kernel

    median_kernel.few_group_medians(np.zeros(3, dtype=np.int64), np.zeros((3, 2)), 2, 600)
    for sectors, ticks in ((FLEET_SECTORS, FLEET_TICKS), (FEW_SECTORS, FEW_TICKS)):
        table = KpiSimulator(n_sectors=sectors, seed=1).run(ticks)
        replay(table, make_detector("iforest"), list(schema.KPIS))
    from telecom_nb.features.robust_kernel import compile_out_of_order

    compile_out_of_order()
    from telecom_nb.features.load_fit_kernel import compile_passes

    compile_passes()
    warm_export()


def warm_export() -> None:
    """What ``telecom-nb detect --source`` runs (load, the network's calendar, the replay),
    on a small hourly export written like an operator's."""
    from telecom_nb import schema
    from telecom_nb.alarms.chain import AlarmChain
    from telecom_nb.detectors import make_detector
    from telecom_nb.engine.detect_memory import after_replay, take_table
    from telecom_nb.engine.monitor_setup import use_source_calendar
    from telecom_nb.engine.replay import replay
    from telecom_nb.sources.ingest import load_source
    from telecom_nb.sources.simulator import KpiSimulator
    from telecom_nb.sources.spec import SourceSpec

    table = KpiSimulator(n_sectors=EXPORT_SECTORS, seed=2, step="1h").run(EXPORT_HOURS)
    export = table[[schema.TIMESTAMP, schema.SECTOR, *schema.KPIS]]
    export[list(schema.KPIS)] = export[list(schema.KPIS)].round(2)
    export[schema.TIMESTAMP] = export[schema.TIMESTAMP].dt.tz_convert(
        "Asia/Tehran").dt.tz_localize(None)
    late = export[schema.SECTOR].min()  # on air on the third day: indexed last
    export = export[(export[schema.SECTOR] != late)
                    | (export[schema.TIMESTAMP] >= export[schema.TIMESTAMP].iloc[0]
                       + pd.Timedelta("2D"))]
    calls = np.random.default_rng(0).poisson(40, len(export)) + 1
    export["Drop Rate (%)"] = (100 * np.random.default_rng(1).binomial(calls, 0.03)
                               / calls).round(2)  # a ratio of counts
    sites = table.drop_duplicates(schema.SECTOR)[[schema.SECTOR, schema.LAT, schema.LON]]
    sites["site"] = np.arange(len(sites)) // 3
    with tempfile.TemporaryDirectory() as folder:
        export.to_csv(Path(folder, "export.csv"), index=False)
        sites.to_csv(Path(folder, "sites.csv"), index=False)
        Path(folder, "source.toml").write_text(
            f'path = "export.csv"\ntimestamp = "{schema.TIMESTAMP}"\n'
            f'sector = "{schema.SECTOR}"\ntimezone = "Asia/Tehran"\nsites = "sites.csv"\n')
        spec = SourceSpec.from_toml(Path(folder, "source.toml"))
        loaded = load_source(spec)
    kpis = list(loaded.kpis)
    detector = make_detector("iforest", kpis=kpis)
    use_source_calendar(detector, spec)
    replay(take_table(loaded), detector, kpis, alarms=AlarmChain(kpis=kpis))
    after_replay()  # as detect: the objects take_table froze go back to the collector


def warm_series() -> None:
    """One series of two KPIs through the stream's one-series pass."""
    from telecom_nb import schema
    from telecom_nb.detectors import make_detector

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        schema.TIMESTAMP: pd.date_range("2026-03-02", periods=SERIES_ROWS, freq="15min",
                                        tz="UTC"),
        "value": rng.normal(50, 5, SERIES_ROWS),
        "other": rng.normal(10, 1, SERIES_ROWS),
    })
    make_detector("iforest", kpis=["value", "other"]).score_stream(frame)
    from telecom_nb.features.radix_sort import compile_sort

    compile_sort()  # a calibrator's reference of 20k rows (the warm-up's may be too short)
    from telecom_nb.features.order_select import compile_select

    compile_select()  # a body fit's order statistics (a window past 32 rows a column)
    from telecom_nb.detectors.shift_part import compile_statistic

    compile_statistic()  # the level-shift nulls' row pass on a full window


PARTS = {"fleet": (warm_fleet,), "series": (warm_series,), "all": (warm_fleet, warm_series)}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    part = args[0] if args else "all"
    if part not in PARTS or len(args) > 1:
        print(f"usage: python -m telecom_nb.warm [{'|'.join(PARTS)}]", file=sys.stderr)
        return 2
    started = time.process_time()
    for warm in PARTS[part]:
        warm()
    print(f"telecom_nb.warm {part}: kernels ready ({time.process_time() - started:.0f} s CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
