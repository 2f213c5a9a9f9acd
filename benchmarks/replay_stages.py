"""Scratch: where a replay's CPU goes, stage by stage (process CPU, so a loaded machine's
wall clock does not lie; each figure is inclusive of the stages it calls).

    python benchmarks/replay_stages.py TABLE.parquet [--warm 0.2]

A first replay of the table's first ``--warm`` share loads every compiled kernel (numba's
cache: ~0.5 s once per process), then the whole table is replayed with a timer around
each feature part, the pipeline's own stages, the detector's learn/score/retrain steps,
validation and the alarm stage. Make a table with ``telecom_nb.bench.make_replay_table``.
"""

from __future__ import annotations

import argparse
import collections
import functools
import time

from telecom_nb.alarms.chain import AlarmChain
from telecom_nb.detectors import make_detector
from telecom_nb.detectors import stream as stream_module
from telecom_nb.engine.replay import replay
from telecom_nb.sources.tables import load_table
from telecom_nb.sources.validation import BatchValidator

TOTAL: collections.Counter = collections.Counter()
CALLS: collections.Counter = collections.Counter()


def timed(owner, name: str, label: str) -> None:
    """Wrap ``owner.name`` (an instance's or a class's method, a module's function)."""
    f = getattr(owner, name, None)
    if f is None:
        return

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        start = time.process_time()
        try:
            return f(*args, **kwargs)
        finally:
            TOTAL[label] += time.process_time() - start
            CALLS[label] += 1

    setattr(owner, name, wrapper)


def hook_features(features) -> None:
    for part in features.parts_:
        for name in ("transform_view", "update_view"):
            timed(part, name, f"part {type(part).__name__}.{name}")
    for attr in ("persistence_", "area_", "run_", "drift_", "level_", "smooth_", "recur_",
                 "common_"):
        stage = getattr(features, attr, None)
        for name in ("transform", "update", "adjust", "transform_view", "update_view", "fit"):
            if stage is not None and hasattr(stage, name):
                timed(stage, name, f"{attr}.{name}")
    for name in ("transform_view", "update_view", "_regroup"):
        timed(features, name, f"pipeline.{name}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("table")
    ap.add_argument("--warm", type=float, default=0.2, help="share of rows of the warm-up")
    args = ap.parse_args()
    loaded = load_table(args.table)
    frame = loaded.frame
    replay(frame.iloc[: int(len(frame) * args.warm)], make_detector("iforest"), loaded.kpis)
    det = make_detector("iforest")
    for name in ("_learn_view", "_score_features", "_fit_model", "_remember"):
        timed(det, name, f"detector.{name}")
    of = stream_module.SeriesPass.of

    hooked = set()

    def series_of(features, whole):
        if id(features) not in hooked:  # once: a table of several pieces calls this per piece
            hooked.add(id(features))
            hook_features(features)  # the stream's extractor, made by the first batch
        return of(features, whole)

    stream_module.SeriesPass.of = staticmethod(series_of)
    timed(BatchValidator, "validate_table", "validation (whole table)")
    timed(AlarmChain, "apply_table", "alarms (whole table)")
    start = time.process_time()
    replay(frame, det, loaded.kpis)
    total = time.process_time() - start
    print(f"{len(frame):,} rows: {total:.2f} s CPU ({len(frame) / total:,.0f} rows/s), "
          f"{det.model_version_} retrains")
    for label, t in TOTAL.most_common():
        print(f"  {label:42s} {t:7.3f} s {CALLS[label]:6d} calls {1e3 * t / CALLS[label]:7.3f} ms")


if __name__ == "__main__":
    main()
