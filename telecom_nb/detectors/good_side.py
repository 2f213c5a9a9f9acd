"""A KPI's move to its good side is no fault: the detector reads its own-history
deviations one-sided where the KPI's name says which side is bad.

A throughput above its usual hour, a latency or a drop rate below it, a success rate up:
the fleet's everyday excursions of that kind fill the features' tails and the parts' nulls
(the window's quantiles) as much as the faults' moves the other way do. Zeroing the good
side of a KPI's seasonal, persistence and short-term change z (positive: above the usual)
takes them out of every part at once: fewer false alarms from good news, and lighter nulls
on the bad side. The side is read from the name
(:func:`~telecom_nb.sources.kpiinfo.bad_direction`: "Latency (ms)" up, "DL Throughput" down);
KPIs it cannot tell (traffic, users, PRB: a surge and a collapse both matter) and anything
relative to other cells (peers, province, area: a healthy cell beside a failing cluster sits
on its "good" side of them) stay two-sided. Operator worlds (session 31, branch joint31):
clipping the relative kinds too lost 3 and 10 cluster degradations (worlds 1887, 1888).
"""

from __future__ import annotations

import numpy as np

from telecom_nb.sources.kpiinfo import bad_direction

#: the sign that makes each bad side positive
SIGNS = {"up": 1.0, "down": -1.0}
#: the per-KPI feature kinds that are signed deviations from the KPI's own history
OWN_KINDS = ("season_z", "persist_z", "change_z")


def good_side_columns(names: list[str], kpis: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The :data:`OWN_KINDS` columns of KPIs with a known bad side, and that side's sign."""
    signs = {kpi: SIGNS.get(bad_direction(kpi)) for kpi in kpis}
    cols, sign = [], []
    for i, name in enumerate(names):
        kpi, _, kind = name.rpartition(":")
        if kind in OWN_KINDS and signs.get(kpi) is not None:
            cols.append(i)
            sign.append(signs[kpi])
    return np.asarray(cols, dtype=np.intp), np.asarray(sign, dtype=np.float64)


def clip_good_side(x: np.ndarray, cols: np.ndarray, sign: np.ndarray) -> np.ndarray:
    """``x`` with each of ``cols`` zeroed where it lies on its KPI's good side (in place;
    NaN stays NaN)."""
    if len(cols):
        block = x[:, cols]
        x[:, cols] = np.where(block * sign < 0, 0.0, block)
    return x
