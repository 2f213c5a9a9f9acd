"""Scratch: detection quality and cost of our detectors vs the seed (prints figures).

Not a test. Run: .venv/bin/python benchmarks/detection_quality.py [--days 4] [--seed 0] [--cost]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.engine import replay


def simulate(n_sectors: int, days: float, seed: int = 0) -> pd.DataFrame:
    from telecom_nb.sources.simulator import KpiSimulator

    sim = KpiSimulator(n_sectors=n_sectors, seed=seed)
    ticks = int(days * pd.Timedelta("1D") / sim.step)
    return sim.run(ticks)


def quality(table: pd.DataFrame, names: list[str], timezone: str | None = None) -> None:
    from telecom_nb.evaluation.metrics import evaluate

    fault_rows = (table[schema.FAULT] != "").mean()
    print(f"rows={len(table)} fault rows={fault_rows:.3%}")
    results = {}
    for name in names:
        det = make_detector(name)
        if timezone and "timezone" in det.param_names():
            det.timezone = timezone  # the simulator's local calendar
        t0 = time.perf_counter()
        scored = replay(table, det, schema.KPIS).frame  # the engine's replay path
        took = time.perf_counter() - t0
        # judge only rows after the first model (both detectors are warming up before)
        ev = evaluate(scored)
        results[name] = ev
        print(f"{name:9s} P={ev.precision:.3f} R={ev.recall:.3f} F1={ev.f1:.3f} "
              f"events={ev.events_found}/{ev.n_events} ({ev.event_recall:.3f}) "
              f"delay={ev.median_delay_ticks} flagged={ev.flagged} "
              f"retrains={det.model_version_} ({took:.1f}s)")
        for kind, ks in ev.per_kind.items():
            print(f"    {kind:14s} events {ks.events_found}/{ks.n_events} "
                  f"row recall {ks.row_recall:.2f} delay {ks.median_delay_ticks}")
        faulty = scored[schema.FAULT] != ""
        hit = faulty & scored[schema.IS_ANOMALY]
        if hit.any():
            print("    top_kpi by kind:",
                  scored[hit].groupby(schema.FAULT)[schema.TOP_KPI]
                  .agg(lambda s: s.value_counts().head(2).to_dict()).to_dict())
    if "seed" in results and "iforest" in results and results["seed"].f1 > 0:
        print(f"F1 ratio iforest/seed = {results['iforest'].f1 / results['seed'].f1:.1f}")


def cost(sizes: list[int]) -> None:
    for n in sizes:
        table = simulate(n, days=1.5, seed=1)
        batches = [b for _, b in table.groupby(schema.TIMESTAMP, sort=True)]
        det = make_detector("iforest")
        for b in batches[:-8]:
            det.score(b)
            job = det.learn(b)
            if job:
                job.run_sync()
        times = []
        for b in batches[-8:]:
            t0 = time.perf_counter()
            det.score(b)
            t1 = time.perf_counter()
            det.learn(b)
            times.append((t1 - t0, time.perf_counter() - t1))
        t = np.median(np.array(times), axis=0) * 1e3
        print(f"{n:>7} sectors: score {t[0]:.1f} ms, learn {t[1]:.1f} ms per tick "
              f"(ready={det.is_ready})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sectors", type=int, default=500)
    ap.add_argument("--days", type=float, default=4)
    ap.add_argument("--seed", type=int, default=0, help="simulator seed")
    ap.add_argument("--detectors", default="iforest,robust_z,seed")
    ap.add_argument("--cost", default="")
    ap.add_argument("--timezone", default="Asia/Tehran",
                    help="detector time zone (the simulator's; 'UTC' = none)")
    args = ap.parse_args()
    if args.cost:
        cost([int(s) for s in args.cost.split(",")])
        return
    table = simulate(args.sectors, args.days, seed=args.seed)
    quality(table, args.detectors.split(","), args.timezone)


if __name__ == "__main__":
    main()
