"""The flat forest scores exactly as sklearn's IsolationForest (bit for bit)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

from telecom_nb.detectors import flat_forest
from telecom_nb.detectors.flat_forest import FlatForest


@pytest.mark.parametrize("params", [
    {},
    {"n_estimators": 7, "max_samples": 16},
    {"max_features": 0.5, "bootstrap": True},
    {"max_samples": 1.0},
])
@pytest.mark.parametrize("rows", [1, 9, 63, 64, 3000, 25_000])
def test_scores_equal_sklearn(params, rows):
    rng = np.random.default_rng(rows)
    train = rng.standard_t(3, size=(700, 6))
    train[:, 2] = np.round(train[:, 2])  # ties and repeated values
    forest = IsolationForest(random_state=1, **params).fit(train)
    x = rng.standard_t(3, size=(rows, 6)) * 2
    x[: rows // 3, 2] = np.round(x[: rows // 3, 2])  # inputs exactly on thresholds' sides
    assert np.array_equal(FlatForest.of(forest).score_samples(x), forest.score_samples(x))


def test_degenerate_trees_and_non_finite_inputs():
    forest = IsolationForest(random_state=0, n_estimators=5).fit(np.ones((50, 3)))
    flat = FlatForest.of(forest)  # every tree a single leaf
    x = np.zeros((4, 3))
    assert np.array_equal(flat.score_samples(x), forest.score_samples(x))
    forest = IsolationForest(random_state=0).fit(np.random.default_rng(0).normal(size=(300, 3)))
    x = np.array([[0.0, np.nan, 1.0], [np.inf, 0.0, 0.0], [0.1, 0.2, 0.3]])
    assert np.array_equal(FlatForest.of(forest).score_samples(x), forest.score_samples(x))


def test_without_numba_sklearn_scores(monkeypatch):
    forest = IsolationForest(random_state=0).fit(np.random.default_rng(0).normal(size=(300, 3)))
    monkeypatch.setattr(flat_forest, "numba", None)
    x = np.random.default_rng(1).normal(size=(50, 3))
    assert np.array_equal(FlatForest.of(forest).score_samples(x), forest.score_samples(x))


def test_repeated_input_scores_again_from_the_last_call():
    rng = np.random.default_rng(3)
    forest = IsolationForest(random_state=0, n_estimators=20).fit(rng.normal(size=(300, 3)))
    flat = FlatForest.of(forest)
    x = rng.normal(size=(200, 3))
    first = flat.score_samples(x)
    first[:] = 0.0  # the caller's copy: the remembered scores stay intact
    assert np.array_equal(flat.score_samples(x.copy()), forest.score_samples(x))
    y = x.copy()
    y[17, 1] += 5.0  # one value changed: scored afresh
    assert np.array_equal(flat.score_samples(y), forest.score_samples(y))
    assert np.array_equal(flat.score_samples(x), forest.score_samples(x))


def test_a_large_input_is_not_remembered(monkeypatch):
    from telecom_nb.detectors import flat_forest

    rng = np.random.default_rng(4)
    forest = IsolationForest(random_state=0, n_estimators=5).fit(rng.normal(size=(100, 3)))
    flat = FlatForest.of(forest)
    monkeypatch.setattr(flat_forest, "MEMO_ROWS", 50)
    small, large = rng.normal(size=(50, 3)), rng.normal(size=(51, 3))
    flat.score_samples(small)
    assert flat.last[0] is not None
    assert np.array_equal(flat.score_samples(large), forest.score_samples(large))
    assert flat.last[0] is None  # a live tick's batch: scored once, not kept


def test_float32_thresholds_take_the_same_branches():
    rng = np.random.default_rng(5)
    t = np.concatenate([rng.standard_normal(20_000) * 10.0 ** rng.integers(-30, 30, 20_000),
                        [0.0, -0.0, np.inf, 1e300, -1e300, 3.5e38, -3.5e38]])
    t32 = flat_forest.below32(t)
    assert t32.dtype == np.float32
    # the float32 inputs nearest each threshold, on both sides, and a few steps away
    with np.errstate(over="ignore"):
        near = t.astype(np.float32)
    xs = [near]
    for direction in (np.float32(np.inf), np.float32(-np.inf)):
        step = near
        for _ in range(2):
            step = np.nextafter(step, direction)
            xs.append(step)
    for x in xs:
        finite = np.isfinite(x)
        assert np.array_equal((x > t)[finite], (x > t32)[finite])


@pytest.mark.usefixtures("split_rows")  # from 24 rows: a 100k tick's level walk, in slices
@pytest.mark.parametrize("params", [{"n_estimators": 9}, {"n_estimators": 6, "max_samples": 2}])
def test_the_large_batches_level_walk_scores_as_sklearn(params):
    """Blocks of 256 rows and a part block, trees of one level (a root and two leaves) and
    leaves above the bottom: the level-by-level walk gives sklearn's numbers."""
    rng = np.random.default_rng(5)
    train = rng.standard_t(3, size=(300, 4))
    train[:, 1] = np.round(train[:, 1])
    forest = IsolationForest(random_state=2, **params).fit(train)
    x = rng.standard_t(3, size=(600, 4)) * 2
    x[:200, 1] = np.round(x[:200, 1])
    flat = FlatForest.of(forest)
    assert params.get("max_samples") != 2 or flat.depth == 1
    for t in range(len(flat.feature)):  # rows exactly on a root's or a child's threshold
        for node in range(min(2, flat.feature.shape[1])):
            rows = slice(300 + 20 * t + 10 * node, 310 + 20 * t + 10 * node)
            if np.isfinite(flat.threshold[t, node]):
                x[rows, flat.feature[t, node]] = flat.threshold[t, node]
    assert np.array_equal(flat.score_samples(x), forest.score_samples(x))
    single = FlatForest.of(IsolationForest(random_state=0, n_estimators=3).fit(np.ones((50, 4))))
    assert np.array_equal(single.score_samples(x), single.forest.score_samples(x))


