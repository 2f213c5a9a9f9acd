"""The radix sort of a calibrator's reference gives numpy's sorted finite values, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.features import radix_sort
from telecom_nb.features.radix_sort import RADIX_ROWS, sorted_finite


def numpys(x: np.ndarray) -> np.ndarray:
    s = np.sort(np.asarray(x, dtype=np.float64))
    return s[np.isfinite(s)]


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and np.array_equal(a.view(np.int64), b.view(np.int64))


def blocks(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [
        rng.normal(size=n),
        np.abs(rng.standard_cauchy(n)),  # heavy tail: many exponents
        0.4 + 0.2 * rng.random(n),  # a forest's raw scores: one exponent, top bytes shared
        np.zeros(n),  # every byte shared
        np.full(n, -3.5),
        rng.integers(-3, 4, n).astype(np.float64),  # ties across the sign
        np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
        np.where(rng.random(n) < 0.2, np.inf, -rng.random(n)),
        np.where(rng.random(n) < 0.1, -np.inf, rng.random(n) * 1e-310),  # subnormals
        np.full(n, np.nan),
        np.r_[np.finfo(np.float64).max, -np.finfo(np.float64).max,
              np.finfo(np.float64).tiny, 5e-324, -5e-324, rng.normal(size=max(n - 5, 0))],
    ]


@pytest.mark.parametrize("n", [0, 1, RADIX_ROWS - 1, RADIX_ROWS, RADIX_ROWS + 1, 3000, 20_000])
def test_sorted_finite_is_numpys_sort_without_nan_and_infinities(n):
    for seed in (0, 1):
        for x in blocks(n, seed):
            assert same_bits(sorted_finite(x), numpys(x))


def test_the_kernel_sorts_itself_and_hands_a_negative_zero_to_numpy():
    if radix_sort._radix is None:
        pytest.skip("no numba")
    x = np.random.default_rng(2).normal(size=5000)
    ok, out = radix_sort._radix(x)  # the compiled path itself, not numpy's fallback
    assert ok and same_bits(out, np.sort(x))
    x[[7, 70]] = [-0.0, 0.0]
    assert not radix_sort._radix(x)[0]
    assert same_bits(sorted_finite(x), numpys(x))


def test_calibrator_reference_is_numpys_sorted_finite_scores():
    rng = np.random.default_rng(3)
    raw = np.abs(rng.standard_t(3, size=20_000))
    raw[rng.random(raw.shape) < 0.01] = np.nan
    cont = rng.random(raw.shape) < 0.3
    null = TailCalibrator.fit(raw, heavy_tails=True, continues=cont)
    assert same_bits(null.reference, numpys(raw[~cont]))


@pytest.mark.parametrize("n", [1, RADIX_ROWS - 1, RADIX_ROWS, 3000, 20_000])
def test_sorted_rows_are_numpys_with_infinities_kept(n):
    """``sort_rows`` sorts the listed rows in place as ``row.sort()`` does (infinities kept,
    subnormals, ties, constant rows); a row holding a NaN or a ``-0.0`` and every row
    after it go to numpy; the rows not listed are left as they were."""
    for seed in (0, 1):
        rows = [x for x in blocks(n, seed) if len(x) == n and not np.isnan(x).any()]
        rows.append(np.abs(np.random.default_rng(seed).standard_t(3, n)))  # a fit's |z|
        block = np.stack(rows)
        block[0, n // 2] = np.inf
        block[2, 0] = -np.inf
        want = block.copy()
        listed = np.arange(0, len(block), 2)
        for j in listed:
            want[j].sort()
        got = block.copy()
        radix_sort.sort_rows(got, listed)
        assert got.tobytes() == want.tobytes()
    x = np.random.default_rng(4).normal(size=(4, max(n, 2)))
    x[1, 1], x[2, 0] = -0.0, np.nan
    want = np.sort(x, axis=1)
    radix_sort.sort_rows(x, np.arange(4))
    assert x.tobytes() == want.tobytes()


def test_the_row_kernel_sorts_itself_and_stops_at_a_nan_or_a_negative_zero():
    if radix_sort._radix_rows is None:
        pytest.skip("no numba")
    x = np.abs(np.random.default_rng(5).standard_t(3, size=(3, 5000)))
    x[0, 10] = np.inf
    want = np.sort(x, axis=1)
    assert radix_sort._radix_rows(x, np.arange(3)) == 3  # the compiled path itself
    assert x.tobytes() == want.tobytes()
    x[1, 7], x[2, 9] = -0.0, np.nan
    assert radix_sort._radix_rows(x, np.array([0, 1, 2])) == 1
    assert radix_sort._radix_rows(x, np.array([2])) == 0
