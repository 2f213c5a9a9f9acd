"""The fleet's typical day: each time-of-day slot's median offset from a sector's own level.

A sector's cold slot (a new sector, or its first day) expects its overall level shifted by
the fleet's profile at that slot, so a daily cycle is known before the sector has shown
one; the fleet's typical residual spread stands in for a sector's own until it has some.
The state lives on :class:`~telecom_nb.features.seasonal.SeasonalResiduals`
(``fleet_offset_`` slots x series, ``fleet_count_`` slots x 1, ``fleet_spread_`` series:
the names its checkpoints and compiled passes use); these functions read and learn it.
"""

from __future__ import annotations

import warnings

import numpy as np

from telecom_nb.features.group_median import (
    FLEET_SAMPLE,
    MIN_FLEET_SECTORS,
    fleet_median,
    nanmedian_fast,
)
from telecom_nb.features.robust_stats import MAD_TO_SIGMA


def expected_offset(season, slot: np.ndarray, offset: np.ndarray,
                    has: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fleet shape (offset from sector level) at each row's slot, and whether known.

    A slot the fleet has not seen yet (the first day) takes this tick's own fleet
    median of ``offset`` (rows' value minus their sector's level, where ``has``):
    cross-sectional, no learning, as peers do. With too few sectors it stays unknown
    and the rows give no seasonal evidence.
    """
    fleet = season.fleet_offset_[slot]
    known = season.fleet_count_[slot] > 0
    if known.all():
        return fleet, known
    fleet = fleet.copy()
    known = np.broadcast_to(known, offset.shape).copy()
    for s in np.unique(slot[~known[:, 0]]):
        sel = slot == s
        block = np.where(has[sel], offset[sel], np.nan)
        enough = np.isfinite(block).sum(axis=0) >= MIN_FLEET_SECTORS
        if not enough.any():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: stays unknown
            med = np.nanmedian(block[:: max(1, len(block) // FLEET_SAMPLE)], axis=0)
        fleet[sel] = np.where(enough, med, 0.0)
        known[sel] = enough
    return fleet, known


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
    offset = np.where(has, offset, np.nan)
    for s in np.unique(slot):
        sel = offset[slot == s]
        if len(sel) > FLEET_SAMPLE:
            sel = sel[:: len(sel) // FLEET_SAMPLE]
        if not np.isfinite(sel).any():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN column: skipped
            med = nanmedian_fast(sel)
        n = season.fleet_count_[s, 0]
        a = max(1.0 / (n + 1.0), season.slot_alpha)
        cur = season.fleet_offset_[s]
        season.fleet_offset_[s] = np.where(np.isfinite(med), cur + a * (med - cur), cur)
        season.fleet_count_[s, 0] = n + 1
