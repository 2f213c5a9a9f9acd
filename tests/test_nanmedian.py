"""The one-sort column nanmedian gives numpy's numbers exactly (both of numpy's paths)."""

from __future__ import annotations

import warnings

import numpy as np

from telecom_nb.features.group_median import nanmedian_fast


def test_same_as_numpy_nanmedian():
    rng = np.random.default_rng(0)
    for _ in range(1500):
        n = int(rng.choice([2, 3, 4, 5, 10, 31, 599, 600, 601, 1000]))
        k = int(rng.integers(1, 6))
        block = rng.normal(size=(n, k)) * 10.0 ** rng.integers(-5, 5)
        if rng.random() < 0.3:
            block = np.round(block)  # ties
        block[rng.random((n, k)) < rng.random()] = np.nan
        block[0, 0] = np.nan  # the fast path is for blocks with NaN
        for value, p in ((np.inf, 0.2), (-np.inf, 0.2), (1.7e308, 0.05)):
            if rng.random() < p:
                block[rng.random((n, k)) < 0.05] = value
        if rng.random() < 0.1:
            block[:, -1] = np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanmedian(block, axis=0)
        np.testing.assert_array_equal(nanmedian_fast(block), expected)
