"""The hysteresis parameters of alert episodes, shared by the tracker and the alarm chain,
and the escalation bar an open episode must pass to alert again (its own module: the
chain, the tracker and the compiled episode table all read them)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from traitlets import Any as AnyTrait
from traitlets import Float, HasTraits, Int, validate

from telecom_nb.params import check_range, param_trait, ticks_or_duration

#: an episode closes after this long without an anomalous tick (3 ticks of 15 minutes;
#: a duration, so hourly and 5-minute data close after the same time, not 3 ticks)
CLOSE_AFTER = pd.Timedelta("45min")


def escalation_bar(alerted: np.ndarray | float, alerted_n: np.ndarray | int,
                   n_anom: np.ndarray | int, escalate_by: float) -> np.ndarray | float:
    """The peak an open episode must reach to re-alert: its last alert plus ``escalate_by``
    plus ``log10`` of how many times more anomalous ticks it has had since (arrays or
    scalars; compiled too, :mod:`~telecom_nb.alarms.episode_table`).

    Why the last term: a score is about ``-log10`` of how rare a tick is, and the rarest of
    ``n`` ticks of one unchanged incident is about ``log10 n`` rarer than one of them. A
    level shift or a wobbling fault paged at its first tick reaches a peak one unit higher
    after ten ticks with nothing worse happening, and paged again for it (few-series
    sets: a sixth to a third of the pages inside incidents were such re-pages); what is
    worse per tick still re-alerts.
    """
    return alerted + escalate_by + np.log10(np.maximum(n_anom, 1) / np.maximum(alerted_n, 1))


class EpisodeParams(HasTraits):
    """Mixin: the hysteresis parameters, shared by the tracker and the alarm chain."""

    open_after = param_trait(Int(1, help="anomalous ticks in a row that open an episode"))
    close_after = param_trait(AnyTrait(CLOSE_AFTER, help=(
        "normal time that closes an episode (e.g. 45min, the same at any cadence), or "
        "normal ticks in a row (e.g. 3)")))
    max_closed = param_trait(Int(1000, help="closed episodes kept (oldest dropped)"))
    escalate_by = param_trait(Float(1.0, help=(
        "score rise over the last alert that re-alerts an open episode, beyond log10 of "
        "its anomalous ticks' growth since (1 = a 10x rarer peak; 0 = any such peak)")))

    @validate("open_after", "max_closed")
    def _check_positive(self, proposal):
        check_range(proposal["trait"].name, proposal["value"], 1)
        return proposal["value"]

    @validate("close_after")
    def _check_close(self, proposal):
        return ticks_or_duration("close_after", proposal["value"])

    @validate("escalate_by")
    def _check_escalation(self, proposal):
        check_range("escalate_by", proposal["value"], 0)
        return proposal["value"]


#: the names of :class:`EpisodeParams`' parameters
EPISODE_PARAMS: tuple[str, ...] = ("open_after", "close_after", "max_closed", "escalate_by")
