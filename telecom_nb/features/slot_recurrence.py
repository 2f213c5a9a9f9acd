"""A slot's far samples that come back: the seasonal table's own shape, not a fault.

A warm slot gates samples far from what it learned, and a cold one gates every far
sample, so a fault on day one is not tomorrow's normal. A far sample that comes back on a
later day, the sector normal in between (not one long fault), is the sector's shape at
this time of day: learned freely (a chain), or, when near samples in the same visit broke
the chain, learned bounded (by a visit). Each slot keeps one number of state,
``slot_far_since_`` (below); :func:`recurrence` reads and moves it for a batch (numpy) and
:func:`recur_cell` for one cell (compiled by :mod:`~.seasonal_learn`, called by its fleet
pass and by the one-series pass): the same numbers.
"""

from __future__ import annotations

import numpy as np

#: a slot's deviation that comes back this much later (a later day's visit of the slot,
#: not the same fault's next tick), the sector normal in between, is the sector's own
#: shape: learned freely
RECUR_HOURS = 12.0
#: ... and a far sample 12 h to this much after the slot's last far sample, near samples
#: in between, recurs too (per visit, not per sample): at 15 minutes a slot is visited by 4
#: samples a day, and a quiet cell's night (idle, then a user or two: volumes 30-100x) puts
#: far and near samples in one visit, so that the near ones broke the chain above every
#: night. Such a sample teaches a warm slot its level at most ``HUBER_K`` spreads away
#: and leaves its spread alone: a daily job or a nightly zero run that recurs stays news.
RECUR_WITHIN_HOURS = 36.0
#: ``slot_far_since_`` holds the hours of the slot's last far sample: as is while the far
#: samples chain (no near sample since), negated once the chain recurred, plus this
#: (beyond any epoch hour: year 2089) once a near sample broke it; 0 = none
RECUR_BROKEN = 2.0**20


def recurrence(v: np.ndarray, now: np.ndarray, far: np.ndarray, ok: np.ndarray,
               run_hours: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Recurs by the chain, recurs by a visit, the slots' new ``slot_far_since_``) of
    samples at hours ``now`` against the slots' state ``v``: ``far`` where a sample is far
    from its slot, ``ok`` where it was read, ``run_hours`` how long the sector has been far."""
    seen, broken = v != 0, v >= RECUR_BROKEN
    last = np.where(broken, v - RECUR_BROKEN, np.abs(v))
    gap = now - last
    day_later = seen & (gap >= RECUR_HOURS)
    chain = far & seen & ~broken & ((day_later & (run_hours < gap)) | (
        (v < 0) & (run_hours < RECUR_HOURS)))
    by_visit = far & broken & day_later & (gap <= RECUR_WITHIN_HOURS) & (run_hours < gap)
    since = np.where(far, np.where(chain, -now, now), np.where(
        ok & seen & ~broken, last + RECUR_BROKEN, v))
    return chain, by_visit, since


def recur_cell(v, now, far, ok, run_h):  # pragma: no cover - compiled
    """One cell of :func:`recurrence`: (recurs, by a
    visit, the slot's new ``slot_far_since_``) of a sample at hour ``now``."""
    if v == 0.0:
        return False, False, now if far else v
    broken = v >= RECUR_BROKEN
    last = v - RECUR_BROKEN if broken else abs(v)
    gap = now - last
    if far:
        day_later = gap >= RECUR_HOURS
        chain = (not broken) and ((day_later and run_h < gap) or (v < 0 and run_h < RECUR_HOURS))
        visit = broken and day_later and gap <= RECUR_WITHIN_HOURS and run_h < gap
        return chain or visit, visit, -now if chain else now
    if ok and not broken:
        return False, False, last + RECUR_BROKEN
    return False, False, v
