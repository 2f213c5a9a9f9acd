"""sklearn's isolation trees grown in one compiled pass: every tree of a fit in one call.

``IsolationForest.fit`` builds each tree with sklearn's Cython ``DepthFirstTreeBuilder``
and ``RandomSplitter``: ~75 us a 256-row tree plus Python around every tree, most of a
young series' retrain. :func:`grow_forest` follows those steps for the forest's
parameters (one feature drawn per split, ``min_samples_leaf=1``, ``min_samples_split=2``,
float32 inputs without missing values, squared-error criterion on the forest's random
targets) with the splitter's own generator (``our_rand_r``'s xorshift, seeded per tree as
sklearn seeds it), its constant-feature bookkeeping, its threshold rule, its in-place
partition and its float64 sums in the same order. So the nodes, their numbering (stack
order), thresholds, impurities and counts are sklearn's bit for bit
(``tests/test_tree_kernel.py`` compares every node array with sklearn's own fit).

The trees come out as :class:`~telecom_nb.detectors.flat_forest.FlatForest`'s heaps (the
scorer's layout) and, on request, as sklearn's node arrays (for the tests).
Written for sklearn 1.9 (``forest_fit.VERIFIED_SKLEARN``); other versions take sklearn's
own fit.
"""

from __future__ import annotations

import numba
import numpy as np

#: sklearn's ``RAND_R_MAX`` (``sklearn/tree/_utils.pxd``)
RAND_R_MAX = 2147483647
#: sklearn's ``FEATURE_THRESHOLD`` (a float32 constant): a smaller range is "constant"
FEATURE_THRESHOLD = np.float32(1e-7)
#: the builder's ``EPSILON`` (``_tree.pyx``): a node this pure is a leaf
EPSILON = np.finfo(np.float64).eps
#: sklearn's node numbers for "no child" and "no feature"
LEAF, UNDEFINED = -1, -2


@numba.njit(cache=True, nogil=True)
def _rand_r(state):  # pragma: no cover - compiled
    """sklearn's ``our_rand_r`` (32-bit xorshift) on a one-element int64 state."""
    s = state[0]
    if s == 0:
        s = 1  # DEFAULT_SEED
    s ^= (s << 13) & 0xFFFFFFFF
    s ^= s >> 17
    s ^= (s << 5) & 0xFFFFFFFF
    state[0] = s
    return s % (RAND_R_MAX + 1)


@numba.njit(cache=True, nogil=True)
def _left_sums(y, samples, start, end, pos, sum_total, wn_node):  # pragma: no cover
    """The criterion's ``reset(); update(pos)``: (sum_left, w_left, sum_right, w_right),
    summed from the nearer end as sklearn sums them."""
    if pos - start <= end - pos:
        sum_left, w_left = 0.0, 0.0
        for p in range(start, pos):
            sum_left += y[samples[p]]
            w_left += 1.0
    else:
        sum_left, w_left = sum_total, wn_node
        for p in range(end - 1, pos - 1, -1):
            sum_left -= y[samples[p]]
            w_left -= 1.0
    return sum_left, w_left, sum_total - sum_left, wn_node - w_left


