"""One series of several KPIs: a per-KPI record or level shift counts where the joint
distances corroborate it.

The records (range novelty, level record) and the level-shift part read each KPI on its
own, Bonferroni over the KPIs. In a series whose KPIs share a few drivers (a service's 24
or 48 normalised KPIs: demand, latency, a backend's slow drift), a driver's own excursion
moves every KPI it loads on along the series' usual co-movement: the KPIs' hour means
leave their days' spread and a few values leave their range, each KPI rare on its own
history, while the joint and smoothed-z distances (:mod:`.joint`), which read the
deviations against the window's co-movement, see nothing unusual (cdn66:
``few_series.py`` cdn24 seed 3326, a backend factor at -3 of its spread for three hours:
20 false rows led by the shift part, the distances at 0.0-1.1; over seeds 3321-3330 the
shift part led 72 false rows and 56 incident rows, the records 48 and 22, and every
incident row the shift part led had the distances at 1.55 or more -- an incident moves KPIs
off their co-movement).
So for one series with a joint part, a record or shift reading that would raise a row's
score counts only where the joint or the smoothed distance reads at least
:data:`CORROBORATION` on the score's scale; elsewhere it reads 0 (and so does not exempt
the row from the routine rule either). One KPI (NAB), a pool of cells (their KPIs' shifts
are the faults: an outage moves traffic, users and PRB together) and fleets (no records,
no shift part) are untouched.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from telecom_nb.detectors.base import strongest
from telecom_nb.detectors.calibration import TailCalibrator

#: the joint or smoothed distance's calibrated score (``-log10 p``) at which it
#: corroborates a per-KPI record or shift: about one row in three reads as far (1.0 lost
#: one-cell LTE level shifts, whose traffic, users and PRB move along their usual
#: co-movement and read 0.42-0.82: cdn66 in benchmarks/MEASURED.md)
CORROBORATION = 0.5


def corroborated(model: Any, calibrator: TailCalibrator, features: np.ndarray,
                 score: np.ndarray, records: np.ndarray | None, shift: np.ndarray | None
                 ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``records`` and ``shift`` with 0 on the rows where they would raise ``score`` (the
    calibrated max of parts) and the joint distances do not reach :data:`CORROBORATION`;
    ``model``: a :class:`~.forest_model.ForestAndZ` with a joint null (else unchanged).
    The distances are read on those rows only (a row's parts are its own)."""
    per_kpi = strongest(records, shift)
    if model.joint_null is None or per_kpi is None:
        return records, shift
    rows = np.flatnonzero(per_kpi > score)
    if not len(rows):
        return records, shift
    some = features[rows]
    joint = model.joint_null(model.joint_units(some))
    if model.smooth_null is not None:
        joint = np.maximum(joint, model.smooth_null(model.smooth_units(some)))
    weak = rows[calibrator(joint) < CORROBORATION]
    if not len(weak):
        return records, shift
    return _zeroed(records, weak), _zeroed(shift, weak)


def _zeroed(values: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
    """A copy of ``values`` with 0 at ``rows`` (None stays None)."""
    if values is None:
        return None
    out = np.array(values, dtype=np.float64)
    out[rows] = 0.0
    return out
