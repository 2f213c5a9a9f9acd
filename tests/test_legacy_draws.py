"""A young window's per-tree subsamples drawn in one compiled loop: sklearn's rows exactly."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.random import sample_without_replacement

from telecom_nb.detectors import forest_fit, legacy_draws

pytestmark = pytest.mark.skipif(legacy_draws.numba is None, reason="numba not installed")


def _sklearn(seeds: np.ndarray, n: int, k: int, columns: int = 7) -> np.ndarray:
    """The draws as ``forest_fit._draws`` asked sklearn for them (columns first)."""
    rs, out = np.random.RandomState(0), []
    for seed in seeds:
        rs.seed(seed)
        sample_without_replacement(columns, columns, random_state=rs)
        out.append(sample_without_replacement(n, k, random_state=rs))
    return np.array(out)


@pytest.mark.parametrize("n", [259, 300, 511, 512, 513, 1024, 1025, 4097, 19_999, 25_599])
def test_heads_are_sklearns_rows(n):
    # powers of two move the rejection mask; 25,599 is the last size sklearn permutes
    seeds = np.random.RandomState(n).randint(np.iinfo(np.int32).max, size=12)
    seeds[0] = 0
    assert legacy_draws.permutation_applies(n, 256)
    np.testing.assert_array_equal(
        legacy_draws.permutation_heads(seeds, n, 256), _sklearn(seeds, n, 256)
    )


def test_the_ratio_rule_is_sklearns():
    # outside 0.01 < k / n < 0.99 sklearn samples otherwise: the fast path stays out
    assert not legacy_draws.permutation_applies(258, 256)
    assert not legacy_draws.permutation_applies(25_600, 256)
    assert not legacy_draws.permutation_applies(34, 34)
    assert legacy_draws.permutation_applies(25_599, 256)


def test_draws_equal_with_and_without_the_compiled_heads(monkeypatch):
    seeds = np.random.RandomState(3).randint(np.iinfo(np.int32).max, size=20)
    key = seeds.astype(np.int64).tobytes()
    forest_fit._draws.cache_clear()
    fast = forest_fit._draws(key, 5, 3_000, 256)
    forest_fit._draws.cache_clear()
    monkeypatch.setattr(legacy_draws, "permutation_applies", lambda n, k: False)
    slow = forest_fit._draws(key, 5, 3_000, 256)
    forest_fit._draws.cache_clear()
    for name in ("tree_seeds", "rows", "splitter_seeds"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name))
    assert all(np.array_equal(a, b) for a, b in zip(fast.features, slow.features, strict=True))


def test_growing_windows_draw_the_trees_seeds_and_columns_once(monkeypatch):
    """Each young window size misses ``_draws``' cache; the tree seeds, columns and
    splitter seeds (the same for every size) are drawn once, and each size's draws are
    the per-tree loop's."""
    seeds = np.random.RandomState(4).randint(np.iinfo(np.int32).max, size=8)
    key = seeds.astype(np.int64).tobytes()
    forest_fit._draws.cache_clear()
    forest_fit._tree_draws.cache_clear()
    fast = [forest_fit._draws(key, 6, n, 256) for n in (700, 900, 1100)]
    assert forest_fit._tree_draws.cache_info().misses == 1
    assert forest_fit._tree_draws.cache_info().hits == 2
    forest_fit._draws.cache_clear()
    monkeypatch.setattr(legacy_draws, "permutation_applies", lambda n, k: False)
    for n, got in zip((700, 900, 1100), fast, strict=True):
        slow = forest_fit._draws(key, 6, n, 256)
        for name in ("tree_seeds", "rows", "splitter_seeds"):
            np.testing.assert_array_equal(getattr(got, name), getattr(slow, name))
        assert all(np.array_equal(a, b) for a, b in zip(got.features, slow.features, strict=True))
    forest_fit._draws.cache_clear()
