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

A crowd once read is *held* (``crowd_hold``): a sector whose last learned row was a crowd
reads its next row with the load bar at ``crowd_hold`` (the row's and its site's load still
half a spread above their slot), not ``crowd_load`` -- the pipeline's load z wobbles within an
evening (v3205's 09-20 crowd: a site's four cells 1.8-3.0 at one tick, 0.4-2.1 the next),
and a crowd row that dips below the bar opens an episode that keeps every later crowd row
flagged (crowd62's noticed (1)). The quality and availability conditions are not relaxed:
a fault that moves them during a crowd flags as before.
"""

from __future__ import annotations

import numpy as np
from traitlets import Float, HasTraits, validate

from telecom_nb.errors import ParameterError
from telecom_nb.features.crowd import has_service_quality, quality_signs, unavailable
from telecom_nb.params import check_range, param_trait

#: the load z above which a row and its site read as a crowd. The pipeline's load z (the
#: seasonal part's, in its slot's spread) reads a crowd lower than crowd61's probe did
#: (v3194's 04-23 crowd: 0.9-2.4 where the probe read 2-3.5): on v3194 1.5 took 13 of the
#: 24 flagged crowd rows, 1.0 all 24 (and 1 other false row), no fault row either way
CROWD_LOAD = 1.0
#: the load bar of a sector's row after a crowd row (see the module docstring): 0 took
#: v3197's partial_degradation on a busy evening (8 fault rows, one event); 0.5 none, and
#: the same 21 crowd rows on v3205
CROWD_HOLD = 0.5


class CrowdRule(HasTraits):
    """Mixin of a fleet detector: its crowd rows are routine (open no episode)."""

    crowd_load = param_trait(Float(CROWD_LOAD, help=(
        "a fleet row whose load family and whose site-mates' (cells at the same "
        "coordinates) both read this many spreads above their time slot, with no quality "
        "KPI (setup, drop, handover success, availability) off its bad side and no "
        "unavailability, is a crowd: it opens no episode (0 = off)")))

    crowd_hold = param_trait(Float(CROWD_HOLD, help=(
        "the load bar (spreads above the time slot, row and site-mates) of a sector's row "
        "after a crowd row, in place of crowd_load: a crowd once read is held while its "
        "load stays up and its quality does not move (crowd_load or more = no hold)")))

    #: per sector (feature row index): whether its last learned row read as a crowd
    crowd_held_: np.ndarray | None = None
    #: the crowd rows of the tick scored last, (rows, first ns, crowd), for learn() to keep
    _crowd_pending: tuple[np.ndarray, int, np.ndarray] | None = None

    @validate("crowd_load")
    def _v_crowd_load(self, proposal):
        check_range("crowd_load", proposal["value"], 0.0, None)
        return proposal["value"]

    @validate("crowd_hold")
    def _v_crowd_hold(self, proposal):
        if not np.isfinite(proposal["value"]):
            raise ParameterError(f"crowd_hold must be finite, got {proposal['value']!r}")
        return proposal["value"]

    def _crowd_bar(self, rows: np.ndarray) -> np.ndarray:
        """(rows,) each row's load bar: ``crowd_hold`` after its sector's crowd row."""
        held = self.crowd_held_
        was = np.zeros(len(rows), dtype=bool)
        if held is not None and len(held):
            inside = rows < len(held)
            was[inside] = held[rows[inside]]
        hold = min(self.crowd_hold, self.crowd_load)
        return np.where(was, hold, self.crowd_load)

    def _keep_crowd(self, view) -> None:
        """Learning a tick: its sectors' crowd flags (the ones its scoring read) held."""
        pending, self._crowd_pending = self._crowd_pending, None
        if not self.crowd_load or self._few_series() or not len(view):
            return
        rows = np.asarray(self.features_.rows(view))
        crowd = np.zeros(len(rows), dtype=bool)
        if (pending is not None and len(pending[0]) == len(rows)
                and pending[1] == int(view.ns()[0]) and np.array_equal(pending[0], rows)):
            crowd = pending[2]
        held = self.crowd_held_
        size = int(rows.max()) + 1 if len(rows) else 0
        if held is None or len(held) < size:
            grown = np.zeros(max(size, 0), dtype=bool)
            if held is not None:
                grown[:len(held)] = held
            held = grown
        held[rows] = crowd
        self.crowd_held_ = held

    def _routine_view(self, view, x: np.ndarray, update: bool) -> np.ndarray | None:
        """A few series' routine rows; in a fleet the crowd rows (scored, not learned:
        learning reads none)."""
        routine = super()._routine_view(view, x, update)
        if update:
            self._keep_crowd(view)
        if routine is not None or update or not self.crowd_load or self._few_series():
            return routine
        reader = getattr(self.features_, "crowd_rows", None)
        if reader is None:
            return None
        kpis = list(self.kpis_)
        if not has_service_quality(kpis):
            return None
        sides = dict(getattr(self, "bad_sides", {}) or {})
        rows = np.asarray(self.features_.rows(view))
        crowd = reader(view, self._crowd_bar(rows), quality_signs(kpis, sides),
                       unavailable(kpis))
        if crowd is not None and len(rows):
            self._crowd_pending = (rows, int(view.ns()[0]), crowd)
        return crowd if crowd is not None and crowd.any() else None
