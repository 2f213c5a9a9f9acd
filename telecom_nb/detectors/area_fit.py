"""The area part's fit on a window with marked rows: its null reads what the others skip.

Every other null of a retrain leaves the marked rows out (:mod:`.row_mark`: a neighbourhood
off together). The area part's statistic *is* that evidence, so its null keeps the marked
rows but the window's youngest (:func:`.row_mark.area_rows`) and is fitted on its own rows
before the other parts' copies of the kept rows exist (a 2M replay's peak: ~18 MB less).
"""

from __future__ import annotations

import numpy as np

from telecom_nb.detectors.area_part import AreaPart
from telecom_nb.detectors.calibration_sample import calibration_sample
from telecom_nb.detectors.feature_tails import FeatureTails, continues
from telecom_nb.detectors.kpi_families import without
from telecom_nb.detectors.row_mark import area_rows


def fit_area(rows: tuple[np.ndarray, np.ndarray | None, np.ndarray], n_base: int | None,
             pairs: tuple[tuple[int, int], ...], free: bool, unread: tuple,
             seed: int | None) -> AreaPart | None:
    """The area part fitted on the window's rows but its youngest marked ones
    (:func:`.row_mark.area_rows`; the mark is what its statistic reads: a null without any
    called every such row extreme, w2114's area-led false rows 24 -> 54 on a two-site
    Sunday crowd; with yesterday's cluster, today's read as ordinary); ``rows``: the window,
    its rows' predecessors and the kept rows' mask; ``unread``: the columns the max skips."""
    ref, previous, marks = rows
    use = area_rows(marks)
    if not use.all():
        ref = ref[use]
        previous = None if previous is None else previous[use]
    if n_base is not None:
        ref = ref[:, :n_base]
        previous = None if previous is None else previous[:, :n_base]
    kept = calibration_sample(len(ref), seed)
    if kept is not None:
        ref = ref[kept]
        previous = None if previous is None else previous[kept]
    every = FeatureTails.fit(ref, previous, tails=True, free=free)
    return AreaPart.fit(every, ref, pairs, continues(without(every, unread), ref, previous))
