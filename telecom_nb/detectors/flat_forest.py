"""sklearn's ``IsolationForest.score_samples``, bit for bit, from flattened trees.

sklearn walks one tree at a time over all rows through ``tree.apply`` and a joblib
call per tree; on 100k rows that is the single largest cost of a tick (~0.3 M rows/s).
Here every tree's nodes sit in a few contiguous arrays and one compiled loop (numba)
walks them, trees outer and rows inner, taking the branches sklearn takes (thresholds
as float32, :func:`below32`) and adding each tree's path length in the same order and
with the same float64 arithmetic as sklearn: the scores are identical
(``tests/test_flat_forest.py``). Without numba (or for inputs it does not cover:
non-finite values), the forest's own ``score_samples`` runs: same numbers, slower.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from telecom_nb.detectors.sklearn_parts import average_path_length
from telecom_nb.features import row_split

if TYPE_CHECKING:  # a forest comes fitted: sklearn is imported where it was fitted
    from sklearn.ensemble import IsolationForest

try:  # optional speed-up; the fallback is sklearn itself
    import numba
except ImportError:  # pragma: no cover - exercised only where numba is missing
    numba = None

#: inputs of at most this many rows are remembered with their scores (a retrain's window)
MEMO_ROWS = 50_000


#: rows walked side by side (:func:`_walk`'s eight named nodes): their independent chains
#: of loads overlap in the CPU
_GROUP = 8


def _walk(x, feature, threshold, value, depth, out):  # pragma: no cover
    """``out[i] += value[t, leaf(t, x[i])]`` for each tree t in order (sklearn's sum).

    Trees are complete binary heaps of ``depth`` levels: a fixed number of branch-free
    steps per row (a leaf above the bottom is padded with always-left nodes). Rows go
    ``_GROUP`` at a time so the CPU overlaps their dependent loads (~3x sklearn's walk);
    their nodes are eight named scalars, which stay in registers (an 8-element array
    went through memory at every step: the walk was ~8 % slower).
    """
    n = x.shape[0]
    n_inner = feature.shape[1]
    full = n - n % 8
    for t in range(feature.shape[0]):
        feat = feature[t]
        thr = threshold[t]
        val = value[t]
        for i0 in range(0, full, 8):
            a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0
            x0, x1, x2, x3 = x[i0], x[i0 + 1], x[i0 + 2], x[i0 + 3]
            x4, x5, x6, x7 = x[i0 + 4], x[i0 + 5], x[i0 + 6], x[i0 + 7]
            for _ in range(depth):
                a0 = 2 * a0 + 1 + (x0[feat[a0]] > thr[a0])
                a1 = 2 * a1 + 1 + (x1[feat[a1]] > thr[a1])
                a2 = 2 * a2 + 1 + (x2[feat[a2]] > thr[a2])
                a3 = 2 * a3 + 1 + (x3[feat[a3]] > thr[a3])
                a4 = 2 * a4 + 1 + (x4[feat[a4]] > thr[a4])
                a5 = 2 * a5 + 1 + (x5[feat[a5]] > thr[a5])
                a6 = 2 * a6 + 1 + (x6[feat[a6]] > thr[a6])
                a7 = 2 * a7 + 1 + (x7[feat[a7]] > thr[a7])
            out[i0] += val[a0 - n_inner]
            out[i0 + 1] += val[a1 - n_inner]
            out[i0 + 2] += val[a2 - n_inner]
            out[i0 + 3] += val[a3 - n_inner]
            out[i0 + 4] += val[a4 - n_inner]
            out[i0 + 5] += val[a5 - n_inner]
            out[i0 + 6] += val[a6 - n_inner]
            out[i0 + 7] += val[a7 - n_inner]
        for i in range(full, n):
            node = 0
            for _ in range(depth):
                node = 2 * node + 1 + (x[i, feat[node]] > thr[node])
            out[i] += val[node - n_inner]


#: from this many rows a batch takes :func:`_walk_levels` (same sums): ~7-10 % less CPU
#: than :func:`_walk` from ~50 rows on (a one-series window, a 500-row tick, 30-34
#: columns, 100 trees: ~0.60 against ~0.66 us a row); a few rows walk faster row by row
LEVEL_ROWS = 64

#: rows a large batch's walk takes at a time: 256 x 34 float32 (35 KB) stay in L1 while
#: every tree walks them
_BLOCK = 256

#: the top levels of every tree a large batch's walk reads as one word of bits per row
#: (:func:`_walk_levels`): their 2**TOP - 1 nodes' comparisons are contiguous vector
#: passes over the block's columns, deeper levels cost each row one dependent step more
#: than the level above's node count saves (a 20k-row one-series window, 100 trees of
#: depth 8, 30 columns: 11.0 ms walked level by level, 8.4-8.7 with 4 levels of bits,
#: 8.7-9.3 with 3, 9.0-9.4 with 5)
TOP = 4
_TOP_NODES = 2**TOP - 1


def _walk_levels(x, feature, threshold, value, depth, out):  # pragma: no cover
    """As :func:`_walk`, in blocks of :data:`_BLOCK` rows (each row's sum keeps the tree
    order, so the same numbers).

    A tree's first :data:`TOP` levels: every row's comparison at each of their nodes,
    one pass per node over a column of the block (transposed once per block, so the pass
    is contiguous and compiles to vector compares), kept as bit ``j`` of a word per row;
    the row's path through them then reads its bits (``2a + 1 + bit[a]``, no load). The
    deeper levels go level by level over the block's rows: a level's rows are independent,
    so the CPU overlaps as many of their loads as it can hold.

    Node numbers and bits are uint32: an unsigned index needs no negative-index
    wraparound in the compiled loads, and the bits' pass works on 32-bit lanes (a live
    100k tick's walk, 100 trees of depth 8, 34 columns: 67-85 -> 41-52 ms, tick47)."""
    n = x.shape[0]
    d = x.shape[1]
    u = np.uint32
    n_inner = u(feature.shape[1])
    # TOP and _TOP_NODES are compile-time constants: the path's steps unroll and the
    # bits' pass stays a vector loop (a depth read at run time made it ~15 % slower than
    # the plain level walk); shallower trees walk every level
    top = TOP if depth >= TOP else 0
    nodes = np.empty(_BLOCK, dtype=np.uint32)
    bits = np.empty(_BLOCK, dtype=np.uint32)
    xt = np.empty((d, _BLOCK), dtype=np.float32)
    for lo in range(0, n, _BLOCK):
        hi = min(n, lo + _BLOCK)
        m = hi - lo
        xb = x[lo:hi]
        if top:
            for i in range(m):
                for k in range(d):
                    xt[k, i] = xb[i, k]
        for t in range(feature.shape[0]):
            feat = feature[t]
            thr = threshold[t]
            val = value[t]
            if top:
                for i in range(m):
                    bits[i] = 0
                for j in range(_TOP_NODES):
                    col = xt[feat[j]]
                    tj = thr[j]
                    for i in range(m):
                        bits[i] |= u(col[i] > tj) << u(j)
                for i in range(m):
                    a = u(0)
                    b = bits[i]
                    for _ in range(TOP):
                        a = u(2) * a + u(1) + ((b >> a) & u(1))
                    nodes[i] = a
            else:
                for i in range(m):
                    nodes[i] = 0
            for _ in range(depth - top):
                for i in range(m):
                    a = nodes[i]
                    nodes[i] = u(2) * a + u(1) + u(xb[i, feat[a]] > thr[a])
            for i in range(m):
                out[lo + i] += val[nodes[i] - n_inner]


if numba is not None:
    _walk = numba.njit(cache=True, nogil=True)(_walk)
    _walk_levels = numba.njit(cache=True, nogil=True)(_walk_levels)


def compile_walks() -> None:
    """Compile the large batches' walk (the warm-up's fleets are too small to reach it)."""
    if numba is None:
        return
    feature = np.zeros((1, 1), dtype=np.uint8)
    threshold = np.full((1, 1), np.inf, dtype=np.float32)
    _walk_levels(np.zeros((1, 1), dtype=np.float32), feature, threshold, np.zeros((1, 2)), 1,
                 np.zeros(1))


@lru_cache(maxsize=16)
def _denominator(n_trees: int, max_samples: int) -> np.ndarray:
    """sklearn's ``n_trees * _average_path_length([max_samples])`` (a 1-element array,
    shared: read only)."""
    out = n_trees * average_path_length([max_samples])
    out.flags.writeable = False
    return out


def below32(threshold: np.ndarray) -> np.ndarray:
    """Each float64 threshold as the largest float32 at or below it.

    A float32 input ``x`` is above ``t`` exactly when it is above that float32: there is
    no float32 strictly between the two. The walk then compares float32 with float32
    (no conversion per step, half the bytes) and takes the same branches as sklearn.
    """
    t = np.asarray(threshold, dtype=np.float64)
    with np.errstate(over="ignore"):  # beyond float32's range: +-inf, then stepped down
        t32 = t.astype(np.float32)
    over = t32.astype(np.float64) > t
    t32[over] = np.nextafter(t32[over], np.float32(-np.inf))
    return t32


@dataclass(frozen=True)
class FlatForest:
    """A fitted IsolationForest's trees as complete heaps: ``trees x nodes`` arrays."""

    #: None: trees of several fits (:meth:`joined`) or grown by the compiled builder
    #: (``forest_fit.fit_flat_forest``)
    forest: IsolationForest | None
    feature: np.ndarray  # uint8 (int32 past 256 columns) trees x (2**depth - 1)
    threshold: np.ndarray  # float32 (see ``below32``), +inf below a leaf (always left)
    value: np.ndarray  # float64 trees x 2**depth: sklearn's per-leaf path length, minus 1
    depth: int
    n_features: int
    #: the last input (float32) and its scores: a retrain scores its window twice (the
    #: parts' calibration, then the combined score's), and that is most of its cost
    last: list = field(default_factory=lambda: [None], compare=False, repr=False)
    max_samples: int = 256  # each tree's subsample size (sklearn's ``_max_samples``)
    #: uint8 like ``threshold``: 1 where sklearn sends a NaN left (its bigger side; the
    #: padding always), so a forest without its sklearn object scores NaN as sklearn does
    #: (None: NaN reads as 0, :func:`_walk_numpy`)
    missing_left: np.ndarray | None = None

    @classmethod
    def of(cls, forest: IsolationForest) -> FlatForest:
        """Every tree laid out as a heap, all trees at once (one numpy pass per level)."""
        trees = [e.tree_ for e in forest.estimators_]
        depth = max(1, *(int(t.max_depth) for t in trees))
        n_inner = 2**depth - 1
        feature = np.zeros((len(trees), n_inner), dtype=np.int32)
        threshold = np.full((len(trees), n_inner), np.inf)
        value = np.zeros((len(trees), n_inner + 1))
        counts = np.array([t.node_count for t in trees])
        first = np.concatenate(([0], np.cumsum(counts)[:-1]))
        tree_of = np.repeat(np.arange(len(trees)), counts)
        shift = np.repeat(first, counts)
        left = np.concatenate([t.children_left for t in trees])
        right = np.concatenate([t.children_right for t in trees])
        node_feature = np.concatenate([t.feature for t in trees]).astype(np.int64)
        if forest._max_features != forest.n_features_in_:  # trees see a subset of columns
            cols = [np.asarray(c, dtype=np.int64) for c in forest.estimators_features_]
            node_feature = np.concatenate([c[f] if len(c) else f for c, f in zip(
                cols, np.split(node_feature, first[1:]), strict=True)])
        node_threshold = np.concatenate([t.threshold for t in trees])
        # exactly sklearn's per-tree term: (path length + average path length) - 1.0
        term = np.concatenate([d + a - 1.0 for d, a in zip(
            forest._decision_path_lengths, forest._average_path_length_per_tree, strict=True)])
        nodes, pos = first.copy(), np.zeros(len(trees), dtype=np.int64)
        for level in range(depth + 1):
            leaf = left[nodes] < 0
            # a leaf's value sits at its bottom-left descendant
            bottom = (pos[leaf] + 1) * 2 ** (depth - level) - 1
            value[tree_of[nodes[leaf]], bottom - n_inner] = term[nodes[leaf]]
            inner, at = nodes[~leaf], pos[~leaf]
            feature[tree_of[inner], at] = node_feature[inner]
            threshold[tree_of[inner], at] = node_threshold[inner]
            nodes = np.concatenate((left[inner] + shift[inner], right[inner] + shift[inner]))
            pos = np.concatenate((2 * at + 1, 2 * at + 2))
        n_features = int(forest.n_features_in_)
        if n_features <= 256:  # a byte per node: the walk's node arrays stay small
            feature = feature.astype(np.uint8)
        return cls(forest, feature, below32(threshold), value, depth, n_features,
                   max_samples=int(forest._max_samples))

    @classmethod
    def joined(cls, kept: dict, new: FlatForest) -> FlatForest:
        """The trees of ``kept`` (arrays as :func:`~.rolling_forest.kept_trees` takes them
        from a forest, same subsample size and columns) then ``new``'s: sklearn's score of
        the union of both forests' trees, in that order."""
        depth = max(int(kept["depth"]), new.depth)
        parts = [_deepened(kept["feature"], kept["threshold"], kept["value"],
                           int(kept["depth"]), depth),
                 _deepened(new.feature, new.threshold, new.value, new.depth, depth)]
        feature, threshold, value = (np.concatenate([p[i] for p in parts]) for i in range(3))
        return cls(None, feature, threshold, value, depth, new.n_features,
                   max_samples=new.max_samples)

    def score_samples(self, x: np.ndarray) -> np.ndarray:
        """``forest.score_samples(x)``: the same numbers (lower = more abnormal)."""
        x32 = np.ascontiguousarray(x, dtype=np.float32)  # sklearn compares float32 inputs
        if (numba is None or x32.ndim != 2 or x32.shape[1] != self.n_features
                or not np.isfinite(x32).all()):
            if self.forest is None:  # no sklearn object: the same walk in numpy
                return self._scores(_walk_numpy(x32, self.feature, self.threshold,
                                                self.value, self.depth, self.missing_left))
            return self.forest.score_samples(x)
        last = self.last[0]
        if last is not None and last[0].shape == x32.shape and np.array_equal(last[0], x32):
            return last[1].copy()
        depths = np.zeros(len(x32))
        walk = _walk_levels if len(x32) >= LEVEL_ROWS else _walk
        # a large batch's rows in slices over threads (row_split: each row alone, same sums)
        row_split.over_rows(len(x32), lambda lo, hi: walk(
            x32[lo:hi], self.feature, self.threshold, self.value, self.depth, depths[lo:hi]))
        scores = self._scores(depths)
        # one assignment: safe across threads; a live tick's batch is scored once (the
        # retrain's second pass reuses its fit's walk): 100k rows kept 14 MB for nothing
        self.last[0] = (x32, scores.copy()) if len(x32) <= MEMO_ROWS else None
        return scores

    def _scores(self, depths: np.ndarray) -> np.ndarray:
        """sklearn's last step, verbatim (its average path length once: ~0.3 ms of checks)."""
        denominator = _denominator(len(self.feature), self.max_samples)
        return -(2 ** (-np.divide(depths, denominator, out=np.ones_like(depths),
                                  where=denominator != 0)))


def _deepened(feature: np.ndarray, threshold: np.ndarray, value: np.ndarray, depth: int,
              to: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Heaps of ``depth`` levels as heaps of ``to``: the new levels always go left (+inf),
    each old leaf's value at its bottom-left descendant (where :meth:`FlatForest.of` puts
    a leaf above the bottom)."""
    if to == depth:
        return feature, threshold, value
    n = len(feature)
    f = np.zeros((n, 2**to - 1), dtype=feature.dtype)
    t = np.full((n, 2**to - 1), np.inf, dtype=threshold.dtype)
    v = np.zeros((n, 2**to))
    f[:, : 2**depth - 1] = feature
    t[:, : 2**depth - 1] = threshold
    v[:, :: 2 ** (to - depth)] = value
    return f, t, v


def _walk_numpy(x: np.ndarray, feature: np.ndarray, threshold: np.ndarray,
                value: np.ndarray, depth: int, missing_left: np.ndarray | None = None
                ) -> np.ndarray:
    """:func:`_walk` in numpy (no numba, or non-finite inputs): each row's path lengths
    summed tree by tree in order, as sklearn and the compiled walk sum them. A NaN goes
    where ``missing_left`` says (sklearn's side); without it, it reads as 0 (no
    deviation): joined heaps do not keep sklearn's side for a missing value."""
    nan = np.isnan(x)
    if missing_left is None:
        x, nan = np.where(nan, np.float32(0.0), x), np.zeros_like(nan)
    rows = np.arange(len(x))
    n_inner = feature.shape[1]
    out = np.zeros(len(x))
    for t in range(len(feature)):
        node = np.zeros(len(x), dtype=np.intp)
        for _ in range(depth):
            col = feature[t, node]
            right = x[rows, col] > threshold[t, node]
            if missing_left is not None:
                right = np.where(nan[rows, col], missing_left[t, node] == 0, right)
            node = 2 * node + 1 + right
        out += value[t, node - n_inner]
    return out
