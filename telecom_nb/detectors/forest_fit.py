"""sklearn's ``IsolationForest.fit``, the same trees, without its Python cost per tree.

A fit of 100 trees on 256-row subsamples spends most of its time in sklearn's per-tree
Python: cloning the tree estimator, validating its parameters (``inspect.signature``),
seeding three RandomStates and building the Cython builder objects through ``fit``.
One series retrains often while it is young, so on a NAB file that was the largest cost.
Here the same steps run in one loop with the same random draws in the same order: the
same seeds, the same subsample, the same splitter seed, the same Cython tree builder on
the same arrays. The forest that comes back is a fitted ``IsolationForest`` with identical
trees and scores (``tests/test_forest_fit.py`` compares every node array).

The detector's retrains take :func:`fit_flat_forest`: the same draws, and the trees grown
by the compiled :mod:`~telecom_nb.detectors.tree_kernel` straight into the scorer's
heaps (~20 us a 256-row tree against ~70 through sklearn's builder and objects); nothing
else reads the per-tree estimators (checkpoints refit from the fit's inputs).

Only for the sklearn versions this was checked against (private API); any other
version, or parameters other than ours, runs ``IsolationForest.fit`` itself.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from telecom_nb.detectors import legacy_draws, tree_kernel
from telecom_nb.detectors.flat_forest import FlatForest, below32
from telecom_nb.detectors.sklearn_parts import (
    MAX_INT,
    average_path_length,
    check_random_state,
    sample_without_replacement,
    sklearn_version,
)

if TYPE_CHECKING:  # sklearn is imported only where its own fit runs
    from sklearn.ensemble import IsolationForest

#: sklearn versions whose fit this reproduces (``major.minor``)
VERIFIED_SKLEARN = ("1.9",)


def fast_fit_available() -> bool:
    """Whether :func:`fit_isolation_forest` takes the fast path on this sklearn (its
    version from the package's metadata: importing sklearn costs ~50 MiB)."""
    version = ".".join(sklearn_version().split(".")[:2])
    return version in VERIFIED_SKLEARN


def fit_isolation_forest(x: np.ndarray, *, n_estimators: int = 100,
                         random_state: int | None = None) -> IsolationForest:
    """``IsolationForest(n_estimators=..., random_state=...).fit(x)``, the same forest."""
    from sklearn.ensemble import IsolationForest

    forest = IsolationForest(n_estimators=n_estimators, random_state=random_state)
    x = np.asarray(x)
    if not fast_fit_available() or x.ndim != 2 or len(x) < 1 or x.shape[1] < 1:
        return forest.fit(x)
    return _fit(forest, np.asarray(x, dtype=np.float32))


def fit_flat_forest(x: np.ndarray, *, n_estimators: int = 100,
                    random_state: int | None = None) -> FlatForest:
    """``FlatForest.of(IsolationForest(...).fit(x))``, the same arrays and scores: the
    trees grown by :mod:`~telecom_nb.detectors.tree_kernel` in one compiled call, straight
    into the scorer's heaps (no sklearn tree objects). sklearn's fit where this was not
    checked (another sklearn, non-finite inputs, no rows or columns)."""
    x = np.asarray(x)
    with np.errstate(over="ignore"):  # beyond float32: not finite, sklearn's own fit
        x32 = np.ascontiguousarray(x, dtype=np.float32) if x.ndim == 2 else x
    if (not fast_fit_available() or x.ndim != 2 or len(x) < 1 or x.shape[1] < 1
            or not np.isfinite(x32).all()):
        return FlatForest.of(fit_isolation_forest(x, n_estimators=n_estimators,
                                                  random_state=random_state))
    n_features = x32.shape[1]
    grown, max_depth, max_samples = grow(x32, n_estimators, random_state)
    depth = grown["depth"]
    feature, threshold, left, value = (grown[k] for k in (
        "feature", "threshold", "missing_left", "value"))
    if depth < max_depth:  # heaps of the deepest tree's levels, as ``FlatForest.of``
        inner = 2**depth - 1
        feature, threshold, left = feature[:, :inner], threshold[:, :inner], left[:, :inner]
        value = value[:, :: 2 ** (max_depth - depth)]
    if n_features <= 256:
        feature = feature.astype(np.uint8)
    return FlatForest(None, np.ascontiguousarray(feature), below32(threshold),
                      np.ascontiguousarray(value), depth, n_features,
                      max_samples=max_samples, missing_left=np.ascontiguousarray(left))


def grow(x32: np.ndarray, n_estimators: int, random_state: int | None, *,
         keep_nodes: bool = False) -> tuple[dict, int, int]:
    """:func:`~.tree_kernel.grow_forest` on the draws of :func:`_fit`, in its order (the
    global RandomState's too, for None): (the grown arrays, ``max_depth``,
    ``max_samples``). ``x32``: finite float32 rows x columns."""
    n_samples, n_features = x32.shape
    y = check_random_state(random_state).uniform(size=n_samples)
    max_samples = min(256, n_samples)
    max_depth = int(np.ceil(np.log2(max(max_samples, 2))))
    seeds = check_random_state(random_state).randint(MAX_INT, size=n_estimators)
    draws = _draws(seeds.astype(np.int64).tobytes(), n_features, n_samples, max_samples)
    grown = tree_kernel.grow_forest(x32, y, draws.rows, draws.splitter_seeds, max_depth,
                                    _path_lengths(max_samples), keep_nodes=keep_nodes)
    return grown, max_depth, max_samples


@functools.lru_cache(maxsize=8)
def _path_lengths(max_samples: int) -> np.ndarray:
    """sklearn's ``_average_path_length`` of 0..``max_samples`` samples (a leaf's count
    indexes it; read only)."""
    out = average_path_length(np.arange(max_samples + 1))
    out.setflags(write=False)
    return out


def _fit(forest: IsolationForest, x: np.ndarray) -> IsolationForest:
    """The steps of ``IsolationForest.fit`` -> ``BaseBagging._fit`` ->
    ``_parallel_build_estimators`` -> ``BaseDecisionTree._fit`` for our parameters
    (``max_samples='auto'``, no bootstrap, all features, no sample weight, one job)."""
    from sklearn.tree import ExtraTreeRegressor
    from sklearn.tree._classes import CRITERIA_REG, DENSE_SPLITTERS
    from sklearn.tree._tree import DepthFirstTreeBuilder, Tree

    n_samples, n_features = x.shape
    forest.n_features_in_ = n_features
    y = check_random_state(forest.random_state).uniform(size=n_samples)
    max_samples = min(256, n_samples)
    forest.max_samples_ = max_samples
    max_depth = int(np.ceil(np.log2(max(max_samples, 2))))
    rng = check_random_state(forest.random_state)
    forest._n_samples = n_samples
    forest.estimator_ = ExtraTreeRegressor(max_features=1, splitter="random",
                                           random_state=forest.random_state)
    forest.estimator_.max_depth = max_depth
    forest._max_samples = max_samples
    forest._max_features = n_features
    forest._sample_weight = None
    seeds = rng.randint(MAX_INT, size=forest.n_estimators)
    forest._seeds = seeds
    y2 = np.ascontiguousarray(np.reshape(y, (-1, 1)), dtype=np.float64)
    outputs = np.array([1], dtype=np.intp)
    # one RandomState re-seeded: ``RandomState(s)`` and ``.seed(s)`` give the same stream,
    # without drawing OS entropy for a throw-away default seed three times per tree
    rs = np.random.RandomState(0)
    estimators, features_list = [], []
    draws = _draws(seeds.astype(np.int64).tobytes(), n_features, n_samples, max_samples)
    for tree_seed, features, rows in zip(draws.tree_seeds, draws.features, draws.rows,
                                         strict=True):
        tree_seed = int(tree_seed)
        rs.seed(tree_seed)  # the tree's check_random_state(random_state)
        splitter = DENSE_SPLITTERS["random"](
            CRITERIA_REG["squared_error"](1, len(rows)), 1, 1, 0.0, rs, None)
        tree = Tree(n_features, outputs, 1)
        DepthFirstTreeBuilder(splitter, 2, 1, 0.0, max_depth, 0.0).build(
            tree, x[rows], y2[rows], np.ones(len(rows)), None)
        estimator = ExtraTreeRegressor(max_features=1, splitter="random",
                                       random_state=tree_seed, max_depth=max_depth)
        estimator.n_features_in_ = n_features
        estimator.n_outputs_ = 1
        estimator.max_features_ = 1
        estimator.tree_ = tree
        estimators.append(estimator)
        features_list.append(features)
    forest.estimators_ = estimators
    forest.estimators_features_ = features_list
    counts = [e.tree_.n_node_samples for e in estimators]
    lengths = np.split(average_path_length(np.concatenate(counts)),
                       np.cumsum([len(c) for c in counts])[:-1])
    forest._average_path_length_per_tree = tuple(lengths)
    forest._decision_path_lengths = tuple(e.tree_.compute_node_depths() for e in estimators)
    forest.offset_ = -0.5  # contamination="auto"
    return forest


#: fits whose draws are kept: a full window (a fleet's, a long series') has the same size
#: at every retrain, and one series after another (NAB's 31 files, a notebook's loop) fit
#: the same growing window sizes from the same seeds (NAB: 197 distinct of 384 fits; 4 kept
#: hit 1, 32 hit 166); an entry is ~210 KB (100 trees' 256 row numbers)
DRAWS_KEPT = 32


@dataclass(frozen=True)
class Draws:
    """A fit's random draws per tree, as sklearn makes them (read only: shared by the
    fits that hit :func:`_draws`'s cache)."""

    tree_seeds: np.ndarray  # each tree's ``random_state``
    features: tuple[np.ndarray, ...]  # each tree's columns (all of them, drawn in order)
    rows: np.ndarray  # trees x max_samples: each tree's subsample, ascending
    splitter_seeds: np.ndarray  # each tree's splitter ``rand_r_state`` (int64)


@functools.lru_cache(maxsize=DRAWS_KEPT)
def _draws(seeds: bytes, n_features: int, n_samples: int, max_samples: int) -> Draws:
    """Each tree's seed, columns, sorted subsample rows and splitter seed for the int64
    ``seeds``, drawn as sklearn draws them. Kept for the last :data:`DRAWS_KEPT` fits: the
    seeds come from ``random_state``, so the draws of a window size repeat (~50-250 us a
    tree for a 5k-20k row window, the legacy RandomState's permutation of the window's
    rows)."""
    seeds64 = np.frombuffer(seeds, dtype=np.int64)
    if legacy_draws.permutation_applies(n_samples, max_samples):
        # the subsamples of all trees in one compiled loop where sklearn permutes the rows
        # (the columns' draw, all of them, draws nothing: the rows' stream starts at the
        # seed), the rest as any window size draws it
        tree_seeds, features, splitter_seeds = _tree_draws(seeds, n_features)
        # sklearn weights all rows (1 if drawn, else 0) and its splitter keeps the drawn
        # ones in row order: the drawn rows alone, in row order, give the same tree
        # without a pass over every row of the window per tree
        rows = np.sort(legacy_draws.permutation_heads(seeds64, n_samples, max_samples), axis=1)
        rows.setflags(write=False)
        return Draws(tree_seeds, features, rows, splitter_seeds)
    rs = np.random.RandomState(0)  # re-seeded per tree, as in ``_fit``
    tree_seeds = np.empty(len(seeds64), dtype=np.int64)
    splitter_seeds = np.empty(len(seeds64), dtype=np.int64)
    rows = np.empty((len(seeds64), max_samples), dtype=np.int64)
    features = []
    for t, seed in enumerate(seeds64):
        rs.seed(seed)  # _set_random_states(estimator, seed)
        tree_seeds[t] = rs.randint(np.iinfo(np.int32).max)
        rs.seed(seed)  # _generate_bagging_indices(seed, ...)
        columns = sample_without_replacement(n_features, n_features, random_state=rs)
        indices = sample_without_replacement(n_samples, max_samples, random_state=rs)
        rows[t] = np.sort(indices)  # the drawn rows in row order (above)
        columns.setflags(write=False)
        features.append(columns)
        rs.seed(tree_seeds[t])  # the tree's RandomState: Splitter.init's first draw
        splitter_seeds[t] = rs.randint(0, tree_kernel.RAND_R_MAX)
    for a in (tree_seeds, rows, splitter_seeds):
        a.setflags(write=False)
    return Draws(tree_seeds, tuple(features), rows, splitter_seeds)


@functools.lru_cache(maxsize=DRAWS_KEPT)
def _tree_draws(seeds: bytes, n_features: int
                ) -> tuple[np.ndarray, tuple[np.ndarray, ...], np.ndarray]:
    """:class:`Draws`' tree seeds, columns and splitter seeds: they do not depend on the
    window's size, so a growing window's fits (each a new size: :func:`_draws` misses)
    draw them once (~14 us a tree of Python calls; the rows' permutation is drawn apart)."""
    rs = np.random.RandomState(0)
    seeds64 = np.frombuffer(seeds, dtype=np.int64)
    tree_seeds = np.empty(len(seeds64), dtype=np.int64)
    splitter_seeds = np.empty(len(seeds64), dtype=np.int64)
    features = []
    for t, seed in enumerate(seeds64):
        rs.seed(seed)
        tree_seeds[t] = rs.randint(np.iinfo(np.int32).max)
        rs.seed(seed)
        columns = sample_without_replacement(n_features, n_features, random_state=rs)
        columns.setflags(write=False)
        features.append(columns)
        rs.seed(tree_seeds[t])
        splitter_seeds[t] = rs.randint(0, tree_kernel.RAND_R_MAX)
    tree_seeds.setflags(write=False)
    splitter_seeds.setflags(write=False)
    return tree_seeds, tuple(features), splitter_seeds

