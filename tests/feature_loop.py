"""The per-row reference path of the feature pipeline, which the compiled passes must equal."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator

import numpy as np
import pandas as pd

from telecom_nb.engine.snapshot import capture
from telecom_nb.features.pipeline import KpiFeatures
from telecom_nb.features.series_fast import SeriesPass
from telecom_nb.features.view import BatchView


def loop_features(frame: pd.DataFrame, kpis: list[str],
                  **params) -> tuple[KpiFeatures, np.ndarray]:
    """Features of ``frame`` scored and learned one row at a time (the state, the rows)."""
    features, view = _prepared(frame, kpis, **params)
    return features, np.vstack(_looped(features, view, 0, len(frame)))


def _prepared(frame: pd.DataFrame, kpis: list[str], **params) -> tuple[KpiFeatures, BatchView]:
    """New features for ``kpis`` and ``frame``'s view, prepared for them."""
    features = KpiFeatures(kpis=kpis, **params)
    view = features.view(frame)
    features.prepare_view(view)
    return features, view


def _looped(features: KpiFeatures, view: BatchView, a: int, b: int) -> list[np.ndarray]:
    """Rows ``a:b`` of a prepared view scored and learned one row at a time (~2-10 ms a row:
    the reference the compiled passes must equal)."""
    rows = []
    for i in range(a, b):
        one = view.slice(i, i + 1)
        rows.append(features.transform_view(one))
        features.update_view(one)
    return rows


def loop_forked(frame: pd.DataFrame, other: pd.DataFrame, at: int, kpis: list[str],
                **params) -> tuple[KpiFeatures, np.ndarray, np.ndarray]:
    """:func:`loop_features`' state and rows of ``frame``, and of ``other`` (the same first ``at``
    rows, then others) from row ``at`` on, the shared rows looped once: what a feature
    computes never reads a later row (``test_features.py::test_no_look_ahead``), so the
    state after them is the same; the loop costs ~2 ms a row."""
    assert 0 <= at < len(frame), at
    features, view = _prepared(frame, kpis, **params)
    rows = _looped(features, view, 0, at)
    fork = copy.deepcopy(features)
    rows += _looped(features, view, at, len(frame))
    pd.testing.assert_frame_equal(frame.iloc[:at], other.iloc[:at])
    view = fork.view(other)
    fork.prepare_view(view)
    return features, np.vstack(rows), np.vstack(_looped(fork, view, at, len(other)))


def pass_forked(frame: pd.DataFrame, other: pd.DataFrame, at: int, kpis: list[str],
                **params) -> tuple[KpiFeatures, np.ndarray, np.ndarray]:
    """:func:`loop_forked`'s three results through the one-series pass (equal to the loop:
    ``test_series_kernel.py``, ``test_level_shift.py::test_one_series_pass_equals_the_loop``),
    a few hundred times cheaper than ~2 ms a row."""
    features, x = pass_features(frame.iloc[:at], kpis, [1, at], **params)
    fork = copy.deepcopy(features)
    rest = _run(features, frame, at, len(frame))
    pd.testing.assert_frame_equal(frame.iloc[:at], other.iloc[:at])
    return features, np.vstack([x, rest]), _run(fork, other, at, len(other))


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


def forked_batches(features, view: BatchView, other: BatchView, at: int
                   ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """:func:`by_timestamp`'s features of ``view``, and of ``other`` (a view of a table with
    the same rows before row ``at``, a timestamp's first) from row ``at`` on, continued
    from a copy of the state there: the shared batches are scored and learned once (no
    feature reads a later row: ``test_features.py::test_no_look_ahead``)."""
    out, fork = [], None
    if at == 0:
        fork = copy.deepcopy(features)
    for _, b, x in by_timestamp(features, view):
        out.append(x)
        if b == at:  # after this batch's learning, before the next one's scoring
            fork = copy.deepcopy(features)
    assert fork is not None, f"row {at} starts no timestamp"
    np.testing.assert_array_equal(view.raw[:at], other.raw[:at])
    return out, [x for *_, x in by_timestamp(fork, other.slice(at, len(other)))]


def pass_features(frame: pd.DataFrame, kpis: list[str], bounds: list[int],
                  **params) -> tuple[KpiFeatures, np.ndarray]:
    """The same through the one-series pass: the first row the ordinary way, then
    ``SeriesPass.run`` between consecutive ``bounds`` (from 1 to ``len(frame)``)."""
    features, view = _prepared(frame, kpis, **params)
    got = _looped(features, view, 0, 1)  # the first row the ordinary way
    series = SeriesPass.of(features, view)
    assert series is not None
    got += [series.run(a, b) for a, b in itertools.pairwise(bounds)]
    return features, np.vstack(got)


def pass_with_loop_windows(frame: pd.DataFrame, kpis: list[str], windows: list[tuple[int, int]],
                           **params) -> tuple[KpiFeatures, np.ndarray]:
    """:func:`pass_features` of ``frame`` (the pass resumed at every window's ends), each
    window's rows ``a:b`` also looped one row at a time from a copy of the pass's state at
    row ``a``: the looped rows must equal the pass's, and the looped state at ``b`` the
    pass's (every array of :func:`~telecom_nb.engine.snapshot.capture`). The ~2-5 ms a
    row of the loop is then paid only where a test's events are, not on the days between."""
    features, view = _prepared(frame, kpis, **params)
    got, at = _looped(features, view, 0, 1), 1  # the first row the ordinary way
    for a, b in [*windows, (len(frame), len(frame))]:
        assert at <= a <= b <= len(frame), (at, a, b)
        if at < a:
            got.append(_run(features, frame, at, a))
        if a == b:
            continue
        fork = copy.deepcopy(features)
        fork_view = fork.view(frame)
        fork.prepare_view(fork_view)
        looped = _looped(fork, fork_view, a, b)
        got.append(_run(features, frame, a, b))
        np.testing.assert_array_equal(got[-1], np.vstack(looped), err_msg=f"rows {a}:{b}")
        _assert_same_state(fork, features, f"the state after rows {a}:{b}")
        at = b
    return features, np.vstack(got)


def _run(features: KpiFeatures, frame: pd.DataFrame, a: int, b: int) -> np.ndarray:
    """Rows ``a:b`` of ``frame`` through the one-series pass from the state after row ``a``."""
    view = features.view(frame)
    features.prepare_view(view)
    series = SeriesPass.of(features, view)
    assert series is not None
    return series.run(a, b)


def _assert_same_state(looped: KpiFeatures, passed: KpiFeatures, what: str) -> None:
    for features in (looped, passed):  # derived from the cadence, set on every read
        if features.persistence_ is not None:
            features.persistence_.ratio = features._memory_ratio()
    tree, arrays = capture(looped, "features")
    other_tree, other_arrays = capture(passed, "features")
    assert tree == other_tree, what
    assert arrays.keys() == other_arrays.keys(), what
    for key, value in arrays.items():
        np.testing.assert_array_equal(value, other_arrays[key], err_msg=f"{what}: {key}")
