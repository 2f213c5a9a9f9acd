"""KPI scaling: loads and rates are compared on a log scale, success ratios as they are.

A log scale turns "twice the usual traffic" into the same step for a big and a
small sector, so one spread fits both. A signed log keeps any real column (a
replayed ``value`` may be negative) finite and monotone. PRB utilisation is a
percentage but a *load*: it follows traffic multiplicatively (a hot cell's 24 -> 72 %
morning ramp is the fleet's 5 -> 15 %), so it is logged too. Availability is a
success ratio pinned near 100 %: it is compared in points.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.view import ROWWISE, BatchView
from telecom_nb.schema import AVAILABILITY

#: Smallest spread a feature may have, in its own scale: a constant series must
#: not turn a rounding error into an alarm. 1% on log scales, 0.5 points on percentages.
LOG_SPREAD_FLOOR = 0.01
PERCENT_SPREAD_FLOOR = 0.5


#: KPIs compared in their own units (percentage points), not on a log scale
LINEAR_KPIS: tuple[str, ...] = (AVAILABILITY,)


def is_percent(kpi: str) -> bool:
    """True for KPIs compared in percentage points (success ratios near 100 %)."""
    return kpi in LINEAR_KPIS


def signed_log1p(col: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``np.sign(col) * np.log1p(np.abs(col))``, the same bits, written into ``out`` (a
    new array if None) with one temporary instead of three: at 100k sectors each fresh
    temporary is ~200 page faults."""
    buf = np.abs(col, out=out)
    np.log1p(buf, out=buf)
    return np.multiply(np.sign(col), buf, out=buf)


def scale_kpis(values: np.ndarray, kpis: tuple[str, ...]) -> np.ndarray:
    """Columns of ``values`` (rows x kpis) in their comparison scale; NaN stays NaN."""
    out = np.empty(values.shape, dtype=np.float64)
    for j, kpi in enumerate(kpis):
        col = values[:, j]
        if is_percent(kpi):
            out[:, j] = col
        else:
            signed_log1p(col, out[:, j])
    return out


def unscale_kpis(scaled: np.ndarray, kpis: tuple[str, ...]) -> np.ndarray:
    """The inverse of :func:`scale_kpis`: columns back in their own units."""
    out = np.empty(scaled.shape, dtype=np.float64)
    for j, kpi in enumerate(kpis):
        col = scaled[:, j]
        out[:, j] = col if is_percent(kpi) else np.sign(col) * np.expm1(np.abs(col))
    return out


def scaled_view(view: BatchView, kpis: tuple[str, ...]) -> np.ndarray:
    """``scale_kpis(view.raw, kpis)``, computed once per view for every part that reads it
    (a row-wise value: a replay's slices carry it). Read-only."""
    key = f"{ROWWISE}scaled{tuple(kpis)}"
    if key not in view.cache:
        view.cache[key] = scale_kpis(view.raw, tuple(kpis))
    return view.cache[key]


def spread_floors(kpis: tuple[str, ...]) -> np.ndarray:
    return np.array(
        [PERCENT_SPREAD_FLOOR if is_percent(k) else LOG_SPREAD_FLOOR for k in kpis],
        dtype=np.float64,
    )
