"""The declustered rows' sort taken from the window's gives numpy's masked sort exactly."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from telecom_nb.detectors import declustered as module
from telecom_nb.detectors.feature_tails import CLUSTER_GATE, FeatureTails
from telecom_nb.features.column_quantiles import SortedColumns

pytestmark = pytest.mark.skipif(module.numba is None, reason="needs numba")


def window(seed: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """|z|-like columns with ties, infinities and zeros; predecessors with NaN, a view of
    wider rows (as a fit's are)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_t(3, size=(rows, 9))
    x[:, 1] = np.round(x[:, 1], 1)  # many ties, some left out and some kept
    x[:, 2] = 0.0
    x[0, 3] = np.inf
    x[:, 4] = np.round(x[:, 4])  # a few values, long runs
    wide = np.empty((rows, 12))
    wide[:, :9] = rng.permutation(x)  # a predecessor: another row's value (a view)
    wide[rng.random(rows) < 0.1, :9] = np.nan
    wide[:, 5] = x[:, 5]  # every far row continues
    return x, wide[:, :9]


@pytest.mark.parametrize(("seed", "rows"), [(0, 3000), (1, 40), (2, 1), (3, 20_000)])
def test_the_sort_is_numpys_masked_sort(seed, rows):
    x, previous = window(seed, rows)
    a = np.abs(x, order="F")
    plain = SortedColumns(a, no_nan=True)
    gate = plain.quantile(CLUSTER_GATE)
    got, beyond, onsets = module.declustered(plain, a, previous, gate)
    with np.errstate(invalid="ignore"):
        going = np.abs(previous) > gate
        want = SortedColumns(np.where(going, np.nan, a))
        np.testing.assert_array_equal(beyond, (a > gate).sum(axis=0))
        np.testing.assert_array_equal(onsets, ((a > gate) & ~going).sum(axis=0))
    np.testing.assert_array_equal(got.count, want.count)
    assert got.ordered.tobytes(order="F") == np.asfortranarray(want.ordered).tobytes(order="F")


@pytest.mark.parametrize("seed", [4, 5])
def test_a_fit_is_the_same_with_and_without_the_kernel(seed, monkeypatch):
    x, previous = window(seed, 5000)
    fast = FeatureTails.fit(x, previous, free=True)
    monkeypatch.setattr(module, "numba", None)
    slow = FeatureTails.fit(x, previous, free=True)
    for field in dataclasses.fields(FeatureTails):
        assert getattr(fast, field.name).tobytes() == getattr(slow, field.name).tobytes(), field
