"""A retrain's refits computed once and shared give the numbers computed apart, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from telecom_nb.detectors.feature_tails import BODY_MASS, CLUSTER_GATE, TAIL_LEVELS, FeatureTails
from telecom_nb.detectors.forest_model import columns_of, forest_input
from telecom_nb.detectors.joint import JointDistance, bounded, fit_joint, median_rows
from telecom_nb.detectors.shift_part import MIN_SHIFT_ROWS


def _window(rows: int, seed: int, shift_share: float) -> np.ndarray:
    """z-like columns with ties at 0, a -0.0, NaN and infinities; the last 2 a level shift
    that is 0 outside ``shift_share`` of the rows."""
    rng = np.random.default_rng(seed)
    x = rng.standard_t(4, size=(rows, 8))
    x[rng.random(x.shape) < 0.2] = 0.0
    x[:, 1] = np.round(x[:, 1], 1)
    if rows > 3:
        x[0, 2], x[1, 2], x[2, 3], x[3, 3] = -0.0, np.nan, np.inf, -np.inf
    x[rng.random(rows) >= shift_share, 6:] = 0.0
    return x


@pytest.mark.parametrize("rows", [1, 2, 3, 10, 1001, 4000])
def test_median_rows_is_numpys_median(rows):
    x = bounded(_window(rows, 1921 + rows, 0.5))
    x[:, 4] = 0.0  # a column all ties
    assert median_rows(x).tobytes() == np.median(x, axis=0).tobytes()


@pytest.mark.parametrize("share", [0.9, 0.01])  # the shift columns read, or too few rows
def test_joint_fit_from_the_bounded_window_is_the_fit_and_distance_apart(share):
    window = _window(3 * MIN_SHIFT_ROWS, 1922, share)
    columns, shift = np.arange(4), np.array([6, 7])
    joint, b = fit_joint(window, columns, shift)
    has = (window[:, shift] != 0).any(axis=1)
    rows, both = (has, np.r_[columns, shift]) if has.sum() >= MIN_SHIFT_ROWS else (
        slice(None), columns)
    apart = JointDistance.fit(window[rows], both)
    assert np.array_equal(joint.columns, apart.columns)
    assert joint.center.tobytes() == apart.center.tobytes()
    assert joint.precision.tobytes() == apart.precision.tobytes()
    assert b.tobytes() == bounded(window[:, joint.columns]).tobytes()
    assert joint.bounded_distance(b).tobytes() == apart.distance(window).tobytes()
    kept = np.random.default_rng(1).choice(len(window), 500, replace=False)
    assert joint.bounded_distance(b[kept]).tobytes() == apart.distance(window[kept]).tobytes()


@pytest.mark.parametrize("columns", [np.arange(5), np.array([0, 2, 3, 6]), None])
def test_forest_columns_are_read_row_major_with_the_same_values(columns):
    window = _window(300, 1923, 0.5)
    got = columns_of(window, columns)
    want = window if columns is None else window[:, columns]
    assert got.strides[1] == got.itemsize  # bounded32 reads it in place: no second copy
    assert np.array_equal(got, want, equal_nan=True)
    assert forest_input(got).tobytes() == forest_input(want).tobytes()


def test_feature_tails_count_the_kept_rows_of_the_declustered_window():
    """Each level's base is ln(0.25 kept / count) with ``kept`` the rows neither NaN nor
    continuing a cluster (read from the sort of those rows)."""
    rng = np.random.default_rng(1924)
    x = np.abs(rng.standard_t(3, size=(6000, 5)))
    x[:, 1] = np.round(x[:, 1], 1)
    previous = np.roll(x, 1, axis=0)
    previous[rng.random(previous.shape) < 0.1] = np.nan  # no predecessor
    x[rng.random(len(x)) < 0.1, 3] = np.nan  # NaN rows: numpy's NaN gate, nothing left out
    x[:3000, 4] = np.nan
    tails = FeatureTails.fit(x, previous)
    gate = np.quantile(x, CLUSTER_GATE, axis=0)
    with np.errstate(invalid="ignore"):
        ref = np.where(np.abs(previous) > gate, np.nan, x)
        kept = (~np.isnan(ref)).sum(axis=0)
        for k in range(len(TAIL_LEVELS)):
            count = (ref > tails.start[k]).sum(axis=0)
            fit = np.isfinite(tails.base[k])  # the deep levels: too few rows at 6,000
            assert fit.all() or k > 0
            np.testing.assert_array_equal(
                tails.base[k][fit], np.log(BODY_MASS * kept / np.maximum(count, 1))[fit])
