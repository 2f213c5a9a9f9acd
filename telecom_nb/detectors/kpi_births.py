"""A KPI that starts reporting mid-stream is no evidence until the model has seen it live.

Real exports gain counters mid-export (a feature switched on, a software upgrade, a new
carrier). Until then the KPI's feature columns are 0 on every window row, so every
per-column null the fit reads (the tails of the max, the persistence nulls, the forest's
splits) is a point mass at 0: on the day the KPI comes alive, its first cold seasonal z
(0.5-2, a baseline of a few samples) and range novelty ("beyond anything seen") read as
rare, and the rows whose KPI families it joins are lifted too (a clean 30-cell hourly
fleet whose KPI came alive on day 3: 4 -> 613 flagged rows, 579 on that day).

So the detector notes each KPI's *birth* (the data time any sector first reported it,
:attr:`KpiBirths.kpi_born_`), and a fit whose window had it alive for less than
:data:`MIN_LIVE_SHARE` of the data time it spans reads the KPI's columns (its own and its
relations', :meth:`~telecom_nb.features.base.FeatureExtractor.feature_weights`) as 0 when
scoring: as a new sector's rows are no evidence until its baselines are warm, a column that
starts is learned before it is read (the relations' :func:`~telecom_nb.features.
relation_offsets.restart_columns` switch is the features' side of the same rule). The columns
are named in the fit's parameters (:data:`UNREAD`), so a checkpoint refits and scores the
same. A KPI present from the first batch is born then: nothing changes for it (a KPI blank
on some cells only is alive for the fleet; those cells' cold slots read the fleet's profile).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

#: fit parameter: feature columns the fitted model reads as 0 (a KPI not yet live enough)
UNREAD = "unread_columns"
#: a KPI is read once it was live for at least this share of the data time the fit's
#: window spans (its columns' tail levels, 5 % of the rows and deeper, are then its live
#: values': the zeros before it are their body)
MIN_LIVE_SHARE = 0.25
#: ``kpi_born_`` of a KPI not reported yet
UNBORN = -1


class KpiBirths:
    """Mixed into :class:`~.windowed.WindowedDetector`: births noted as batches are learned,
    the unread columns fixed per fit and applied to the rows it scores."""

    _state_added: tuple[str, ...] = ("kpi_born_",)
    #: per KPI the data time (ns) it was first reported by any sector (:data:`UNBORN`: not
    #: yet); None before the first batch
    kpi_born_: np.ndarray | None = None

    def derive_added_state(self, names: Sequence[str]) -> None:
        """A checkpoint older than the rule: every KPI was there from its stream's start."""
        if "kpi_born_" in names:
            first = getattr(self, "first_time_", None)
            n = len(self.kpis_)
            self.kpi_born_ = (
                None if first is None else np.full(n, pd.Timestamp(first).as_unit("ns").value)
            )
        super().derive_added_state(names)

    def _note_births(self, raw: np.ndarray, ns: np.ndarray) -> None:
        """Note the KPIs that ``raw`` (rows x KPIs, at times ``ns``) reports first."""
        born = self.kpi_born_
        if born is None or len(born) != raw.shape[1]:
            born = self.kpi_born_ = np.full(raw.shape[1], UNBORN, dtype=np.int64)
        waiting = np.flatnonzero(born == UNBORN)
        if not len(waiting) or not len(raw):
            return
        live = ~np.isnan(raw[:, waiting])
        seen = live.any(axis=0)
        if seen.any():
            first = np.where(live, ns[:, None], np.iinfo(np.int64).max).min(axis=0)
            born[waiting[seen]] = first[seen]

    def _unread_params(
        self, params: dict[str, Any], now: pd.Timestamp, span: pd.Timedelta | None
    ) -> dict[str, Any]:
        """``params`` with :data:`UNREAD` when the window (spanning ``span`` before ``now``;
        None: the whole history) had a KPI live for too short a share of its time."""
        born = self.kpi_born_
        if born is None or self.first_time_ is None:
            return params
        end = now.as_unit("ns").value
        start = (self.first_time_ if span is None else now - span).as_unit("ns").value
        # not reported yet: its first values will come to this model (unread as well)
        late = (born > start) | (born == UNBORN)
        if end <= start or not late.any():
            return params
        young = late & ((born == UNBORN) | ((end - born) < MIN_LIVE_SHARE * (end - start)))
        if not young.any():
            return params
        weights = np.asarray(self.features_.feature_weights())
        cols = np.flatnonzero((weights[:, young] != 0).any(axis=1))
        return {**params, UNREAD: tuple(int(c) for c in cols)} if len(cols) else params


def pop_unread(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` without :data:`UNREAD` (what the model's fit takes)."""
    if UNREAD not in params:
        return params
    return {k: v for k, v in params.items() if k != UNREAD}


def unread_view(fitted: Any, x: np.ndarray) -> np.ndarray:
    """``x`` as ``fitted`` reads it: its :data:`UNREAD` columns at 0 (a copy), else ``x``."""
    inputs = None if fitted is None else fitted.inputs
    cols = () if inputs is None else inputs.params.get(UNREAD, ())
    if not len(cols):
        return x
    out = x.copy()
    out[:, np.asarray(cols, dtype=np.intp)] = 0.0
    return out