@numba.njit(cache=True, nogil=True)
def _grow_tree(
    x,
    y,
    samples,
    features,
    constants,
    fv,
    state,
    max_depth,
    apl,
    t,
    h_feature,
    h_threshold,
    h_left,
    h_value,
    nodes,
    node_x,
    node_i,
    stack,
    s_imp,
):
    # pragma: no cover - compiled
    """One tree on ``samples`` (row positions in ``x``, the tree's gathered rows;
    permuted in place): sklearn's depth-first
    builder and random splitter. Writes the heaps' row ``t`` (and sklearn's node arrays
    when ``nodes`` has rows); returns (node count, deepest level)."""
    n_features = x.shape[1]
    m = len(samples)
    wn_samples = float(m)
    n_inner = h_feature.shape[1]  # 2**max_depth - 1
    keep_nodes = nodes.shape[0] > 0
    for j in range(n_features):
        features[j] = j
    stack[0, 0], stack[1, 0], stack[2, 0], stack[3, 0], stack[4, 0] = 0, m, 0, -1, 0
    stack[5, 0], stack[6, 0], s_imp[0] = 0, 0, np.inf
    top = 1
    node_count = 0
    depth_seen = -1
    first = True
    while top > 0:
        top -= 1
        start, end, depth = stack[0, top], stack[1, top], stack[2, top]
        parent, is_left, heap = stack[3, top], stack[4, top], stack[5, top]
        n_constant, impurity = stack[6, top], s_imp[top]
        n_node = end - start
        # node_reset: the criterion's sums over the node, in sample order
        sum_total, sq_total, wn_node = 0.0, 0.0, 0.0
        for p in range(start, end):
            yi = y[samples[p]]
            sum_total += yi
            sq_total += yi * yi
            wn_node += 1.0
        is_leaf = depth >= max_depth or n_node < 2
        if first:
            mean = sum_total / wn_node
            impurity = sq_total / wn_node - mean * mean
            first = False
        is_leaf = is_leaf or impurity <= EPSILON
        best_pos = end
        best_feature, best_threshold, best_go_left = 0, 0.0, False
        imp_left, imp_right, improvement = np.inf, np.inf, -np.inf
        if not is_leaf:
            # node_split_random with max_features = 1
            f_i = n_features
            n_found, n_drawn, n_known = 0, 0, n_constant
            n_total = n_known
            n_visited = 0
            while f_i > n_total and (n_visited < 1 or n_visited <= n_found + n_drawn):
                n_visited += 1
                f_j = n_drawn + _rand_r(state) % (f_i - n_found - n_drawn)
                if f_j < n_known:
                    features[n_drawn], features[f_j] = features[f_j], features[n_drawn]
                    n_drawn += 1
                    continue
                f_j += n_found
                feature = features[f_j]
                lo = x[samples[start], feature]
                hi = lo
                for p in range(start, end):
                    v = x[samples[p], feature]
                    fv[p] = v
                    if v < lo:
                        lo = v
                    elif v > hi:
                        hi = v
                if hi <= lo + FEATURE_THRESHOLD:
                    features[f_j] = features[n_total]
                    features[n_total] = feature
                    n_found += 1
                    n_total += 1
                    continue
                f_i -= 1
                features[f_i], features[f_j] = features[f_j], features[f_i]
                low, high = np.float64(lo), np.float64(hi)
                threshold = (high - low) * np.float64(_rand_r(state)) / RAND_R_MAX + low
                if threshold == high:
                    threshold = low
                a, b = start, end
                while a < b:  # the partitioner's in-place partition
                    if fv[a] <= threshold:
                        a += 1
                    else:
                        b -= 1
                        fv[a], fv[b] = fv[b], fv[a]
                        samples[a], samples[b] = samples[b], samples[a]
                if b - start < 1 or end - b < 1:
                    continue
                # the first non-constant feature is the only one evaluated: it is the best
                best_pos, best_feature, best_threshold = b, feature, threshold
                best_go_left = b - start > end - b
            if best_pos < end:
                sum_left, w_left, sum_right, w_right = _left_sums(
                    y, samples, start, end, best_pos, sum_total, wn_node
                )
                sq_left = 0.0
                for p in range(start, best_pos):
                    yi = y[samples[p]]
                    sq_left += yi * yi
                mean_left, mean_right = sum_left / w_left, sum_right / w_right
                imp_left = sq_left / w_left - mean_left * mean_left
                imp_right = (sq_total - sq_left) / w_right - mean_right * mean_right
                improvement = (wn_node / wn_samples) * (
                    impurity - (w_right / wn_node * imp_right) - (w_left / wn_node * imp_left)
                )
            for j in range(n_known):
                features[j] = constants[j]
            for j in range(n_known, n_total):
                constants[j] = features[j]
            n_constant = n_total
            is_leaf = best_pos >= end or improvement + EPSILON < 0.0
        node = node_count
        node_count += 1
        if keep_nodes:
            if parent >= 0:
                nodes[t, parent, 0 if is_left else 1] = node
            nodes[t, node, 3] = n_node
            node_x[t, node, 1] = impurity
            node_x[t, node, 2] = wn_node
            node_x[t, node, 3] = sum_total / wn_node
            if is_leaf:
                nodes[t, node, 0] = LEAF
                nodes[t, node, 1] = LEAF
                nodes[t, node, 2] = UNDEFINED
                node_x[t, node, 0] = UNDEFINED
            else:
                nodes[t, node, 2] = best_feature
                node_x[t, node, 0] = best_threshold
                node_i[t, node] = best_go_left
        if is_leaf:
            # the scorer's heap: a leaf's path length at its bottom-left descendant
            bottom = (heap + 1) * (1 << (max_depth - depth)) - 1 - n_inner
            h_value[t, bottom] = (np.float64(depth + 1) + apl[n_node]) - 1.0
        else:
            h_feature[t, heap] = best_feature
            h_threshold[t, heap] = best_threshold
            h_left[t, heap] = best_go_left
            stack[0, top], stack[1, top], stack[2, top] = best_pos, end, depth + 1
            stack[3, top], stack[4, top], stack[5, top] = node, 0, 2 * heap + 2
            stack[6, top], s_imp[top] = n_constant, imp_right
            top += 1
            stack[0, top], stack[1, top], stack[2, top] = start, best_pos, depth + 1
            stack[3, top], stack[4, top], stack[5, top] = node, 1, 2 * heap + 1
            stack[6, top], s_imp[top] = n_constant, imp_left
            top += 1
        if depth > depth_seen:
            depth_seen = depth
    return node_count, depth_seen


