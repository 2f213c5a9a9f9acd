"""Load, not fault: a fleet's crowd rows open no episode (issue 11).

A crowd (a match, a concert: a site's demand 2-3.5x for an evening) is flagged by whatever
part reads its congestion -- mostly the max part on the load KPIs' own surge -- so no one
part can be gated for it (area59's load gate, :data:`~telecom_nb.features.area.LOAD_ROSE`,
only zeroes the area evidence). The rule reads the whole row instead
(:mod:`~telecom_nb.features.crowd`: the row's and its site-mates' load up, no quality KPI
off its bad side, no unavailability) and marks it *routine*, as a few series' routine
excursions are (:mod:`~telecom_nb.detectors.routine`): the alarm stage lets it open no
episode, and it never hides a row inside an episode already open (a fault that began
before the crowd keeps flagging), nor a row :func:`~.routine.never_routine` keeps (a
record, a held level shift).

What the detector learns is unchanged: every row is learned as on main. A crowd is demand
the network really carried at its usual quality, and the features' state is already
robust to one evening of it (medians over a week's slots, EW Huber levels); learning a
row but not flagging it also keeps the scores bit for bit main's -- only ``is_anomaly``
(and the episodes) move, on the rows the rule holds on. ``crowd_load = 0`` is main.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable

import numpy as np
from traitlets import Float, HasTraits, validate

from telecom_nb.detectors.base import Scores
from telecom_nb.features.crowd import has_service_quality, quality_signs, unavailable
from telecom_nb.params import check_range, param_trait

#: the load z above which a row and its site read as a crowd. The pipeline's load z (the
#: seasonal part's, in its slot's spread) reads a crowd lower than crowd61's probe did
#: (v3194's 04-23 crowd: 0.9-2.4 where the probe read 2-3.5): on v3194 1.5 took 13 of the
#: 24 flagged crowd rows, 1.0 all 24 (and 1 other false row), no fault row either way
CROWD_LOAD = 1.0


@functools.lru_cache(maxsize=8)
def _signs_of(kpis: tuple[str, ...], sides: tuple[tuple[str, str], ...]) -> np.ndarray:
    """:func:`~.crowd.quality_signs`, once per KPI list and declared sides: a scored tick
    reads them twice (the rule, then the quality-led check), every tick the same."""
    signs = quality_signs(kpis, dict(sides))
    signs.flags.writeable = False
    return signs


class CrowdRule(HasTraits):
    """Mixin of a fleet detector: its crowd rows are routine (open no episode)."""

    crowd_load = param_trait(Float(CROWD_LOAD, help=(
        "a fleet row whose load family and whose site-mates' (cells at the same "
        "coordinates) both read this many spreads above their time slot, with no quality "
        "KPI (setup, drop, handover success, availability) off its bad side and no "
        "unavailability, is a crowd: it opens no episode (0 = off)")))

    @validate("crowd_load")
    def _v_crowd_load(self, proposal):
        check_range("crowd_load", proposal["value"], 0.0, None)
        return proposal["value"]

    def _quality_signs(self, kpis: Iterable[str]) -> np.ndarray:
        """(KPIs,) the quality KPIs' bad sides (:func:`~.crowd.quality_signs`; the source's
        declared sides win over the names)."""
        sides = getattr(self, "bad_sides", {}) or {}
        return _signs_of(tuple(kpis), tuple(sorted(sides.items())))

    def _routine_view(self, view, x: np.ndarray, update: bool) -> np.ndarray | None:
        """A few series' routine rows; in a fleet the crowd rows (scored, not learned:
        learning reads none)."""
        routine = super()._routine_view(view, x, update)
        if routine is not None or update or not self.crowd_load or self._few_series():
            return routine
        reader = getattr(self.features_, "crowd_rows", None)
        if reader is None:
            return None
        kpis = list(self.kpis_)
        if not has_service_quality(kpis):
            return None
        crowd = reader(view, self.crowd_load, self._quality_signs(kpis), unavailable(kpis))
        return crowd if crowd is not None and crowd.any() else None

    def _score_features(self, x: np.ndarray, index, *args, **kwargs) -> Scores:
        """The rows' scores; a crowd row whose score a quality KPI leads is no crowd. The
        rule reads a quality KPI's seasonal z, but a count ratio's evidence (a night's
        abnormal releases on their counts) can lead the score while the slot's wide
        spread keeps that z under 2: on the lead's OSS world o301 rows of a wrong
        parameter change scoring 9.5-10.7, led by ``ERAB Drop Rate (%)``, read as crowds."""
        scores = super()._score_features(x, index, *args, **kwargs)
        routine, frame = scores.routine, scores.contributions
        if routine is None or frame is None or not routine.any() or self._few_series():
            return scores
        signs = self._quality_signs(frame.columns)  # the detector's KPIs
        if not signs.any():
            return scores
        rows = np.flatnonzero(routine)
        part = frame.to_numpy()[rows]
        led = (signs[np.argmax(part, axis=1)] != 0) & (part.max(axis=1) > 0)
        kept = routine.copy()
        kept[rows[led]] = False
        return dataclasses.replace(scores, routine=kept)
