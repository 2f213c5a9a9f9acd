"""A few series' level-shift part: each KPI's |shift z| read against its own null.

The nulls are declustered (a shift lasts hours: a row whose sector's previous row was
already beyond the gate continues a cluster) and the strongest KPI counts, Bonferroni over
the KPIs with a null. The held-level part (:mod:`.held_part`) reads its columns with the
same recipe, so both live here once.
"""

from __future__ import annotations

import math

import numpy as np

from telecom_nb.detectors.calibration import DEEP_SHOULDER, SHOULDER, TailCalibrator, soft_cap
from telecom_nb.detectors.feature_tails import CLUSTER_GATE
from telecom_nb.features.robust_kernel import numba

#: fewest window rows with a level-shift statistic before it gets a null of its own
MIN_SHIFT_ROWS = 1000


def bonferroni(log_p: np.ndarray, n: int) -> np.ndarray:
    """The strongest of ``n`` readings' ``-log10 p`` (``log_p``), Bonferroni over the
    ``n``, softly capped: a part's score."""
    return soft_cap(np.maximum(log_p - math.log10(n), 0.0))


def declustered_null(values: np.ndarray, before: np.ndarray | None,
                     spacings: tuple[tuple[float, float], ...]) -> TailCalibrator:
    """The heavy-tailed null of ``values`` (|z| of the rows with a statistic); ``before``:
    those rows' sectors' previous |z| (0: none), whose rows beyond :data:`CLUSTER_GATE`'s
    quantile of ``values`` continue a cluster (None: no previous rows)."""
    cont = None if before is None else before > np.quantile(values, CLUSTER_GATE)
    return TailCalibrator.fit(values, heavy_tails=True, continues=cont, spacings=spacings)


def shift_null(ref: np.ndarray, previous: np.ndarray | None, columns: np.ndarray,
               pooled: bool = False) -> tuple[TailCalibrator | None, ...] | None:
    """Each level-shift column's null of |z| over the window rows that have one
    (declustered: a shift lasts hours); a column with fewer than :data:`MIN_SHIFT_ROWS`
    such rows has none (None: no column has one).

    One series' tail scale is the larger of the shoulder's and the 95-99 % spacing's (an
    hour's mean has a heavier tail than its shoulder: NAB 68.8 -> 65.3 with the shoulder
    alone). A pool of cells (``pooled``) takes the shoulder's: its window holds the other
    cells' outages, whose throughput and MCS shifts sit at the clip (~25), and once they
    reach the 99 % quantile the scale read 13-14 instead of ~0.5, so a collapse's z of 25
    read ``-log10 p`` ~2 (few_series ``lte`` seed 1891: 4 of 6 collapses missed)."""
    nulls, rows = [], []
    for c in columns:  # a few KPIs
        s, before = _with_statistic(ref, previous, int(c))
        rows.append((s, before))
        if len(s) < MIN_SHIFT_ROWS:
            nulls.append(None)
            continue
        nulls.append(declustered_null(s, before, SHOULDER if pooled else DEEP_SHOULDER))
    if pooled and all(n is None for n in nulls):
        return _young_pool(rows)
    return tuple(nulls) if any(n is not None for n in nulls) else None


def _young_pool(rows: list[tuple[np.ndarray, np.ndarray | None]]
                ) -> tuple[TailCalibrator | None, ...] | None:
    """While no KPI of a pool has :data:`MIN_SHIFT_ROWS` rows with a statistic, their rows
    together make one null, read by each KPI that has any (None: fewer than that in all):
    a 15-minute pool of 4 cells has a statistic from day 3.2 but one KPI's 1,000 rows only
    on day ~5.9, its null on day 7 (few-series ``lte15``: a shift on day 5.4 read shift z
    5-7 on three KPIs, unscored); its KPIs together have them within half a day."""
    values = np.concatenate([s for s, _ in rows])
    if len(values) < MIN_SHIFT_ROWS:
        return None
    before = None if rows[0][1] is None else np.concatenate([b for _, b in rows])
    null = declustered_null(values, before, SHOULDER)
    return tuple(null if len(s) else None for s, _ in rows)


def _with_statistic(
    ref: np.ndarray, previous: np.ndarray | None, c: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Column ``c``'s |z| on the rows that have one (``|z| > 0``) and, with ``previous``,
    ``|nan_to_num(previous, nan=0)|`` on those rows: compiled, one pass down the two
    columns (numpy's strided column reads, mask and gathers took ~0.1 ms a column more on a
    one-series retrain's 20k rows), the same numbers."""
    compiled = _rows_with is not None and previous is not None
    if not compiled or ref.dtype != np.float64 or previous.dtype != np.float64:
        s = np.abs(ref[:, c])
        has = s > 0
        before = None if previous is None else np.abs(np.nan_to_num(previous[has, c], nan=0.0))
        return s[has], before
    values, before = np.empty(len(ref)), np.empty(len(ref))
    k = _rows_with(ref, previous, c, values, before)
    return values[:k], before[:k]


def _rows_with(ref, previous, c, values, before):  # pragma: no cover - compiled
    """:func:`_with_statistic`'s arrays into ``values`` and ``before``; returns their
    length. ``nan_to_num``: NaN 0, infinities the largest finite float."""
    big = np.finfo(np.float64).max
    k = 0
    for i in range(ref.shape[0]):
        s = abs(ref[i, c])
        if s > 0:
            p = previous[i, c]
            if p != p:
                p = 0.0
            elif p == np.inf or p == -np.inf:
                p = big
            values[k] = s
            before[k] = abs(p)
            k += 1
    return k


_rows_with = None if numba is None else numba.njit(cache=True, nogil=True)(_rows_with)


def compile_statistic() -> None:
    """Compile :func:`_rows_with` for a full window's writable copy (a young window is a
    read-only view, another signature): a 100k one-series replay compiled it after the
    warm-up, which fits young windows only (0.5 s CPU)."""
    block = np.zeros((2, 1))
    _with_statistic(block, block, 0)


def shift_score(model, features: np.ndarray) -> np.ndarray | None:
    """The shift part's score of each row (None: no null yet): each KPI against its own
    null (a drop rate's spikes move its hour more than users' shifts move theirs),
    Bonferroni over the KPIs that have one; a pool's held level counts as the same part,
    with or without the shift null (a young hourly pool's pooled held null can come first:
    :meth:`~telecom_nb.detectors.held_part.HeldNull.fit`)."""
    held = getattr(model, "held_null", None)  # (a model older than the part: none)
    if model.shift_null is None:
        return None if held is None else held.score(features)
    score = shift_only(model.shift, model.shift_null, features)
    return score if held is None else np.maximum(score, held.score(features))


def shift_only(shift: np.ndarray, nulls: tuple[TailCalibrator | None, ...],
               features: np.ndarray) -> np.ndarray:
    """The shift nulls' own score of each row (without the held part): the strongest KPI's
    ``-log10 p`` of its |shift z|, Bonferroni over the KPIs with a null."""
    read = [(c, n) for c, n in zip(shift, nulls, strict=True) if n is not None]
    log_p = np.max([n.log_p(np.abs(features[:, c])) for c, n in read], axis=0)
    return bonferroni(log_p, len(read))
