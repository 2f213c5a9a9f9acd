"""Scratch: candidate flag rules tried offline on ``trace.py`` output: each rule's rows are
added to the detector's flags; events gained and false-alarm rows added, per rule::

    python benchmarks/hour27/rules.py T1.parquet [T2.parquet ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from rule_gain import with_rule

from telecom_nb import schema
from telecom_nb.evaluation.metrics import evaluate


def prev_of(df: pd.DataFrame, col: str) -> np.ndarray:
    """Each row's value of ``col`` at the same sector's previous row (NaN: none)."""
    s = df.sort_values([schema.SECTOR, schema.TIMESTAMP])
    v = s[col].to_numpy(dtype=float)
    same = np.r_[False, s[schema.SECTOR].to_numpy()[1:] == s[schema.SECTOR].to_numpy()[:-1]]
    p = np.where(same, np.r_[np.nan, v[:-1]], np.nan)
    return pd.Series(p, index=s.index).reindex(df.index).to_numpy()


def rules(df: pd.DataFrame) -> dict[str, np.ndarray]:
    out = {}
    rates = df.get("raw_rates", pd.Series(0.0, index=df.index)).fillna(0).to_numpy()
    for t in (2.5, 3.0, 3.5, 4.0):
        out[f"rates>={t}"] = rates >= t
    pr = np.nan_to_num(prev_of(df.assign(_r=rates), "_r"))
    for t in (2.0, 2.5):
        out[f"rates 2h both>={t}"] = (rates >= t) & (pr >= t)
    lat = [c for c in df if c.startswith("u:") and "atency" in c]
    if lat:
        u = df[lat].to_numpy(dtype=float)
        z = df[[c.replace("u:", "z:") for c in lat]].to_numpy(dtype=float)
        ul = np.nan_to_num(np.where(z > 0, u, 0.0)).max(axis=1)
        for t in (6, 7, 8, 9):
            out[f"lat units>={t}"] = ul >= t
    for p in ("max_z", "forest", "run", "persist", "area", "families", "second"):
        c = f"cal_{p}"
        if c in df:
            for t in (3.0,):
                out[f"{c}>={t}"] = df[c].fillna(0).to_numpy() >= t
    return out


def main() -> None:
    for path in sys.argv[1:]:
        df = pd.read_parquet(path)
        base = evaluate(df)
        print(f"{path}: P {base.precision:.3f} events {base.events_found}/{base.n_events} "
              f"({base.event_recall:.3f}) fp {base.fp} flagged {base.flagged}")
        flags = df[schema.IS_ANOMALY].to_numpy(bool)
        print("  is_anomaly == score>=3:", bool((flags == (df[schema.SCORE] >= 3)).all()))
        for name, r in rules(df).items():
            ev, kinds = with_rule(df, base, r)
            gained = ev.events_found - base.events_found
            extra = ev.fp - base.fp
            print(f"  {name:24s} +{gained:3d} events +{extra:4d} fp  P {ev.precision:.3f} "
                  f"ER {ev.event_recall:.3f}  {kinds}")


if __name__ == "__main__":
    main()
