"""Scratch: post-hoc alarm rules on saved ``operator_quality.py --save`` results (a probe).

Per sector a CUSUM of the calibrated score, ``S = max(0, decay * S_prev + score - k)``, and
a row flagged where ``score >= 3`` or ``S >= h``: several hours of moderate evidence. Prints
row P, events found and false-alarm rows per (k, h), and the found events by kind::

    python benchmarks/hour26/rule_probe.py R.parquet [R2.parquet ...]
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd


def events(d: pd.DataFrame) -> np.ndarray:
    """Event number per row (-1 for normal rows): a run of one sector's rows of one kind."""
    kind, sec = d["fault"].to_numpy(), d["sector_id"].to_numpy()
    new = (kind != "") & ~(np.r_[False, sec[1:] == sec[:-1]] & np.r_[False, kind[1:] == kind[:-1]])
    ev = np.cumsum(new)
    return np.where(kind != "", ev, -1)


def cusum(d: pd.DataFrame, k: float, decay: float, cap: float) -> np.ndarray:
    score = np.minimum(d["score"].to_numpy(dtype=float), cap)
    sec = d["sector_id"].to_numpy()
    first = np.r_[True, sec[1:] != sec[:-1]]
    s = np.zeros(len(d))
    prev = 0.0
    for i in range(len(d)):  # scratch probe; the real rule is vectorised over sectors
        prev = 0.0 if first[i] else prev
        prev = max(0.0, decay * prev + score[i] - k)
        s[i] = prev
    return s


def report(flag: np.ndarray, ev: np.ndarray, kind: np.ndarray) -> str:
    f = ev >= 0
    p = (flag & f).sum() / max(flag.sum(), 1)
    found = np.unique(ev[flag & f])
    return f"P={p:.3f} ev={len(found)}/{len(np.unique(ev[f]))} fa={(flag & ~f).sum()}"


def main() -> None:
    for path in sys.argv[1:]:
        d = pd.read_parquet(path, columns=["timestamp", "sector_id", "fault", "score",
                                           "is_anomaly"])
        d["fault"] = d["fault"].fillna("").astype(str)
        d = d.sort_values(["sector_id", "timestamp"], kind="stable").reset_index(drop=True)
        ev, kind = events(d), d["fault"].to_numpy()
        base = d["is_anomaly"].to_numpy()
        print(path, "main", report(base, ev, kind))
        for decay in (1.0, 0.7):
            for k in (1.0, 1.5, 2.0):
                s = cusum(d, k, decay, 4.0)
                for h in (1.5, 2.0, 2.5, 3.0, 4.0):
                    flag = base | (s >= h)
                    print(f"  decay {decay} k {k} h {h}: {report(flag, ev, kind)}")


if __name__ == "__main__":
    main()
