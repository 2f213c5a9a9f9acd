"""A pool's level-shift spread per clock slot: a night's hour read on the night's scale.

The level shift's scale (:mod:`~telecom_nb.features.level_shift`) is the day-to-day spread
of an hour's mean, smoothed over the day's bins: the day's. A cell's night is quieter in
the KPI's scale (``log1p`` of a small volume is nearly linear, so its spread shrinks with
it), so a normal night's shift z had a spread of 0.15-0.5 against ~1-1.9 by day (few-series
``lte1`` / ``lte15`` traffic) and a night's level shift read a fraction of a day's against
one null. Each clock slot (15-minute bin of the day) keeps its own spread, the same
median absolute deviation of the previous days' means, smoothed over the days the slot
gave one; it is read with its neighbour slots (:data:`NEIGHBOURS` either side, each as many
days as it gave), shrunk towards the all-day spread as if that were
:data:`PRIOR_DAYS` days of the slot, so a young pool reads the all-day spread.
The floor a slot's spread keeps is a logged KPI's 1 % of its level (:func:`level_floors`):
the flat floor held a small night volume's spread up as much as the day's did.
Pools only: one series keeps the all-day spread and flat floor (its compiled pass).
"""

from __future__ import annotations

import numpy as np

#: clock slots in a day (the level shift's 15-minute bins)
SLOTS = 96
#: a slot's spread is smoothed over about this many of its days
SLOT_DAYS = 7
#: slots read either side of a row's own (15 minutes each): two hours' spread in all
NEIGHBOURS = 4
#: slot-days the all-day spread counts as (a young pool reads it: ~2 days of a slot and its
#: neighbours; few-series ``lte`` at 3: +61 false rows on its first two judged days)
PRIOR_DAYS = 20.0


def slot_learn(spread: np.ndarray, days: np.ndarray, mad: np.ndarray,
               enough: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A slot's spread and its days once a bin of it gave the day-to-day spread ``mad``
    (where ``enough`` days had the window): a running mean over its first days, then an
    exponential one over :data:`SLOT_DAYS`."""
    a = np.maximum(1.0 / (days + 1.0), 1.0 / SLOT_DAYS)
    return np.where(enough, spread + a * (mad - spread), spread), days + enough


def neighbours(slot: np.ndarray) -> np.ndarray:
    """Each row's slot and its :data:`NEIGHBOURS` either side (rows x slots read)."""
    return (slot[:, None] + np.arange(-NEIGHBOURS, NEIGHBOURS + 1)) % SLOTS


def level_floors(floors: np.ndarray, logged: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Each row's floor (rows x KPIs): a logged KPI's ``LOG_SPREAD_FLOOR`` is 1 % of the
    value only above ~1 (``log1p``); at a reference level ``ref`` it is that times
    ``1 - e^-|ref|``, 1 % of a small volume too (a night's 0.02 GB a minute moves its
    hour's mean by 0.003-0.005 from day to day, under half the flat floor; few-series
    ``lte1``).
    Percentages keep theirs; a row without a reference the flat floor."""
    with np.errstate(invalid="ignore"):
        rel = -np.expm1(-np.abs(ref))
    return np.where(logged & np.isfinite(rel), floors * rel, floors)


def slot_scale(spread: np.ndarray, days: np.ndarray, all_day: np.ndarray,
               floors: np.ndarray) -> np.ndarray:
    """Each row's scale: the mean of its slots' spreads ``spread`` (rows x slots read x
    KPIs), each weighted by its ``days``, and the all-day spread ``all_day`` (rows x KPIs)
    as :data:`PRIOR_DAYS`; every spread at least the row's floor (``floors``, rows x
    KPIs)."""
    total = (np.where(days > 0, days * np.maximum(spread, floors[:, None]), 0.0).sum(axis=1)
             + PRIOR_DAYS * np.maximum(all_day, floors))
    return total / (days.sum(axis=1) + PRIOR_DAYS)
