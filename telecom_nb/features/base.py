"""Feature extractors: turn KPI batches into features where "usual" is removed.

river-style: ``transform(batch)`` never learns, ``update(batch)`` learns; a
pipeline transforms (scores) a batch before it learns from it, so there is no
look-ahead. State is learned from the stream only (no labels).

Subclasses work on :class:`BatchView` arrays (``transform_view``/``update_view``) so
that a whole-table replay can reuse the exact same arithmetic batch by batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from traitlets import List, Unicode, observe

from telecom_nb.errors import ParameterError
from telecom_nb.features.view import BatchView, infer_kpis, make_view
from telecom_nb.params import Parametrized, param_trait
from telecom_nb.sector_index import SectorIndex

#: a view's cache key for its registry rows (:meth:`FeatureExtractor.rows`)
_ROWS = "registry rows"


class FeatureExtractor(Parametrized):
    """Tiny base class: per-sector state in numpy arrays indexed through a registry."""

    kpis = param_trait(
        List(Unicode(), default_value=None, allow_none=True,
             help="KPI columns; None = the schema's KPIs present, else every numeric column")
    )

    def __init__(self, registry: SectorIndex | None = None, **params) -> None:
        self.registry = registry if registry is not None else SectorIndex()
        self.kpis_: tuple[str, ...] | None = None
        self._last: tuple[pd.DataFrame | None, BatchView] | None = None
        super().__init__(**params)

    # -- public, DataFrame API -------------------------------------------------
    def view(self, batch: pd.DataFrame) -> BatchView:
        """The batch as arrays (cached for the last batch: score then learn reuse it)."""
        if self._last is not None and self._last[0] is batch:
            return self._last[1]
        if self.kpis_ is None:
            self._bind(tuple(self.kpis) if self.kpis else infer_kpis(batch))
        view = make_view(batch, self.kpis_,  # type: ignore[arg-type]
                         previous=None if self._last is None else self._last[1])
        self._last = (batch, view)
        return view

    def forget_batch(self) -> None:
        """Once a batch is learned, its frame and its view's arrays (~25 MB at 100k
        sectors) are not state: keep only what the next view reuses (ids, provinces)."""
        if self._last is None:
            return
        v = self._last[1]
        empty = BatchView(v.sector_ids, v.provinces, v.timestamps[:0].copy(deep=True),
                          np.empty((0, v.raw.shape[1])), ids_key=v.ids_key,
                          provinces_key=v.provinces_key)  # copies: a slice keeps its base
        self._last = (None, empty)

    def recycle(self, features: np.ndarray) -> None:
        """Take back a features matrix this extractor gave and nobody reads any more: an
        extractor may write a later batch's features into it (none does here)."""

    def transform(self, batch: pd.DataFrame) -> pd.DataFrame:
        """Features of ``batch`` (finite floats), without learning."""
        values = self.transform_view(self.view(batch))
        return pd.DataFrame(values, index=batch.index, columns=self.feature_names)

    def update(self, batch: pd.DataFrame) -> None:
        """Learn from ``batch`` (call after ``transform``)."""
        self.update_view(self.view(batch))

    # -- array API used by detectors ------------------------------------------
    def bind(self, kpis: tuple[str, ...]) -> None:
        """Fix the KPI list (done from the first batch otherwise)."""
        if self.kpis_ != tuple(kpis):
            self._bind(tuple(kpis))

    def rows(self, view: BatchView) -> np.ndarray:
        """Registry rows of the view's sectors, -1 for sectors never learned.

        Kept on the view per registry and its size (a registry only grows, and a position
        never changes): a tick's parts ask ~20 times for the same view's rows."""
        registry, size = self.registry, len(self.registry)
        kept = view.cache.get(_ROWS)  # not row-wise: a slice looks its rows up anew
        if kept is not None and kept[0] is registry and kept[1] == size:
            return kept[2]
        rows = registry.lookup(view.sector_ids, alias=view.ids_key)
        view.cache[_ROWS] = (registry, size, rows)
        return rows

    def transform_view(self, view: BatchView) -> np.ndarray:
        raise NotImplementedError

    def update_view(self, view: BatchView) -> None:
        raise NotImplementedError

    def prepare_view(self, view: BatchView) -> None:
        """Derive the view's state-free per-row arrays now (a replay does it once for
        the whole table; its slices then carry them). Optional."""

    @property
    def feature_names(self) -> list[str]:
        raise NotImplementedError

    def feature_weights(self) -> np.ndarray:
        """features x kpis: how much each feature speaks for each KPI (for explanations)."""
        raise NotImplementedError

    def _bind(self, kpis: tuple[str, ...]) -> None:
        self.kpis_ = kpis
        self._last = None
        self._reset()

    def _reset(self) -> None:
        """Forget all learned state (after a KPI list change)."""

    @observe("kpis")
    def _kpis_changed(self, change) -> None:
        if self.kpis_ is not None and change["new"]:
            self._bind(tuple(change["new"]))


def configure_features(features: FeatureExtractor, params: dict[str, Any]) -> None:
    """Apply ``{"weekly": v, "seasonal.slot_alpha": w}``: own parameters, then parts'."""
    own = {k: v for k, v in params.items() if "." not in k}
    if own:
        features.set_params(**own)
    parts: dict[str, dict[str, Any]] = {}
    for key, value in params.items():
        if "." in key:
            part, _, name = key.partition(".")
            parts.setdefault(part, {})[name] = value
    for part, values in parts.items():
        setter = getattr(features, "set_part_params", None)
        if setter is None:
            raise ParameterError(f"{type(features).__name__} has no part {part!r}")
        setter(part, **values)
