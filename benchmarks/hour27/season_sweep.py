"""Scratch: the season part (every seasonal column on its own deep tail) read directly at
several thresholds, on ``trace.py`` output: events gained and false-alarm rows added::

    python benchmarks/hour27/season_sweep.py T1.parquet [T2.parquet ...]
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from rule_gain import with_rule

from telecom_nb.evaluation.metrics import evaluate

THRESHOLDS = (3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0)


def part(df: pd.DataFrame, keep) -> np.ndarray:
    """The strongest kept column's ``-log10 p`` less log10 of the kept columns."""
    cols = [c for c in df if c.startswith("slp:") and keep(c[4:])]
    if not cols:
        return np.zeros(len(df))
    lp = np.nan_to_num(df[cols].to_numpy(dtype=float))
    return lp.max(axis=1) - math.log10(len(cols))


def main() -> None:
    variants = {"all": lambda k: True, "kpis": lambda k: "/" not in k,
                "relations": lambda k: "/" in k}
    for path in sys.argv[1:]:
        df = pd.read_parquet(path)
        base = evaluate(df)
        print(f"{path}: P {base.precision:.3f} events {base.events_found}/{base.n_events} "
              f"({base.event_recall:.3f}) fp {base.fp}")
        for name, keep in variants.items():
            p = part(df, keep)
            for t in THRESHOLDS:
                ev, gained = with_rule(df, base, p >= t)
                kinds = {k[:8]: n for k, n in gained.items()}
                print(f"  {name:9s} >= {t:3.1f}: +{ev.events_found - base.events_found:2d} "
                      f"events +{ev.fp - base.fp:3d} fp  P {ev.precision:.3f} "
                      f"ER {ev.event_recall:.3f} {kinds}")


if __name__ == "__main__":
    main()
