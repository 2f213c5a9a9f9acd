"""The fast IsolationForest fit builds sklearn's trees exactly (every node, every score)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

from telecom_nb.detectors import forest_fit
from telecom_nb.detectors.forest_fit import fast_fit_available, fit_isolation_forest


@pytest.mark.skipif(not fast_fit_available(), reason="sklearn version not verified")
@pytest.mark.parametrize(("rows", "cols", "seed", "trees"),
                         [(300, 3, 0, 100), (20_000, 12, 5, 100), (100, 1, 7, 100),
                          (5_000, 6, 123, 30), (2, 2, 1, 10), (700, 4, None, 20)])
def test_same_forest_as_sklearn(rows, cols, seed, trees):
    x = np.random.default_rng(seed).standard_t(3, size=(rows, cols))
    x[:: 7, 0] = 0.0  # ties
    if seed is None:  # the global RandomState: both fits draw the same numbers from it
        np.random.seed(11)
    ours = fit_isolation_forest(x, n_estimators=trees, random_state=seed)
    if seed is None:
        np.random.seed(11)
    ref = IsolationForest(n_estimators=trees, random_state=seed).fit(x)
    assert np.array_equal(ours._seeds, ref._seeds)
    for a, b in zip(ours.estimators_, ref.estimators_, strict=True):
        assert np.array_equal(a.tree_.__getstate__()["nodes"], b.tree_.__getstate__()["nodes"])
        assert np.array_equal(a.tree_.value, b.tree_.value)
        assert a.random_state == b.random_state
    for name in ("_average_path_length_per_tree", "_decision_path_lengths",
                 "estimators_features_"):
        assert all(np.array_equal(p, q) for p, q in
                   zip(getattr(ours, name), getattr(ref, name), strict=True))
    assert (ours._max_samples, ours.max_samples_, ours.offset_) == (
        ref._max_samples, ref.max_samples_, ref.offset_)
    query = np.random.default_rng(1).standard_t(3, size=(500, cols))
    query[0, 0] = np.nan  # sklearn's own scoring of the fitted forest, non-finite input
    np.testing.assert_array_equal(ours.score_samples(query), ref.score_samples(query))


@pytest.mark.skipif(not fast_fit_available(), reason="sklearn version not verified")
def test_reused_draws_still_give_sklearns_forest():
    """A full window has the same size and seed at every retrain: the kept draws serve
    new data (and another size or seed draws anew)."""
    for i, (rows, seed) in enumerate([(3000, 4), (3000, 4), (3001, 4), (3000, 5), (3000, 4)]):
        x = np.random.default_rng(i).standard_t(3, size=(rows, 5))
        ours = fit_isolation_forest(x, n_estimators=20, random_state=seed)
        ref = IsolationForest(n_estimators=20, random_state=seed).fit(x)
        for a, b in zip(ours.estimators_, ref.estimators_, strict=True):
            assert np.array_equal(a.tree_.__getstate__()["nodes"], b.tree_.__getstate__()["nodes"])
        np.testing.assert_array_equal(ours.score_samples(x), ref.score_samples(x))


@pytest.mark.skipif(not fast_fit_available(), reason="sklearn version not verified")
def test_draws_of_growing_windows_serve_the_next_series():
    """One series after another (NAB's files) retrains on the same growing window sizes
    from the same seed: the second series' fits reuse the first's draws (20 sizes kept),
    and its trees are the ones its own draws give."""
    forest_fit._draws.cache_clear()
    sizes = range(300, 1300, 50)  # 20 window sizes, as a young series' retrains
    data = [np.random.default_rng(i).standard_t(3, size=(1300, 4)) for i in range(2)]
    forests = [[fit_isolation_forest(x[:n], n_estimators=5, random_state=0) for n in sizes]
               for x in data]
    assert forest_fit._draws.cache_info().hits == len(sizes)
    ref = IsolationForest(n_estimators=5, random_state=0).fit(data[1][:1250])
    for a, b in zip(forests[1][-1].estimators_, ref.estimators_, strict=True):
        assert np.array_equal(a.tree_.__getstate__()["nodes"], b.tree_.__getstate__()["nodes"])
