"""A fleet's feature tails fitted again without the window rows the max over features flags.

Each feature's deep tail (its 0.2 % level, :mod:`~telecom_nb.detectors.feature_tails`) is
fitted on the window's rows, faults included. At an hourly cadence a short fault kind's rows
are most of a KPI's deepest exceedances (a vendor world's latency: 98 % of the window's rows
beyond |z| 5 were latency spikes, ``benchmarks/MEASURED.md`` lat48; spike52's world t2860:
latency's seasonal column's 0.2 % quantile |z| 4.9 over all rows after week 1, 3.3 over the
normal ones), so the free reading extrapolates the faults' own tail and a one-row spike of
4-6x its cell's median read 8-10 units, at or under the max's everyday tail, where no normal
row of the world's five weeks reached 8 units on latency's seasonal, change or ratio
columns (their max 7.0-7.9).

So the fit is done twice: the max over features is read on the first fit's tails, the rows
it scores at :data:`~telecom_nb.detectors.persist_part.TRIM_SCORE` or more (calibrated on
itself, at most :data:`~telecom_nb.detectors.persist_part.MAX_TRIM` of the rows:
:func:`~telecom_nb.detectors.persist_part.trimmed`) are left out, and the tails are fitted
again on the rest. A normal row that far out in any feature is ~1 in 1,000 of the window and
spread over ~100 features, so a feature's own normal tail keeps nearly all its rows. The
trim is the same whatever the last fit's was (each fit reads its own window twice): no
ratchet. Only where the max reads the free tails of hourly or slower data (a fleet after two
days, ``part_schedule.TRIM_TAILS_STEP``): at 30 minutes a fault starts in fewer of a KPI's
rows than its deepest level holds, and the refit bought false rows only. Its cost is a
second fit of the tails per retrain (a 40,000 x 150 window: ~0.35 s of CPU).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.persist_part import trimmed


def refit_unflagged(
    every: FeatureTails,
    ref: np.ndarray,
    previous: np.ndarray | None,
    reduced: Callable[[FeatureTails], FeatureTails],
    free: bool,
) -> tuple[FeatureTails, np.ndarray | None]:
    """``every`` fitted again (``free`` as it was) on ``ref``'s rows that the max over
    ``reduced(every)``'s features does not flag (``previous``: their sectors' previous rows,
    for the declustering), and the rows left out (None: none, ``every`` returned as is)."""
    out = trimmed(reduced(every)(ref))
    if out is None:
        return every, None
    keep = ~out
    again = FeatureTails.fit(ref[keep], None if previous is None else previous[keep], free=free)
    return again, out
