"""Scratch: operator_quality's replay, recording per scored row every part's raw score,
the calibrated score of each part alone, the rate part's per-column ``-log10 p`` and each
KPI's seasonal column (value and tail units), for trying rules offline (a probe)::

    python benchmarks/hour27/trace.py WORLD OUT.parquet
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from world_trace import trace_world

from telecom_nb.detectors.calibration import exp_tail_log_p
from telecom_nb.detectors.rate_part import START


def columns(det, f, x: np.ndarray) -> dict[str, np.ndarray]:
    """Every part's raw and calibrated score, the direct parts, each KPI's seasonal z and
    tail units, the rate (and a season) part's per-column ``-log10 p``."""
    cols: dict[str, np.ndarray] = {}
    m = f.model
    for name, v in det.part_scores(m, x).items():
        v = np.asarray(v, dtype=float)
        cols[f"raw_{name}"] = v
        cols[f"cal_{name}"] = f.calibrator(v)
    for name, fn in (("records", det._record_score), ("shift", det._shift_score)):
        v = fn(m, x)
        if v is not None:
            cols[f"direct_{name}"] = np.asarray(v, dtype=float)
    base = m.base(x)
    names = list(det.features_.feature_names)
    season = [i for i, n in enumerate(names) if n.endswith(":season_z")]
    units = m.tails.select(np.asarray(season)).units(base[:, season])
    for j, i in enumerate(season):
        k = names[i].rpartition(":")[0]
        cols[f"z:{k}"] = base[:, i]
        cols[f"u:{k}"] = units[:, j]
    for tag, r in (("r", m.rates), ("s", getattr(m, "season", None))):
        if r is None:
            continue
        ru = np.nan_to_num(r.tails.units(base[:, r.columns]))
        top = -math.log10(1 - START)
        lp = np.where(ru > r.anchor, exp_tail_log_p(ru, r.anchor, r.scale, top), 0.0)
        for j, c in enumerate(r.columns):
            cols[f"{tag}lp:{names[c].rpartition(':')[0]}"] = lp[:, j]
        cols[f"{tag}_penalty"] = np.full(len(x), r.penalty)
    return cols


if __name__ == "__main__":
    trace_world(Path(sys.argv[1]), Path(sys.argv[2]), columns)
