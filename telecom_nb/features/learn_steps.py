"""The learning a pipeline does around its parts' own: the models that learn a batch before
the parts do (area, smoothing, runs, drift, persistence, recurrences, zero states, load) and
the fleet's regrouping after them.

Apart from :mod:`~telecom_nb.features.pipeline` because the order is the contract: each
model here reads the seasonal z of the state *before* this batch (on a large fleet the
seasonal part learns beside these steps, on the parts thread: :mod:`part_threads`), and
the regrouping reads the seasonal table *after* it.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.scaling import scaled_view
from telecom_nb.features.view import BatchView


class LearnSteps:
    """Mixin for :class:`~telecom_nb.features.pipeline.KpiFeatures`: its optional models
    (``area_``, ``smooth_``, ``run_``, ``drift_``, ``persistence_``, ``recur_``, ``zeros_``,
    ``load_``, ``common_``) and readers (``_seasonal_z``, ``_run_deviation``, ...)."""

    def _learn_steps(self, view: BatchView, rows: np.ndarray, step_ns: int) -> None:
        """The models learning before the parts (``step_ns``: the cadence before the batch)."""
        if self.area_ is not None and not self.few_series() and view.coords is not None:
            self.area_.locate(rows, view.coords, len(self.registry))
            self.area_.update(rows, view.ns(), self._seasonal_z(view), len(self.registry))
        if self.smooth_ is not None:  # before the zero states learn this batch
            self.smooth_.active = self.few_series()
            if self.smooth_.active:
                known = self.zeros_.known(rows, scaled_view(view, self.kpis_ or ()),
                                          self.local_hours(view))
                z = self._quiet_kpi_z(self._seasonal_z(view), known)
                self.smooth_.update(rows, z, view.ns(), len(self.registry))
        if self.run_ is not None and not self.few_series():  # before the parts learn
            self.run_.update(rows, self._run_deviation(view), len(self.registry))
        if self.drift_ is not None and not self.few_series():  # the cadence before this batch's
            self.drift_.update(rows, self._seasonal_z(view)[:, : len(self.kpis_ or ())],
                               len(self.registry), step_ns, view.ns())
        if self.persistence_ is not None:
            self.persistence_.ratio = self._memory_ratio()  # the cadence before this batch's
            self.persistence_.restart = not self.few_series()
            z = self._seasonal_z(view)
            if self.few_series():
                known = self.zeros_.known(rows, scaled_view(view, self.kpis_ or ()),
                                          self.local_hours(view))
                z = np.where(self.quiet_series(known, z.shape[1]), 0.0, z)
            self.persistence_.update(rows, z, len(self.registry))
        if self.recur_ is not None:  # the series' own excursions, as they were
            self.recur_.active = self.few_series()
            self.recur_.update(rows, self._seasonal_z(view, "raw"), view.ns(),
                               len(self.registry))
        if self.few_series():  # read only then; a registry never shrinks back to a few
            self.zeros_.update(rows, scaled_view(view, self.kpis_ or ()), len(self.registry),
                               self.local_hours(view))
        if self.load_ is not None and not self.few_series():  # before the parts learn
            z = self._seasonal_z(view, "unloaded")
            valid = self._seasonal_z(view, "valid")[:, : len(self.kpis_ or ())]
            self.load_.update(rows, z, valid, view.ns(), len(self.registry))
            self.load_.learn_fit(rows, scaled_view(view, self.kpis_ or ()), valid,
                                 len(self.registry))

    def _regroup(self, view: BatchView) -> None:
        """Group the sectors by their normal day once a day of data (fleets; after the
        seasonal part learned the batch), a large fleet's over a few ticks."""
        common = self.common_
        if common is None or self.few_series():
            return
        due = common.due(view.ns())
        if not due and not len(common.pending_):
            return
        season = self.parts_[0]
        table = season.slot_table_
        k = len(self.kpis_ or ())
        if not due:  # a large fleet's regrouping under way: its next sectors
            common.advance(table.level[:, :, :k], table.count[:, :, :k])
            return
        known = table.count[:, :, :k].reshape(table.n_rows, -1).max(axis=1) > 0
        common.fit(table.level[:, :, :k], table.count[:, :, :k], known, int(view.ns().max()))