@pytest.mark.parametrize("max_samples", [8, 16, 32, 256])  # depth 3 (no bits), 4, 5, 8
@pytest.mark.parametrize("columns", [5, 300])  # uint8 and int32 node features
def test_the_top_levels_read_as_bits_score_as_sklearn(max_samples, columns):
    """The level walk's first :data:`~flat_forest.TOP` levels, read as a word of bits per
    row, take sklearn's branches: rows exactly on each of those nodes' thresholds (go
    left) and just above them, trees as deep as the bits and deeper, a part block."""
    rng = np.random.default_rng(columns + max_samples)
    train = rng.standard_t(3, size=(400, columns))
    train[:, 0] = np.round(train[:, 0])
    forest = IsolationForest(random_state=3, n_estimators=5, max_samples=max_samples)
    forest.fit(train)
    flat = FlatForest.of(forest)
    assert flat.feature.dtype == (np.uint8 if columns <= 256 else np.int32)
    x = rng.standard_t(3, size=(700, columns)) * 2
    row = 0
    for t in range(len(flat.feature)):
        for node in range(min(flat_forest._TOP_NODES, flat.feature.shape[1])):
            if np.isfinite(flat.threshold[t, node]) and row + 2 <= len(x):
                at = flat.threshold[t, node]
                x[row, flat.feature[t, node]] = at
                x[row + 1, flat.feature[t, node]] = np.nextafter(at, np.float32(np.inf))
                row += 2
    assert row > 20
    assert np.array_equal(flat.score_samples(x), forest.score_samples(x))


@pytest.mark.skipif(flat_forest.numba is None, reason="the compiled walks need numba")
def test_the_level_walk_on_unsigned_nodes_sums_as_the_row_walk_on_a_live_sized_forest():
    """A live fleet's forest (256 samples, 34 columns) on a batch larger than the walk's
    blocks: the level walk (uint32 node numbers and bits, tick47) sums every row's path
    lengths exactly as the row walk does."""
    rng = np.random.default_rng(47)
    forest = IsolationForest(random_state=4, max_samples=256).fit(
        rng.standard_t(4, size=(2000, 34)))
    flat = FlatForest.of(forest)
    x = (rng.standard_t(4, size=(16_384, 34)) * 1.5).astype(np.float32)
    args = (flat.feature, flat.threshold, flat.value, flat.depth)
    rows, levels = np.zeros(len(x)), np.zeros(len(x))
    flat_forest._walk(x, *args, rows)
    flat_forest._walk_levels(x, *args, levels)
    assert np.array_equal(rows, levels)