@numba.njit(cache=True, nogil=True)
def _grow_forest(
    x,
    y,
    rows,
    seeds,
    max_depth,
    apl,
    h_feature,
    h_threshold,
    h_left,
    h_value,
    nodes,
    node_x,
    node_i,
    counts,
    depths,
):  # pragma: no cover
    """Every tree: row ``t`` of ``rows`` its subsample, ``seeds[t]`` its splitter's
    ``rand_r_state``; scratch arrays shared by all trees. Each tree reads its own rows
    gathered in order (sklearn's ``X[rows]``: ~20 KB that stay in cache)."""
    m, n_features = rows.shape[1], x.shape[1]
    features = np.empty(n_features, dtype=np.int64)
    constants = np.empty(n_features, dtype=np.int64)
    fv = np.empty(m, dtype=np.float32)
    samples = np.empty(m, dtype=np.int64)
    state = np.empty(1, dtype=np.int64)
    xl = np.empty((m, n_features), dtype=np.float32)
    yl = np.empty(m)
    stack = np.empty((7, 2 * max_depth + 4), dtype=np.int64)  # depth + 2 records at most
    s_imp = np.empty(2 * max_depth + 4)
    for t in range(rows.shape[0]):
        for i in range(m):
            r = rows[t, i]
            xl[i] = x[r]
            yl[i] = y[r]
            samples[i] = i
        state[0] = seeds[t]
        counts[t], depths[t] = _grow_tree(
            xl,
            yl,
            samples,
            features,
            constants,
            fv,
            state,
            max_depth,
            apl,
            t,
            h_feature,
            h_threshold,
            h_left,
            h_value,
            nodes,
            node_x,
            node_i,
            stack,
            s_imp,
        )


def grow_forest(
    x: np.ndarray,
    y: np.ndarray,
    rows: np.ndarray,
    seeds: np.ndarray,
    max_depth: int,
    apl: np.ndarray,
    *,
    keep_nodes: bool = False,
) -> dict:
    """All trees of a fit: ``x`` the window (float32, finite), ``y`` sklearn's random
    targets for its rows, ``rows`` trees x subsample (each tree's rows, ascending),
    ``seeds`` each tree's splitter seed, ``apl`` sklearn's average path length of 0..m
    samples. Returns the heaps of ``max_depth`` levels (``feature``, float64 ``threshold``,
    ``missing_left``: where sklearn sends a NaN, ``value``), ``depth`` (the deepest tree's,
    at least 1) and with ``keep_nodes`` sklearn's node arrays per tree (``nodes``: left,
    right, feature, n_node_samples; ``node_x``: threshold, impurity, weighted count, value;
    ``missing_go_to_left``; ``node_count``)."""
    n_trees, m = rows.shape
    n_inner = 2**max_depth - 1
    h_feature = np.zeros((n_trees, n_inner), dtype=np.int32)
    h_threshold = np.full((n_trees, n_inner), np.inf)
    h_left = np.ones((n_trees, n_inner), dtype=np.uint8)
    h_value = np.zeros((n_trees, n_inner + 1))
    cap = 2 * m - 1 if keep_nodes else 0
    nodes = np.zeros((n_trees if keep_nodes else 0, cap, 4), dtype=np.int64)
    node_x = np.zeros((len(nodes), cap, 4))
    node_i = np.zeros((len(nodes), cap), dtype=np.uint8)
    counts = np.zeros(n_trees, dtype=np.int64)
    depths = np.zeros(n_trees, dtype=np.int64)
    _grow_forest(
        np.ascontiguousarray(x, dtype=np.float32),
        np.ascontiguousarray(y, np.float64),
        np.ascontiguousarray(rows, dtype=np.int64),
        np.asarray(seeds, np.int64),
        max_depth,
        np.asarray(apl, np.float64),
        h_feature,
        h_threshold,
        h_left,
        h_value,
        nodes,
        node_x,
        node_i,
        counts,
        depths,
    )
    out = {
        "feature": h_feature,
        "threshold": h_threshold,
        "missing_left": h_left,
        "value": h_value,
        "depth": max(1, int(depths.max(initial=0))),
    }
    if keep_nodes:
        out.update(nodes=nodes, node_x=node_x, missing_go_to_left=node_i, node_count=counts)
    return out
