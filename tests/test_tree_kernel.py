"""The compiled tree builder grows sklearn's isolation trees bit for bit: every node array
of every tree against ``IsolationForest.fit``'s own, and the scorer's heaps and scores
against ``FlatForest.of`` of sklearn's forest."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

from telecom_nb.detectors import forest_fit
from telecom_nb.detectors.flat_forest import FlatForest
from telecom_nb.detectors.forest_fit import fast_fit_available, fit_flat_forest

pytestmark = pytest.mark.skipif(not fast_fit_available(), reason="sklearn not verified")


def _data(kind: str, rows: int, cols: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_t(3, size=(rows, cols))
    if kind == "ties":  # few distinct values: equal thresholds, constant nodes
        x = np.round(x * 2) / 2
        x[::7, 0] = 0.0
    elif kind == "constant":  # whole constant columns, and one nearly so (< 1e-7)
        x[:, 0] = 1.25
        if cols > 2:
            x[:, 2] = 0.01 + (rng.random(rows) < 0.5) * 5e-8
    elif kind == "duplicated":  # every row four times: constant leaves above the bottom
        x = np.repeat(x[: max(1, rows // 4)], 4, axis=0)[:rows]
    return x


def _same_nodes(x: np.ndarray, trees: int, seed: int | None) -> None:
    """Every tree's node arrays (sklearn's ``Tree.__getstate__`` nodes and values)."""
    if seed is None:
        np.random.seed(17)
    grown, _, _ = forest_fit.grow(np.asarray(x, dtype=np.float32), trees, seed, keep_nodes=True)
    if seed is None:
        np.random.seed(17)
    ref = IsolationForest(n_estimators=trees, random_state=seed).fit(x)
    for t, est in enumerate(ref.estimators_):
        tree = est.tree_
        n = grown["node_count"][t]
        assert n == tree.node_count
        nodes, node_x = grown["nodes"][t, :n], grown["node_x"][t, :n]
        state = tree.__getstate__()["nodes"]
        assert np.array_equal(nodes[:, 0], state["left_child"])
        assert np.array_equal(nodes[:, 1], state["right_child"])
        assert np.array_equal(nodes[:, 2], state["feature"])
        assert np.array_equal(nodes[:, 3], state["n_node_samples"])
        assert np.array_equal(node_x[:, 0], state["threshold"])
        assert np.array_equal(node_x[:, 1], state["impurity"])
        assert np.array_equal(node_x[:, 2], state["weighted_n_node_samples"])
        assert np.array_equal(grown["missing_go_to_left"][t, :n], state["missing_go_to_left"])
        assert np.array_equal(node_x[:, 3], tree.value[:, 0, 0])


def _same_flat(x: np.ndarray, trees: int, seed: int | None) -> None:
    """The scorer's heaps and the scores, finite and not (NaN goes sklearn's way)."""
    ours = fit_flat_forest(x, n_estimators=trees, random_state=seed)
    forest = IsolationForest(n_estimators=trees, random_state=seed).fit(x)
    ref = FlatForest.of(forest)
    for name in ("feature", "threshold", "value"):
        a, b = getattr(ours, name), getattr(ref, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    assert (ours.depth, ours.n_features, ours.max_samples) == (
        ref.depth,
        ref.n_features,
        ref.max_samples,
    )
    query = np.random.default_rng(3).standard_t(3, size=(300, x.shape[1]))
    query = np.concatenate([query, x[:200]])
    assert np.array_equal(ours.score_samples(query), forest.score_samples(query))
    query[::5, 0] = np.nan
    query[1::5, -1] = np.inf
    query[2::5, -1] = -np.inf
    assert np.array_equal(ours.score_samples(query), forest.score_samples(query))


@pytest.mark.parametrize(
    ("kind", "rows", "cols", "seed", "trees"),
    [
        ("t", 300, 3, 0, 100),
        ("ties", 700, 4, 1, 60),
        ("constant", 500, 5, 2, 60),
        ("constant", 300, 1, 3, 30),
        ("duplicated", 400, 3, 4, 60),
        ("t", 1, 3, 5, 20),
        ("t", 2, 2, 6, 20),
        ("ties", 3, 2, 7, 20),
        ("t", 257, 6, 8, 50),
        ("t", 20_000, 12, 9, 40),
        ("t", 600, 60, 10, 40),
        ("ties", 500, 300, 11, 10),
        ("t", 900, 5, None, 30),
    ],
)
def test_every_node_array_is_sklearns(kind, rows, cols, seed, trees):
    _same_nodes(_data(kind, rows, cols, seed), trees, seed)


@pytest.mark.parametrize(
    ("kind", "rows", "cols", "seed", "trees"),
    [
        ("t", 300, 3, 0, 100),
        ("ties", 700, 4, 1, 60),
        ("constant", 500, 5, 2, 60),
        ("duplicated", 400, 3, 4, 60),
        ("t", 1, 3, 5, 20),
        ("t", 2, 2, 6, 20),
        ("t", 257, 6, 8, 50),
        ("t", 20_000, 12, 9, 40),
        ("ties", 500, 300, 11, 10),
    ],
)
def test_flat_forest_is_sklearns(kind, rows, cols, seed, trees):
    _same_flat(_data(kind, rows, cols, seed), trees, seed)


def test_many_random_inputs():
    """Random shapes, value sets and seeds: every node of every tree."""
    rng = np.random.default_rng(1921)
    for i in range(40):
        rows = int(rng.choice([1, 2, 3, 5, 40, 255, 256, 257, 1000, 3000]))
        cols = int(rng.integers(1, 9))
        levels = int(rng.choice([2, 3, 10, 1000]))
        x = rng.integers(0, levels, size=(rows, cols)) * rng.choice([1e-8, 0.5, 1.0, 1e6])
        x = x + rng.standard_normal((rows, cols)) * rng.choice([0.0, 0.0, 1e-3])
        _same_nodes(x, 10, i)


def test_non_finite_fit_is_sklearns_own():
    """A window beyond float32 (or with NaN) takes sklearn's fit: the same forest."""
    x = _data("t", 300, 3, 12)
    x[5, 1] = 1e39
    ours = fit_flat_forest(x, n_estimators=10, random_state=0)
    assert ours.forest is not None
    ref = IsolationForest(n_estimators=10, random_state=0).fit(x)
    query = _data("t", 50, 3, 13)
    assert np.array_equal(ours.score_samples(query), ref.score_samples(query))


