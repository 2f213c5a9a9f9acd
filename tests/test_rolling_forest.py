"""The rolling forest: kept trees score as sklearn scores the union of the trees, a retrain
keeps the installed forest's newest trees, and a checkpoint refits the same forest."""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import IsolationForest

from telecom_nb import schema
from telecom_nb.detectors import flat_forest, make_detector
from telecom_nb.detectors.flat_forest import FlatForest, _deepened
from telecom_nb.detectors.rolling_forest import kept_trees, n_rebuilt, rolled_forest
from telecom_nb.engine.snapshot import capture, restore
from telecom_nb.errors import ParameterError


def _union(a: IsolationForest, keep: int, b: IsolationForest) -> IsolationForest:
    """sklearn's forest of ``a``'s last ``keep`` trees then all of ``b``'s."""
    out = copy.copy(b)
    out.estimators_ = a.estimators_[-keep:] + b.estimators_
    out.estimators_features_ = a.estimators_features_[-keep:] + b.estimators_features_
    out._decision_path_lengths = (tuple(a._decision_path_lengths[-keep:])
                                  + tuple(b._decision_path_lengths))
    out._average_path_length_per_tree = (tuple(a._average_path_length_per_tree[-keep:])
                                         + tuple(b._average_path_length_per_tree))
    out.n_estimators = keep + len(b.estimators_)
    return out


def _kept(forest: FlatForest, keep: int) -> dict:
    return kept_trees(forest, None, keep + 1, 1.0 / (keep + 1))


@pytest.mark.parametrize("shallow", [False, True])
def test_joined_trees_score_as_sklearn_scores_their_union(shallow):
    rng = np.random.default_rng(4)
    a = IsolationForest(n_estimators=12, random_state=1).fit(rng.standard_t(3, (900, 5)))
    train = rng.standard_t(3, (900, 5))
    if shallow:  # few distinct values: trees stop above the depth limit (a shallower heap)
        train = (train > 0).astype(float)  # binary columns: at most 5 levels
    b = IsolationForest(n_estimators=5, random_state=2).fit(train)
    flat_a, flat_b = FlatForest.of(a), FlatForest.of(b)
    if shallow:
        assert flat_b.depth < flat_a.depth
    x = rng.standard_t(3, (2000, 5)) * 2
    x[:300, 1] = np.round(x[:300, 1])
    joined = FlatForest.joined(_kept(flat_a, 7), flat_b)
    assert len(joined.feature) == 12
    assert np.array_equal(joined.score_samples(x), _union(a, 7, b).score_samples(x))


def test_a_deepened_heap_scores_the_same():
    rng = np.random.default_rng(5)
    forest = IsolationForest(n_estimators=9, random_state=0).fit(rng.normal(size=(400, 4)))
    flat = FlatForest.of(forest)
    f, t, v = _deepened(flat.feature, flat.threshold, flat.value, flat.depth, flat.depth + 2)
    deeper = FlatForest(forest, f, t, v, flat.depth + 2, flat.n_features)
    x = rng.normal(size=(500, 4)) * 3
    assert np.array_equal(deeper.score_samples(x), forest.score_samples(x))


def test_the_numpy_walk_equals_the_compiled_one(monkeypatch):
    rng = np.random.default_rng(6)
    a = IsolationForest(n_estimators=8, random_state=3).fit(rng.normal(size=(600, 3)))
    b = IsolationForest(n_estimators=4, random_state=4).fit(rng.normal(size=(600, 3)))
    joined = FlatForest.joined(_kept(FlatForest.of(a), 5), FlatForest.of(b))
    x = rng.normal(size=(300, 3)) * 2
    x[3] = [np.inf, -np.inf, 0.0]
    expected = _union(a, 5, b).score_samples(x)
    assert np.array_equal(joined.score_samples(x), expected)  # non-finite: numpy's walk
    monkeypatch.setattr(flat_forest, "numba", None)
    assert np.array_equal(joined.score_samples(x[:10]), expected[:10])


