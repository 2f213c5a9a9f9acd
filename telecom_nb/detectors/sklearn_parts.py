"""The few sklearn helpers the fast forest's fit and walk use, without importing sklearn.

Importing sklearn's ensemble costs a run ~50-60 MiB of resident memory before any data
(rss39), though the compiled fit (:mod:`~.forest_fit`) and walk (:mod:`~.flat_forest`)
only draw random numbers and compute path lengths. These are the same operations on
numpy's legacy ``RandomState`` in the same order, so the draws and the float64 results
are bit for bit sklearn's (``tests/test_sklearn_parts.py`` compares them with sklearn's
own). sklearn is imported only where its estimators run (a fallback fit, the seed
baseline, LOF).
"""

from __future__ import annotations

import numbers
from functools import lru_cache
from importlib import metadata

import numpy as np

#: ``sklearn.ensemble._bagging.MAX_INT``: the bound of each tree's seed
MAX_INT = np.iinfo(np.int32).max


@lru_cache(maxsize=1)
def sklearn_version() -> str:
    """The installed scikit-learn's version, read from its metadata (no import);
    "" where it is not installed."""
    try:
        return metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:  # pragma: no cover - sklearn is a dependency
        return ""


def check_random_state(seed) -> np.random.RandomState:
    """``sklearn.utils.check_random_state``: None -> numpy's global RandomState, an int
    -> a new ``RandomState(seed)``, a RandomState -> itself."""
    if seed is None or seed is np.random:
        return np.random.mtrand._rand
    if isinstance(seed, numbers.Integral):
        return np.random.RandomState(seed)
    if isinstance(seed, np.random.RandomState):
        return seed
    raise ValueError(f"{seed!r} cannot be used to seed a numpy.random.RandomState instance")


def average_path_length(n_samples_leaf) -> np.ndarray:
    """sklearn's ``_average_path_length`` (the same elementwise operations) without its
    input validation: the average depth of an unsuccessful search in a tree of n."""
    n_samples_leaf = np.asarray(n_samples_leaf)
    shape = n_samples_leaf.shape
    n = n_samples_leaf.reshape((1, -1))
    out = np.zeros(n.shape)
    mask_1 = n <= 1
    mask_2 = n == 2
    not_mask = ~np.logical_or(mask_1, mask_2)
    out[mask_1] = 0.0
    out[mask_2] = 1.0
    out[not_mask] = (
        2.0 * (np.log(n[not_mask] - 1.0) + np.euler_gamma) - 2.0 * (n[not_mask] - 1.0) / n[not_mask]
    )
    return out.reshape(shape)


def sample_without_replacement(n_population: int, n_samples: int, random_state=None) -> np.ndarray:
    """``sklearn.utils.random.sample_without_replacement`` (method "auto"): the same
    draws from ``random_state`` in the same order, so the same int64 sample."""
    n_population, n_samples = int(n_population), int(n_samples)
    if n_population < 0:
        raise ValueError(f"n_population should be greater than 0, got {n_population}.")
    if n_samples > n_population:
        raise ValueError(
            "n_population should be greater or equal than n_samples, got "
            f"n_samples > n_population ({n_samples} > {n_population})"
        )
    rng = check_random_state(random_state)
    ratio = n_samples / n_population if n_population != 0 else 1.0
    if 0.01 < ratio < 0.99:
        return rng.permutation(n_population)[:n_samples]
    out = np.empty(n_samples, dtype=np.int64)
    randint = rng.randint
    if ratio < 0.2:  # tracking selection: the first n_samples distinct draws
        selected: set[int] = set()
        for i in range(n_samples):
            j = randint(n_population)
            while j in selected:
                j = randint(n_population)
            selected.add(j)
            out[i] = j
        return out
    out[:] = np.arange(n_samples)  # reservoir sampling
    for i in range(n_samples, n_population):
        j = randint(0, i + 1)
        if j < n_samples:
            out[j] = i
    return out
