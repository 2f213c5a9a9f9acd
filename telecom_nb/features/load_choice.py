"""Which KPIs make a fleet's load, and which are read against it (the load part's choice).

:mod:`~telecom_nb.features.load_explained` reads some KPIs against their row's load; this
module holds only the choice, from the fleet's running correlations of the KPIs' seasonal z:
the "load family" (KPIs moving together: users, setups, PRB, volume) and its dependents (a
KPI with no bad side by ``|r|``; one with a known bad side by its signed r, or by the share of
cells on which it follows its own load, :mod:`~telecom_nb.features.load_cells`). Kept apart
so the choice can be read, tested and probed (``benchmarks/load_dependents.py``) alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from telecom_nb.features.load_cells import CELL_SHARE
from telecom_nb.sources.kpiinfo import bad_direction

#: a KPI is read against the load family when its mean |r| with the members is MIN_R+
MIN_R = 0.25
#: ... or, with a known bad side, when its mean r points there by this much (the default of
#: the features' ``load_bad_r``)
BAD_R = 0.15
#: ... and, once chosen, is kept while it points there by HOLD x that (the daily re-choice
#: flipping a latency at r 0.15-0.2 in and out lost its bins and partial degradations)
HOLD = 0.8
#: the load family: KPIs linked by a correlation of their z of at least FAMILY_R ...
FAMILY_R = 0.5
#: ... at least this many of them
FAMILY_MIN = 3
#: rows a pair needs before its correlation counts
MIN_PAIRS = 1000.0


def correlations(
    cross: np.ndarray, sums: np.ndarray, squares: np.ndarray, pairs: np.ndarray
) -> np.ndarray:
    """KPI x KPI correlation of the z from the fleet's running sums over the rows where
    both have a value (a multi-RAT fleet's 2G rows have no throughput): ``cross`` = sum
    z_i z_j, ``sums`` / ``squares`` [i, j] = sum z_i / z_i^2, ``pairs`` [i, j] their rows;
    0 for a pair seen on fewer than ``MIN_PAIRS`` rows."""
    n = np.maximum(pairs, 1.0)
    mean_i, mean_j = sums / n, sums.T / n
    cov = cross / n - mean_i * mean_j
    var_i, var_j = squares / n - mean_i**2, squares.T / n - mean_j**2
    with np.errstate(divide="ignore", invalid="ignore"):
        r = cov / np.sqrt(np.clip(var_i, 0.0, None) * np.clip(var_j, 0.0, None))
    r = np.where(np.isfinite(r) & (pairs >= MIN_PAIRS), r, 0.0)
    np.fill_diagonal(r, 0.0)
    return r


def choose(r: np.ndarray, signs: np.ndarray | None = None, bad_r: float = BAD_R,
           held: np.ndarray | None = None, family: np.ndarray | None = None,
           cells: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(the load family, the KPIs read against it): outside the family, a KPI whose mean
    |r| with the family's members (those it shares rows with) is at least ``MIN_R``.
    ``signs`` (KPIs,): +1 where a rise is the KPI's bad side, -1 a fall, 0 unknown; a KPI
    with a side is read when its mean signed r points there by ``bad_r`` (never against
    it: an unavailability's r is its outages'), or, if ``held`` (the dependents so far), by
    ``HOLD x bad_r``. None: every KPI by ``|r|`` alone. ``family``: the load family if
    already read (from other rows' r), else ``r``'s. ``cells`` (KPIs,): the share of the
    cells on which the KPI follows the load to its bad side (:mod:`.load_cells`): from
    ``CELL_SHARE`` a KPI with a side is read however weak its fleet r, and a held one stays
    while its share is not known yet (NaN): leaving for a day and coming back restarts
    the load fit."""
    family = load_family(r) if family is None else family
    seen = family[None, :] & (r != 0.0)
    with np.errstate(invalid="ignore"):
        mean_r = np.nan_to_num(np.where(seen, r, 0.0).sum(axis=1) / seen.sum(axis=1))
        mean_abs = np.nan_to_num(np.where(seen, np.abs(r), 0.0).sum(axis=1) / seen.sum(axis=1))
    if signs is None:
        chosen = mean_abs >= MIN_R
    else:
        bad = signs * mean_r
        kept = np.zeros(len(r), dtype=bool) if held is None else held
        by_cells = np.zeros(len(r), dtype=bool)
        if cells is not None:
            by_cells = (np.nan_to_num(cells) >= CELL_SHARE) | (kept & np.isnan(cells))
        chosen = np.where(signs != 0.0,
                          (bad >= bad_r) | (kept & (bad >= HOLD * bad_r)) | by_cells,
                          mean_abs >= MIN_R)
    return family, ~family & chosen & family.any()


def bad_signs(kpis: Sequence[str], declared: Mapping[str, str] | None = None) -> np.ndarray:
    """(KPIs,) +1 where a KPI's bad side is up, -1 down, 0 both (``declared``'s sides, else
    the name's: :func:`~telecom_nb.sources.kpiinfo.bad_direction`)."""
    sides = [(declared or {}).get(k) or bad_direction(k) for k in kpis]
    return np.array([{"up": 1.0, "down": -1.0}.get(s, 0.0) for s in sides])


def load_family(r: np.ndarray) -> np.ndarray:
    """The KPIs of the largest group moving together (``r >= FAMILY_R``, linked through
    each other), if it has at least ``FAMILY_MIN`` of them: a cell's load (users, setups,
    PRB, volume) shows in many counters at once; a throughput or a latency in none."""
    reach = (r >= FAMILY_R) | np.eye(len(r), dtype=bool)
    for _ in range(max(int(np.ceil(np.log2(max(len(r), 2)))), 1)):
        reach = (reach.astype(np.float64) @ reach.astype(np.float64)) > 0
    size = reach.sum(axis=1)
    if not len(size) or size.max() < FAMILY_MIN:
        return np.zeros(len(r), dtype=bool)
    return reach[int(np.argmax(size))]
