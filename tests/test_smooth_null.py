"""The smoothed-z part's null: held-out distances in chi-square units (smooth_null)."""

from __future__ import annotations

import numpy as np

from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.detectors.joint import JointDistance, bounded
from telecom_nb.detectors.smooth_null import ChiUnits, fit_smooth_part, held_out_distances


def _drifting(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """Bounded rows of ``k`` means whose centre wanders slowly (a service's latent drift)."""
    walk = np.cumsum(rng.normal(0.0, 0.05, size=(n, k)), axis=0)
    return bounded(walk + rng.normal(size=(n, k)))


def test_a_chi_square_distance_reads_as_its_own_tail_probability():
    """On scaled chi-square distances the units are -log10 of a uniform p: the share past
    t is 10^-t at the depths the part's null reads (an exponential read off the distance's
    shoulder called them commoner than they are)."""
    rng = np.random.default_rng(0)
    fit = ChiUnits.fit(3.0 * rng.chisquare(24, 200_000))
    assert abs(fit.dof - 24) < 1.0 and abs(fit.scale - 3.0) < 0.15
    units = fit(3.0 * rng.chisquare(24, 400_000))
    for t in (1.0, 2.0, 3.0):
        assert 0.8 < (units > t).mean() / 10.0**-t < 1.25
    shoulder = TailCalibrator.fit(3.0 * rng.chisquare(24, 200_000), heavy_tails=True)
    deep = shoulder.log_p(3.0 * rng.chisquare(24, 400_000))
    assert (deep > 3).mean() < 0.6e-3  # the old reading: conservative at depth


def test_held_out_distances_read_a_block_as_new_rows_are_read():
    """A window of 48 drifting means fits itself better than the rows that follow it; each
    block read under a fit on the others is as far as the next rows are, in sample not."""
    rng = np.random.default_rng(1)
    b = _drifting(rng, 4_800, 48)
    window, after = b[:4_000], b[4_000:]
    fitted = JointDistance.of_bounded(window, np.arange(48))
    new = np.median(fitted.bounded_distance(after))
    inside = np.median(fitted.bounded_distance(window))
    held = np.median(held_out_distances(window, np.arange(48)))
    assert new > 1.2 * inside
    assert abs(held / new - 1.0) < abs(inside / new - 1.0)
    short = b[:550]  # too few rows to leave a block out: in sample
    np.testing.assert_array_equal(
        held_out_distances(short, np.arange(48)),
        JointDistance.of_bounded(short, np.arange(48)).bounded_distance(short))


def test_the_part_is_fitted_on_held_out_units_and_reads_live_rows_in_them():
    rng = np.random.default_rng(2)
    b = _drifting(rng, 3_000, 24)
    kept = np.sort(rng.choice(3_000, 2_000, replace=False))
    distance, units, scores, null = fit_smooth_part(b, np.arange(24), kept, None)
    assert isinstance(units, ChiUnits) and scores.shape == (2_000,)
    np.testing.assert_allclose(scores, units(held_out_distances(b, np.arange(24))[kept]))
    live = units(distance.bounded_distance(b[:5])[:, None])  # rows x 1, as the model reads
    assert live.shape == (5,) and np.all(live >= 0)
    assert null.log_p(np.sort(scores)[-1:])[0] > null.log_p(np.median(scores, keepdims=True))[0]
