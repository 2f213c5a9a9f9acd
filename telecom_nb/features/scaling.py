"""KPI scaling: volumes and rates are compared on a log scale, percentages as they are.

A log scale turns "twice the usual traffic" into the same step for a big and a
small sector, so one spread fits both. A signed log keeps any real column (a
replayed ``value`` may be negative) finite and monotone.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.schema import PERCENT_KPIS

#: Smallest spread a feature may have, in its own scale: a constant series must
#: not turn a rounding error into an alarm. 1% on log scales, 0.5 points on percentages.
LOG_SPREAD_FLOOR = 0.01
PERCENT_SPREAD_FLOOR = 0.5


def is_percent(kpi: str) -> bool:
    return kpi in PERCENT_KPIS


def scale_kpis(values: np.ndarray, kpis: tuple[str, ...]) -> np.ndarray:
    """Columns of ``values`` (rows x kpis) in their comparison scale; NaN stays NaN."""
    out = np.empty(values.shape, dtype=np.float64)
    for j, kpi in enumerate(kpis):
        col = values[:, j]
        out[:, j] = col if is_percent(kpi) else np.sign(col) * np.log1p(np.abs(col))
    return out


def spread_floors(kpis: tuple[str, ...]) -> np.ndarray:
    return np.array(
        [PERCENT_SPREAD_FLOOR if is_percent(k) else LOG_SPREAD_FLOOR for k in kpis],
        dtype=np.float64,
    )
