"""The per-row reference path of the feature pipeline, which the compiled passes must equal."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pandas as pd

from telecom_nb.features.pipeline import KpiFeatures
from telecom_nb.features.series_fast import SeriesPass
from telecom_nb.features.view import BatchView


def loop_features(frame: pd.DataFrame, kpis: list[str],
                  **params) -> tuple[KpiFeatures, np.ndarray]:
    """Features of ``frame`` scored and learned one row at a time (the state, the rows)."""
    features = KpiFeatures(kpis=kpis, **params)
    view = features.view(frame)
    features.prepare_view(view)
    rows = []
    for i in range(len(frame)):
        one = view.slice(i, i + 1)
        rows.append(features.transform_view(one))
        features.update_view(one)
    return features, np.vstack(rows)


def by_timestamp(features: KpiFeatures, view: BatchView
                 ) -> Iterator[tuple[int, int, np.ndarray]]:
    """A prepared view scored and learned one timestamp's batch at a time, as live: yields
    each batch's rows ``a:b`` and its features."""
    bounds = np.r_[0, np.flatnonzero(np.diff(view.timestamps.asi8)) + 1, len(view.timestamps)]
    for a, b in itertools.pairwise(bounds):
        one = view.slice(a, b)
        x = features.transform_view(one)
        features.update_view(one)
        yield a, b, x


def pass_features(frame: pd.DataFrame, kpis: list[str], bounds: list[int],
                  **params) -> tuple[KpiFeatures, np.ndarray]:
    """The same through the one-series pass: the first row the ordinary way, then
    ``SeriesPass.run`` between consecutive ``bounds`` (from 1 to ``len(frame)``)."""
    features = KpiFeatures(kpis=kpis, **params)
    view = features.view(frame)
    features.prepare_view(view)
    first = view.slice(0, 1)
    got = [features.transform_view(first)]
    features.update_view(first)
    series = SeriesPass.of(features, view)
    assert series is not None
    got += [series.run(a, b) for a, b in itertools.pairwise(bounds)]
    return features, np.vstack(got)
