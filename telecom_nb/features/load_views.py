"""Two readings of a row's load that parts beside the load group take: its level against
the sector's usual (:func:`~.load_level.load_level`: the views part's quiet rows) and its
seasonal z before the common mode (:func:`~.load_level.load_z`: the area part's crowds).

Apart from :mod:`~telecom_nb.features.pipeline` because both read the same fleet's load
family and the pipeline's seasonal state, and neither is a part of its own.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.crowd import crowd_rows
from telecom_nb.features.load_level import load_level, load_z
from telecom_nb.features.scaling import scaled_view
from telecom_nb.features.view import BatchView


class LoadViews:
    """Mixin for :class:`~telecom_nb.features.pipeline.KpiFeatures`: reads its load group
    (``load_``), seasonal part (``parts_[0]``) and seasonal z (``_seasonal_z``)."""

    def _load_family(self) -> np.ndarray | None:
        """The fleet's load family (KPI mask); None for a few series or without one."""
        if self.few_series() or self.load_ is None or not self.load_.family_.any():
            return None
        return self.load_.family_

    def load_level(self, view: BatchView) -> np.ndarray | None:
        """(rows,) each row's load family against its sector's usual level
        (:mod:`~telecom_nb.features.load_level`, ~ln of the ratio); None without a fleet's
        load family."""
        family = self._load_family()
        if family is None:
            return None
        return load_level(self.parts_[0], family, self.rows(view),
                          scaled_view(view, self.kpis_ or ()))

    def _load_z(self, view: BatchView) -> np.ndarray | None:
        """(rows,) each row's load family's seasonal z before the common mode
        (:func:`~.load_level.load_z`); None without a fleet's load family."""
        family = self._load_family()
        if family is None:
            return None
        raw = self._seasonal_z(view, "raw")
        k = len(self.kpis_ or ())
        valid = self._seasonal_z(view, "valid")[:, :k]
        return load_z(raw[:, :k], valid, family)

    def crowd_mates(self, view: BatchView) -> tuple[np.ndarray, np.ndarray] | None:
        """(rows x neighbours) the batch rows of each row's site-mates at its tick and
        whether there is one (:meth:`~.area.AreaMedian.site_mates`); None without
        coordinates or with no site-mate reporting."""
        if self.area_ is None or view.coords is None or not len(view):
            return None
        mates, hit = self.area_.site_mates(self.rows(view), view.ns())
        return (mates, hit) if hit.any() else None

    def crowd_rows(self, view: BatchView, load_above: float | np.ndarray, signs: np.ndarray,
                   down: np.ndarray) -> np.ndarray | None:
        """(rows,) the rows read as a crowd (:func:`~.crowd.crowd_rows`: the row's and its
        site-mates' load rose, no quality KPI moved, ``signs``' bad sides, nor a ``down``
        KPI's value above 0); None without a fleet's load family or coordinates."""
        load = self._load_z(view)
        found = None if load is None else self.crowd_mates(view)
        if found is None:
            return None
        mates, hit = found
        k = len(self.kpis_ or ())
        raw = self._seasonal_z(view, "raw")[:, :k]
        return crowd_rows(load, mates, hit, raw, signs, view.raw[:, down], load_above)
