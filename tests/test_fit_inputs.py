"""A fit's inputs without the window's cold start: read from the oldest rows only as far
as the first warm one, the same rows as a pass over the whole window."""

import numpy as np
import pytest

from telecom_nb.detectors.fit_inputs import FIRST_BLOCK, FitInputs, cold_start


def _whole_window(window: np.ndarray) -> int:
    """The reference: every row read (the previous implementation)."""
    warm = (window != 0).any(axis=1)
    return int(np.argmax(warm)) if warm.any() else len(window)


@pytest.mark.parametrize("cold", [0, 1, FIRST_BLOCK - 1, FIRST_BLOCK, FIRST_BLOCK + 1,
                                  5 * FIRST_BLOCK, 5 * FIRST_BLOCK + 3, 2_999, 3_000])
def test_cold_start_as_a_pass_over_the_whole_window(cold):
    rng = np.random.default_rng(cold)
    window = rng.normal(size=(3_000, 7))
    window[rng.random(window.shape) < 0.5] = 0.0  # later all-0 rows stay in the count
    window[:cold] = 0.0
    if cold < len(window):
        window[cold] = 0.0
        window[cold, cold % 7] = np.nan if cold % 2 else -0.5  # NaN reads warm, as != 0
    assert cold_start(window) == _whole_window(window) == cold


def test_cold_start_of_no_rows_and_of_minus_zero():
    assert cold_start(np.zeros((0, 3))) == 0
    assert cold_start(np.full((10, 3), -0.0)) == 10


def test_warm_inputs_are_the_warm_rows_without_a_copy():
    rng = np.random.default_rng(3)
    window = rng.normal(size=(1_000, 4))
    window[:130] = 0.0
    previous = np.vstack([np.full((1, 4), np.nan), window[:-1]])
    inputs = FitInputs(window, {}, True, 1, previous, ((5, 0), (5, -1)))
    warm = inputs.warm(least=500)
    np.testing.assert_array_equal(warm.window, window[130:])
    np.testing.assert_array_equal(warm.previous, previous[130:])
    assert warm.rows == ((5, 130), (5, 129))  # names: the first warm row's
    # the fit's own snapshot: the warm rows are read in place, not copied
    assert np.shares_memory(warm.window, window) and np.shares_memory(warm.previous, previous)
    assert inputs.warm(least=871) is inputs  # too few warm rows left: all of them
    assert inputs.warm(least=870).window.shape == (870, 4)
