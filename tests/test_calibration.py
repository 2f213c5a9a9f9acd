"""Calibrated scores: one threshold means the same across retrains and sample sizes."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import IsolationForest

from telecom_nb.detectors.calibration import MAX_SCORE, TailCalibrator
from telecom_nb.detectors.thresholding import effective_threshold, flag, threshold_for_rate


def test_tail_probability_is_monotone_finite_and_extrapolates():
    rng = np.random.default_rng(0)
    cal = TailCalibrator.fit(rng.normal(size=5000))
    raw = np.array([-10, -1, 0, 1, 2, 3, 5, 10, 1e9, np.nan])
    s = cal(raw)
    assert np.isfinite(s).all() and (s >= 0).all() and s.max() <= MAX_SCORE
    assert (np.diff(s[:-1]) >= 0).all()
    assert s[7] > s[6] > s[5]  # beyond the reference the order is kept
    # the exponential null is conservative for a Gaussian tail: P(N(0,1) >= 2) = 0.0228
    assert 0.0228 < 10 ** -s[4] < 0.1


def test_alarm_rate_on_clean_data_is_about_contamination_and_never_above():
    rng = np.random.default_rng(1)
    cal = TailCalibrator.fit(rng.gamma(2.0, size=20_000))
    fresh = cal(rng.gamma(2.0, size=200_000))
    for rate in (0.1, 0.01, 0.001):
        observed = flag(fresh, threshold_for_rate(rate)).mean()
        assert 0.2 * rate < observed <= 1.1 * rate
    assert effective_threshold(0.01, None) == 2.0 and effective_threshold(0.01, 3.0) == 3.0


def test_faults_in_the_window_barely_move_the_threshold():
    rng = np.random.default_rng(3)
    clean = rng.gamma(2.0, size=20_000)
    dirty = clean.copy()
    dirty[:1000] += rng.uniform(10, 30, 1000)  # 5 % of the window are faults
    grid = np.linspace(0, 40, 4001)
    at = [grid[np.argmax(TailCalibrator.fit(ref)(grid) >= 3.0)] for ref in (clean, dirty)]
    assert abs(at[1] - at[0]) < 0.2 * at[0]  # an empirical 99.9 % quantile would jump > 2x
    assert at[1] < np.quantile(dirty, 0.97)  # most faults of the window stay above it


def test_calibrated_score_stable_across_two_retrains():
    rng = np.random.default_rng(2)
    probe = np.vstack([rng.normal(size=(200, 5)), rng.normal(4, 1, size=(5, 5))])
    scores = []
    for seed in (10, 11):  # two retrains: new window, new forest
        window = np.random.default_rng(seed).normal(size=(4000, 5))
        model = IsolationForest(n_estimators=100, random_state=seed).fit(window)
        cal = TailCalibrator.fit(-model.score_samples(window))
        scores.append(cal(-model.score_samples(probe)))
    a, b = scores
    assert np.median(np.abs(a - b)) < 0.15
    assert (flag(a, 2.0) == flag(b, 2.0)).mean() > 0.97
    assert flag(a[-5:], 2.0).all() and flag(b[-5:], 2.0).all()
