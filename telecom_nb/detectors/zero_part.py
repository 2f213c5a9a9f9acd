"""An exact-zero state read on its KPIs' own null, not the combined score's (issue 13).

An outage of a few series puts several KPIs at exactly zero together (traffic, users, PRB,
throughput, modulation). Where the series has made that state known (its maintenance
nights: :mod:`~telecom_nb.features.zero_state`) the deviation features read 0; where it has
not (a cell that never carried nothing, a daytime outage of a cell whose maintenance is at
night) they read the collapse, dozens of spreads, and the max-units part calls it about as
rare as its null goes (``-log10 p`` 7.5-10.5). The combined score's null then reads that
raw score on its deep shoulder (``DEEP_SHOULDER``, the 95-99 % spacing of the window's max
of parts), which a few series' slow parts widen: at 1 minute a smoothed z or joint
excursion lasts ten rows and each counts, so the window's 99 % raw score was 5.4 (5 minutes:
3.3) and an outage's rows after the first (its range record) read 2.4-3.1 against the
alarm's 3 (few_series ``lte1`` seed 2846: two outages of 195 and 65 rows, none flagged).

So a row in such a state takes the max-units part's own reading directly, as the records
do: it is a state the series entered, not a slow part's excursion, and its KPIs' own null
already says how far they are. A state the series knows reads its features at 0 and so
nothing here; a single KPI at zero (a count KPI's quiet minute: users at night) is not a
state. Nor is a state the series has shown at that hour (``ZeroStates.usual``: its hours'
band, its companions at zero) before ``zero_state`` knows it -- fewer than ``MIN_RUNS`` runs
so far, or longer than any: it reads as any row, as before (a maintenance night read here
paged on every row: ``lte1`` seed 2886's third night, 86 rows; 2887's two nights longer than
the ones before, 54). Only for a few series (a fleet's outages are told by its peers, its
ticks are untouched); one series has one KPI and never two at zero (NAB unchanged by
construction).
"""

from __future__ import annotations

import numpy as np

#: KPIs at exactly zero on one row that make a zero state
MIN_ZEROS = 2


def zero_state_rows(raw: np.ndarray, usual: np.ndarray | None = None) -> np.ndarray:
    """Rows of ``raw`` (rows x KPIs) with at least :data:`MIN_ZEROS` KPIs at exactly 0
    (a missing value is no zero) and not ``usual`` (rows x KPIs: the zeros of the state
    the series has shown at that hour, ``ZeroStates.usual``)."""
    raw = np.asarray(raw)
    if raw.ndim != 2 or raw.shape[1] < MIN_ZEROS:
        return np.zeros(len(raw), dtype=bool)
    zero = raw == 0.0
    if usual is not None and usual.shape == zero.shape:
        zero &= ~usual
    return np.count_nonzero(zero, axis=1) >= MIN_ZEROS
