"""One mark per window row: a neighbourhood off together, left out of every null fitted.

A transport fault slows 7-14 cells of neighbouring sites at one tick for hours. At 0.8
faults per cell-week such clusters are most of a latency column's rows beyond |z| 4.5 and
set its deep tail (and the families', the max's and the final score's) for the days the
window holds them: a later lone spike then reads 5-10 units where it would read 10-15
(spike36's oracle without the cluster rows: 40 -> 52 of 58 later latency spikes). Leaving
them out of one null only moved the loss into the other nulls fitted on the same window
(cluster34, spike36). So the mark is made once per row, from what its own tick showed, and
every fit of a retrain reads the same kept rows.

The mark: the row's area columns (:mod:`~telecom_nb.features.area`: the cell's own seasonal
z and its neighbours' median, where both go the same way) reach :data:`MARK_Z` on at least
:data:`MARK_FAMILIES` KPI families. A lone faulty cell among healthy ones (area ~0), a
healthy cell beside a cluster (own ~0) and a crowd (one family) are not marked. Fleets with
coordinates only: without area columns nothing is marked; a few series (heavy tails) never.
Two fits read every row, marked ones too: the final score's null (``RetrainJobs.fit_inputs``:
its alarm rate is the whole window's; without them +7 and +31 false rows on the tuning
worlds for no event more) and the area part, whose statistic is the mark's own evidence:
it reads the marked rows older than the window's youngest :data:`AREA_YOUNG` (a day of a
3-day window). Without any of them it called every crowd of two families at a few sites
extreme (w2114); with the youngest too, yesterday's cluster set its tail and today's read
as ordinary (firstday40: raw area 3.11 against 5.20 for the same evidence).
"""

from __future__ import annotations

import numpy as np

from telecom_nb.detectors.area_part import pair_families

#: an area column's |z| from which a family counts as off in the neighbourhood
MARK_Z = 3.0
#: families off in the neighbourhood at once for a mark
MARK_FAMILIES = 2
#: the most of the window's rows left out (a window held by a wide event keeps its rows)
MAX_SHARE = 0.1
#: the share of the window, its youngest rows, whose marked rows the area part's null skips
#: (a window adds the same rows each tick: a share is an age)
AREA_YOUNG = 1.0 / 3.0


def marked(window: np.ndarray, pairs: tuple[tuple[int, int], ...]) -> np.ndarray | None:
    """Per row of ``window`` whether it is marked (None: no row is, or no area columns);
    ``pairs``: per KPI its family and area columns (``area_part.area_columns``)."""
    family = pair_families(window, pairs)
    if family is None:
        return None
    far = np.abs(np.nan_to_num(window[:, [p[1] for p in pairs]], nan=0.0)) >= MARK_Z
    n_groups = int(family.max()) + 1
    count = np.zeros(len(window), dtype=np.int64)
    for g in range(n_groups):  # a handful of families: vectorised over rows
        count += far[:, family == g].any(axis=1)
    mark = count >= MARK_FAMILIES
    n = int(mark.sum())
    if n == 0 or n > MAX_SHARE * len(window):
        return None
    return mark


def split(
    window: np.ndarray, previous: np.ndarray | None, pairs: tuple[tuple[int, int], ...]
) -> tuple[np.ndarray, np.ndarray | None, tuple[np.ndarray, np.ndarray | None, np.ndarray] | None]:
    """``window`` and ``previous`` (its rows' predecessors) without the marked rows, and the
    rows as given with the kept rows' mask when some were marked (else None: nothing left
    out)."""
    return split_marked(window, previous, marked(window, pairs))


def split_marked(
    window: np.ndarray, previous: np.ndarray | None, mark: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None, tuple[np.ndarray, np.ndarray | None, np.ndarray] | None]:
    """:func:`split` by a mark already read (:func:`marked`)."""
    if mark is None:
        return window, previous, None
    kept = ~mark
    return window[kept], None if previous is None else previous[kept], (window, previous, kept)


def area_rows(kept: np.ndarray) -> np.ndarray:
    """The rows the area part's null reads, given the kept rows' mask of :func:`split` (the
    window's rows oldest first): every unmarked row and the marked ones older than its
    youngest :data:`AREA_YOUNG`."""
    n = len(kept)
    return kept | (np.arange(n) < n - AREA_YOUNG * n)
