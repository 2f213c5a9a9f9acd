"""Where a live tick's CPU time goes, stage by stage (for comparing two trees).

A tick's fixed cost is many small pieces (a pandas column read is ~15-40 us, a numpy call
on 500 rows ~5 us): ``tick_cpu.py``'s total moves ~10 % between runs on a shared machine,
more than most single cuts. Here each stage's thread CPU time is summed over the same
ticks (``Monitor.step`` in deterministic mode, model trained), so a stage's change stands
out of the noise of the others (``--split``: a stage's one-thread part and its share of the
row-split passes, :mod:`telecom_nb.features.row_split`, apart). Run the two trees back to back:

    for tree in ../main .; do
        PYTHONPATH=$tree python benchmarks/tick_stages.py --sectors 500 --ticks 150
    done
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import defaultdict
from collections.abc import Callable

from telecom_nb.detectors import make_detector
from telecom_nb.engine.monitor import Monitor
from telecom_nb.sources.simulator import KpiSimulator

Samples = dict[str, list[float]]


#: this thread's CPU in row-split passes so far (``--split`` counts it, else None)
_in_rows: list[float] | None = None


def _count_row_splits() -> None:
    """Sum the calling thread's CPU inside ``row_split.over_rows`` (both threads' passes)."""
    global _in_rows
    from telecom_nb.features import row_split

    _in_rows, over_rows = [0.0], row_split.over_rows

    def counted(n, call):
        started = time.thread_time()
        try:
            return over_rows(n, call)
        finally:
            _in_rows[0] += time.thread_time() - started

    row_split.over_rows = counted


def _timed(fn: Callable, label: str, samples: Samples) -> Callable:
    def run(*args, **kwargs):
        started = time.thread_time()
        rows = _in_rows[0] if _in_rows is not None else 0.0
        try:
            return fn(*args, **kwargs)
        finally:
            spent = time.thread_time() - started
            if _in_rows is None:
                samples[label].append(spent)
            else:  # one thread only, then its share of the row-split passes apart
                samples[label].append(spent - (_in_rows[0] - rows))
                samples[f"{label} [rows]"].append(_in_rows[0] - rows)
    return run


def _alarm_stage(alarms: object) -> str:
    """The chain's method the tick calls (``apply`` on trees before ``apply_columns``)."""
    return "apply_columns" if hasattr(alarms, "apply_columns") else "apply"


def _instrument(monitor: Monitor, samples: Samples, parts: bool = False) -> None:
    """Wrap the stages on their instances (the classes stay as they are); ``parts``: each
    feature part's and the pipeline's own stages' calls too (as ``replay_stages.py``)."""
    runner, engine = monitor.runner, monitor.runner.engine
    detector = engine.detector
    pairs = [(runner.source, "next_batch", "source"), (engine.validator, "validate", "validate"),
             (detector, "score", "score"), (engine.alarms, _alarm_stage(engine.alarms), "alarms"),
             (detector, "learn", "learn"), (runner, "_notify", "notify")]
    features = detector.features_
    pairs += [(features, "transform_view", "score: features"),
              (features, "update_view", "learn: features")]
    pairs += [(detector, name, f"score: {name.strip('_')}")
              for name in ("_raw_score", "_explain") if hasattr(detector, name)]
    if parts:
        pairs += _part_pairs(features)
    for obj, name, label in pairs:
        setattr(obj, name, _timed(getattr(obj, name), label, samples))
    for i, sink in enumerate(list(runner.sinks)):
        name = getattr(sink, "__qualname__", None) or type(sink).__name__
        runner.sinks[i] = _timed(sink, f"sink: {name}", samples)


def _part_pairs(features: object) -> list[tuple[object, str, str]]:
    """Each feature part's transform/update and the pipeline's own stages (level record,
    persistence, area, run, drift, smoothing, recurrence, common mode)."""
    pairs = [(part, name, f"  part {type(part).__name__}.{name}")
             for part in features.parts_ for name in ("transform_view", "update_view")]
    for attr in ("persistence_", "area_", "run_", "drift_", "level_", "smooth_", "recur_",
                 "common_"):
        stage = getattr(features, attr, None)
        pairs += [(stage, name, f"  {attr}.{name}")
                  for name in ("transform", "update", "adjust", "transform_view",
                               "update_view", "fit") if hasattr(stage, name)]
    return pairs


async def measure(sectors: int, ticks: int, detector: str,
                  parts: bool = False) -> tuple[float, dict[str, float]]:
    monitor = Monitor(KpiSimulator(n_sectors=sectors, seed=0), make_detector(detector),
                      interval=0.0)
    while not monitor.detector.is_ready:
        await monitor.step(1)
    await monitor.step(10)  # past the first model's one-off costs
    samples: Samples = defaultdict(list)
    _instrument(monitor, samples, parts)
    totals = []
    for _ in range(ticks):
        started = time.thread_time()
        await monitor.step(1)
        totals.append(time.thread_time() - started)
    await monitor.aclose()
    per_tick = {label: sum(values) / ticks * 1e3 for label, values in samples.items()}
    return statistics.median(totals) * 1e3, per_tick


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sectors", type=int, default=500)
    parser.add_argument("--ticks", type=int, default=150)
    parser.add_argument("--detector", default="iforest")
    parser.add_argument("--parts", action="store_true",
                        help="time each feature part and the pipeline's stages too")
    parser.add_argument("--split", action="store_true",
                        help="each stage's one-thread CPU, its row-split passes apart "
                             "('[rows]': this thread's share; one thread below 20,000 rows)")
    args = parser.parse_args()
    if args.split:
        _count_row_splits()
    total, stages = asyncio.run(measure(args.sectors, args.ticks, args.detector, args.parts))
    print(f"tick (median CPU) {total:7.2f} ms   stages, CPU ms per tick (mean, retrains in):")
    for label, ms in sorted(stages.items(), key=lambda item: -item[1]):
        print(f"  {label:28s} {ms:7.3f}")


if __name__ == "__main__":
    main()
