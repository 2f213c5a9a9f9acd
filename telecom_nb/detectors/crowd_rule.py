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

A crowd congests its whole site, so a crowd row's site-mates score with it; a row scoring
``crowd_alone`` above its site-mates' median score is its own cell's fault and no crowd
(:func:`~telecom_nb.features.crowd.alone_rows`: the lead's OSS world o306, one cell's PRB
saturation on a busy morning scoring 4.8-7.0 beside site-mates at 1.1-1.6, read as a crowd).
The scores exist only after the routine flags are read, so the rule keeps each scored
piece's crowd rows and their site-mates (``_crowd_pieces``, a transient) for
:meth:`CrowdRule._score_features` to read.

A crowd once read is *held* (``crowd_hold``, crowd63's): a sector whose last learned row
was a crowd reads its next row with the load bar at ``crowd_hold`` -- the pipeline's load z
wobbles within an evening (v3205's crowd: a site's cells 1.8-3.0 at one tick, 0.4-2.1 the
next) and a crowd row dipping below the bar opens an episode that keeps the later crowd rows
flagged. The quality, availability and alone checks are not relaxed (crowd63's hold without
the alone check hid o306's PRB saturation: a held bar read its rows as a crowd).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable

import numpy as np
from traitlets import Float, HasTraits, validate

from telecom_nb.detectors.base import Scores
from telecom_nb.errors import ParameterError
from telecom_nb.features.crowd import (
    ALONE_ABOVE,
    alone_rows,
    has_service_quality,
    quality_signs,
    unavailable,
)
from telecom_nb.params import check_range, param_trait
from telecom_nb.sector_index import known_rows

#: the load z above which a row and its site read as a crowd. The pipeline's load z (the
#: seasonal part's, in its slot's spread) reads a crowd lower than crowd61's probe did
#: (v3194's 04-23 crowd: 0.9-2.4 where the probe read 2-3.5): on v3194 1.5 took 13 of the
#: 24 flagged crowd rows, 1.0 all 24 (and 1 other false row), no fault row either way
CROWD_LOAD = 1.0
#: the load bar of a sector's row after a crowd row (crowd63: 0 took v3197's
#: partial_degradation on a busy evening, 0.5 none and the same 21 crowd rows on v3205)
CROWD_HOLD = 0.5


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

    crowd_alone = param_trait(Float(ALONE_ABOVE, help=(
        "a crowd row scoring this much above its site-mates' median score is its own "
        "cell's fault (one cell congested on a busy site), not the crowd's: it is no "
        "crowd (0 = off)")))

    crowd_hold = param_trait(Float(CROWD_HOLD, help=(
        "the load bar (spreads above the time slot, row and site-mates) of a sector's row "
        "after a crowd row, in place of crowd_load: a crowd once read is held while its "
        "load stays up and its quality does not move (crowd_load or more = no hold)")))

    #: per sector (feature row index): whether its last learned row read as a crowd
    crowd_held_: np.ndarray | None = None
    #: the crowd rows of the tick scored last, (rows, first ns, crowd), for learn() to keep
    _crowd_pending: tuple[np.ndarray, int, np.ndarray] | None = None
    #: per piece scored since the last _score_features: (rows, crowd rows, their
    #: site-mates' rows and whether there is one), the rows local to the piece
    _crowd_pieces: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] | None = None

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
        if held is not None:
            inside = known_rows(rows, len(held))
            was[inside] = held[rows[inside]]
        return np.where(was, min(self.crowd_hold, self.crowd_load), self.crowd_load)

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

    @validate("crowd_alone")
    def _v_crowd_alone(self, proposal):
        check_range("crowd_alone", proposal["value"], 0.0, None)
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
        if update:
            self._keep_crowd(view)
            return routine
        crowd = None
        if routine is None and self.crowd_load and not self._few_series():
            crowd = self._crowd_view(view)
        self._keep_piece(view, crowd)
        return routine if crowd is None else crowd

    def _crowd_view(self, view) -> np.ndarray | None:
        """(rows,) the view's crowd rows (:meth:`~.load_views.LoadViews.crowd_rows`), None
        for none."""
        reader = getattr(self.features_, "crowd_rows", None)
        if reader is None:
            return None
        kpis = list(self.kpis_)
        if not has_service_quality(kpis):
            return None
        rows = np.asarray(self.features_.rows(view))
        crowd = reader(view, self._crowd_bar(rows), self._quality_signs(kpis),
                       unavailable(kpis))
        if crowd is not None and len(rows):
            self._crowd_pending = (rows, int(view.ns()[0]), crowd)
        return crowd if crowd is not None and crowd.any() else None

    def _keep_piece(self, view, crowd: np.ndarray | None) -> None:
        """Keep a scored piece's crowd rows and their site-mates for the alone check (a
        piece without one keeps its length: pieces are scored together, in order)."""
        rows = np.flatnonzero(crowd) if crowd is not None and self.crowd_alone else None
        found = None if rows is None else self.features_.crowd_mates(view)
        if found is None:
            rows, found = np.zeros(0, np.int64), (np.zeros((0, 0), np.int64),
                                                  np.zeros((0, 0), bool))
        piece = (len(view), rows, found[0][rows], found[1][rows])
        self._crowd_pieces = [*(self._crowd_pieces or []), piece]

    def _alone(self, score: np.ndarray, pieces) -> tuple[np.ndarray, np.ndarray]:
        """The crowd rows of ``pieces`` (rows of the scored segment) and whether each
        scores ``crowd_alone`` above its site-mates (:func:`~.crowd.alone_rows`)."""
        start = np.cumsum([0] + [p[0] for p in pieces])[:-1]
        keep = [(p[1] + a, p[2] + a, p[3]) for p, a in zip(pieces, start, strict=True)
                if len(p[1])]
        if not keep:
            return np.zeros(0, np.int64), np.zeros(0, bool)
        width = max(k[1].shape[1] for k in keep)
        rows = np.concatenate([k[0] for k in keep])
        mates = np.concatenate([np.pad(k[1], ((0, 0), (0, width - k[1].shape[1])))
                                for k in keep])
        hit = np.concatenate([np.pad(k[2], ((0, 0), (0, width - k[2].shape[1])))
                              for k in keep])
        return rows, alone_rows(np.asarray(score, np.float64), rows, mates, hit,
                                self.crowd_alone)

    def _score_features(self, x: np.ndarray, index, *args, **kwargs) -> Scores:
        """The rows' scores; a crowd row whose score a quality KPI leads is no crowd. The
        rule reads a quality KPI's seasonal z, but a count ratio's evidence (a night's
        abnormal releases on their counts) can lead the score while the slot's wide
        spread keeps that z under 2: on the lead's OSS world o301 rows of a wrong
        parameter change scoring 9.5-10.7, led by ``ERAB Drop Rate (%)``, read as crowds."""
        pieces, self._crowd_pieces = self._crowd_pieces or [], None
        scores = super()._score_features(x, index, *args, **kwargs)
        routine, frame = scores.routine, scores.contributions
        if routine is None or frame is None or not routine.any() or self._few_series():
            return scores
        kept = routine.copy()
        if self.crowd_alone and sum(p[0] for p in pieces) == len(kept):
            rows, alone = self._alone(scores.score, pieces)
            kept[rows[alone]] = False
        signs = self._quality_signs(frame.columns)  # the detector's KPIs
        if signs.any():
            rows = np.flatnonzero(kept)
            part = frame.to_numpy()[rows]
            led = (signs[np.argmax(part, axis=1)] != 0) & (part.max(axis=1) > 0)
            kept[rows[led]] = False
        return dataclasses.replace(scores, routine=kept)
