"""The fleet's typical day: each time-of-day slot's median offset from a sector's own level.

A sector's cold slot (a new sector, or its first day) expects its overall level shifted by
the fleet's profile at that slot, so a daily cycle is known before the sector has shown
one; the fleet's typical residual spread stands in for a sector's own until it has some.
The state lives on :class:`~telecom_nb.features.seasonal.SeasonalResiduals`
(``fleet_offset_`` slots x series, ``fleet_count_`` slots x 1, ``fleet_spread_`` series:
the names its checkpoints and compiled passes use); these functions read and learn it.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.group_median import (
    FLEET_SAMPLE,
    MIN_FLEET_SECTORS,
    fleet_median,
    quiet_nanmedian,
)
from telecom_nb.features.masked_mean import column_counts
from telecom_nb.features.robust_stats import MAD_TO_SIGMA


def expected_offset(season, slot: np.ndarray, offset: np.ndarray,
                    has: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fleet shape (offset from sector level) at each row's slot, and whether known.

    A slot the fleet has not seen yet (the first day) takes this tick's own fleet
    median of ``offset`` (rows' value minus their sector's level, where ``has``):
    cross-sectional, no learning, as peers do. With too few sectors it stays unknown
    and the rows give no seasonal evidence.
    """
    one = _one_slot(slot)
    if one is not None:
        # a live tick's rows share one slot: one row broadcast (read-only), not gathered
        # or scattered per row (100k x 19 floats); a copy, as the slot learns later in the
        # tick
        fleet = season.fleet_offset_[one].copy()
        known = np.ones(1, dtype=bool)
        if season.fleet_count_[one, 0] == 0:
            fleet, known = _cross_section(fleet, has, offset)
        return np.broadcast_to(fleet, offset.shape), np.broadcast_to(known, offset.shape)
    fleet = season.fleet_offset_[slot]
    known = season.fleet_count_[slot] > 0
    if known.all():
        return fleet, known
    fleet = fleet.copy()
    known = np.broadcast_to(known, offset.shape).copy()
    for s in np.unique(slot[~known[:, 0]]):
        sel = slot == s
        fleet[sel], known[sel] = _cross_section(fleet[sel][0], has[sel], offset[sel])
    return fleet, known


def expected_offset_of(season, rows: np.ndarray, slot: np.ndarray,
                       y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`expected_offset` of rows ``rows`` with values ``y``: the rows' offsets from
    their sector's level are gathered only for a slot the fleet has not seen (a live
    tick's known slot needs none: 100k x 19 floats gathered and subtracted for nothing)."""
    one = _one_slot(slot)
    if one is not None and season.fleet_count_[one, 0] > 0:
        return expected_offset(season, slot, y, None)  # reads only y.shape
    table = season.sector_table_
    return expected_offset(season, slot, y - table.level[rows], table.count[rows] > 0)


def _cross_section(unknown: np.ndarray, has: np.ndarray,
                   offset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(offset, known) per series from the rows of one slot the fleet has not seen:
    their median (sampled) where enough rows have one, else ``unknown``'s and False."""
    enough = column_counts(has & np.isfinite(offset)) >= MIN_FLEET_SECTORS
    if not enough.any():
        return unknown, enough
    step = max(1, len(offset) // FLEET_SAMPLE)  # the sample only: no rows x series block
    block = np.where(has[::step], offset[::step], np.nan)
    # a column the sample holds no value of stays unknown; the median reads only columns
    # with one (an all-NaN column warned, and the filters set around it are process-wide:
    # a KPI added live to the chart is such a column, and the warning leaked from a thread)
    enough &= np.isfinite(block).any(axis=0)
    med = np.zeros(block.shape[1], dtype=block.dtype)  # float32 stays float32
    if enough.any():
        med[enough] = np.nanmedian(block[:, enough], axis=0)
    return med, enough


def _one_slot(slot: np.ndarray) -> int | None:
    """The slot every row shares (a live tick), or None (a replay's mixed batches)."""
    if len(slot) == 0:
        return None
    first = int(slot[0])
    return first if bool((slot == first).all()) else None


def learn(season, offset: np.ndarray, has: np.ndarray, slot: np.ndarray) -> None:
    """Learn the batch's offsets into the profile, then the fleet's typical spread.

    The profile learns from everyone: a median shrugs off the faulty few, and when the
    whole fleet is "far" it is the profile that is not known yet.
    """
    _learn_profile(season, offset, has, slot)
    med, enough = fleet_median(season.resid_dev_, season.resid_count_, 2)
    season.fleet_spread_ = np.where(enough, med * MAD_TO_SIGMA, season.fleet_spread_)


def _learn_profile(season, offset: np.ndarray, has: np.ndarray, slot: np.ndarray) -> None:
    """EW of the fleet's median offset from sector level, per slot (few slots per batch)."""
    for s in np.unique(slot):
        # the slot's sampled rows only are gathered and masked (a live tick's one slot was
        # two rows x series copies of all 100k rows before its stride of ~2,000)
        at = np.flatnonzero(slot == s)
        if len(at) > FLEET_SAMPLE:
            at = at[:: len(at) // FLEET_SAMPLE]
        sel = np.where(has[at], offset[at], np.nan)
        if not np.isfinite(sel).any():
            continue
        med = quiet_nanmedian(sel)  # all-NaN column: skipped
        n = season.fleet_count_[s, 0]
        a = max(1.0 / (n + 1.0), season.slot_alpha)
        cur = season.fleet_offset_[s]
        season.fleet_offset_[s] = np.where(np.isfinite(med), cur + a * (med - cur), cur)
        season.fleet_count_[s, 0] = n + 1