def _unshift(value: int, shift: int) -> int:
    """The inverse of ``s ^= s << shift`` (``shift`` > 0) or ``s >> -shift`` on 32 bits."""
    out = value
    for _ in range(32):
        moved = (out << shift) & 0xFFFFFFFF if shift > 0 else out >> -shift
        out = value ^ moved
    return out


def _seed_before(state: int) -> int:
    """The splitter state one ``our_rand_r`` step before ``state``."""
    return _unshift(_unshift(_unshift(state, 5), -17), 13)


def test_rare_generator_rules():
    """Two of sklearn's rules no random input reaches (odds ~1 in 2**31): a threshold
    drawn equal to the node's max falls back to its min (the split stays), and a zero
    splitter seed runs as 1. Seeds crafted by inverting the xorshift."""
    x = np.array([[0.0], [1.0]], dtype=np.float32)
    y, rows, apl = np.array([0.2, 0.7]), np.array([[0, 1]]), forest_fit._path_lengths(2)
    # the second draw (the threshold's; the first picks the only column) is RAND_R_MAX
    seed = _seed_before(_seed_before(0x7FFFFFFF))
    grown = forest_fit.tree_kernel.grow_forest(x, y, rows, [seed], 1, apl, keep_nodes=True)
    assert grown["node_count"][0] == 3 and grown["node_x"][0, 0, 0] == 0.0
    x = np.random.default_rng(0).standard_normal((256, 3)).astype(np.float32)
    y, rows = np.random.default_rng(1).random(256), np.arange(256)[None]
    zero, one = (
        forest_fit.tree_kernel.grow_forest(
            x, y, rows, [s], 8, forest_fit._path_lengths(256), keep_nodes=True
        )
        for s in (0, 1)
    )
    assert np.array_equal(zero["node_x"], one["node_x"])