def test_rolled_forest_keeps_compatible_trees_only():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(1000, 4)).astype(np.float32)
    old = rolled_forest(x, None, None, n_estimators=10, random_state=0)
    kept = kept_trees(old, None, 10, 0.3)
    assert n_rebuilt(10, 0.3) == 3 and len(kept["feature"]) == 7
    new = rolled_forest(x[100:], kept, None, n_estimators=10, random_state=0)
    assert np.array_equal(new.threshold[:7], old.threshold[3:])
    assert not np.array_equal(new.threshold[7:], old.threshold[:3])
    # other columns, or a window under 256 rows (another subsample size): a new forest
    for args in [(x, kept, np.arange(4)), (x[:200], kept, None)]:
        again = rolled_forest(*args, n_estimators=10, random_state=0)
        fresh = rolled_forest(args[0], None, args[2], n_estimators=10, random_state=0)
        assert np.array_equal(again.threshold, fresh.threshold)
    assert kept_trees(old, None, 10, 1.0) is None


def _series(n: int = 1400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-03-02", periods=n, freq="15min", tz="UTC")
    t = np.arange(n) / 96.0
    value = 50 + 20 * np.sin(2 * np.pi * t) + rng.normal(0, 2, n)
    value[n // 2 : n // 2 + 6] += 120
    other = 10 + 3 * np.cos(2 * np.pi * t) + rng.normal(0, 1, n)
    return pd.DataFrame({schema.TIMESTAMP: ts, "value": value, "other": other})


def test_a_stream_keeps_trees_and_a_checkpoint_refits_the_same_forest():
    # scored and learned row by row: 5 fits, the last two rolled (626 rows: the first model
    # waits for 128 rows past the features' cold start, young42; with 530 rows 4 fits)
    frame = _series(n=626)
    params = {"kpis": ["value", "other"], "n_estimators": 20, "forest_refresh": 0.25}
    det = make_detector("iforest", **params)
    forests = []
    for i in range(len(frame)):
        batch = frame.iloc[i : i + 1]
        det.score(batch)
        job = det.learn(batch)
        if job is not None:
            job.run_sync()
            forests.append(det._fitted.model.forest)
    assert det.model_version_ >= 4
    # a retrain keeps trees when both windows hold 256 rows or more (same subsample size)
    rolled = [(a, b) for a, b in itertools.pairwise(forests)
              if a.max_samples == b.max_samples == 256]
    # retrains past 256 rows kept the newest 15 trees and fitted 5 (one of them on a
    # forest rolled before)
    assert len(rolled) >= 2
    for a, b in rolled:
        assert np.array_equal(b.threshold[:15], a.threshold[5:])
    # the stream's fast path learns the same forests
    fast = make_detector("iforest", **params)
    fast.score_stream(frame)
    assert np.array_equal(fast._fitted.model.forest.threshold, forests[-1].threshold)
    # a checkpoint keeps the fit's inputs (the kept trees as plain arrays) and refits
    tree, arrays = capture(det)
    again = restore(make_detector("iforest", **params), tree, arrays)
    mine, theirs = det._fitted.model.forest, again._fitted.model.forest
    for name in ("feature", "threshold", "value"):
        assert np.array_equal(getattr(mine, name), getattr(theirs, name))
    x = np.random.default_rng(0).normal(size=(50, mine.n_features))
    assert np.array_equal(mine.score_samples(x), theirs.score_samples(x))


def test_default_rebuilds_every_tree_and_the_parameter_is_validated():
    det = make_detector("iforest")
    assert det.forest_refresh == 1.0
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(ParameterError, match="forest_refresh"):
            det.set_params(forest_refresh=bad)
    assert det.forest_refresh == 1.0
    det.set_params(forest_refresh=0.25)
    assert det.get_params()["forest_refresh"] == 0.25
