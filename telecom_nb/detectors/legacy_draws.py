"""A young window's per-tree subsamples, as numpy's legacy ``RandomState`` draws them.

sklearn draws each tree's 256 rows of an n-row window (``0.01 < 256 / n < 0.99``) as
``RandomState(seed).permutation(n)[:256]``: a Fisher-Yates shuffle of all n rows through
numpy's legacy ``random_interval`` (~5.6 ns a row, ~110 us a tree at 19k rows). A young
series' window has a new size at every retrain, so these draws missed ``forest_fit``'s
cache at each of them: ~8 of a young retrain's ~26 ms on a 100k-row one series.
Here the same Mersenne Twister (numpy's ``mt19937_seed``, ``mt19937_gen`` and tempering)
and the same rejection rule run in one compiled loop for all trees: the same rows, bit
for bit (``tests/test_legacy_draws.py`` compares them with ``sample_without_replacement``
over many seeds and sizes). Without numba the caller keeps sklearn's own draws.
"""

from __future__ import annotations

import numpy as np

try:  # optional speed-up; the fallback is sklearn's draw
    import numba
except ImportError:  # pragma: no cover - exercised only where numba is missing
    numba = None

_N = 624  # MT19937's state words
_M = 397
_MASK32 = 0xFFFFFFFF


def _twist(key, out):  # pragma: no cover - compiled
    """numpy's ``mt19937_gen`` (the next 624 state words, in place), and the words'
    tempered outputs (``mt19937_next``) into ``out``.

    The state's loop in its three stretches: word i reads word i + 1 and word i + 397
    (or i - 227, already new), so with the indices plain each stretch compiles to vector
    steps (one loop with the wrap-around read per word: ~0.8 against ~0.33 us a twist, a
    quarter of a 19k-row window's draws)."""
    for i in range(_N - _M):  # words i + 1 and i + 397 not yet new
        y = (key[i] & 0x80000000) | (key[i + 1] & 0x7FFFFFFF)
        key[i] = key[i + _M] ^ (y >> 1) ^ ((y & 1) * 0x9908B0DF)
    for i in range(_N - _M, _N - 1):  # word i - 227 new (227 words back: vector steps)
        y = (key[i] & 0x80000000) | (key[i + 1] & 0x7FFFFFFF)
        key[i] = key[i + _M - _N] ^ (y >> 1) ^ ((y & 1) * 0x9908B0DF)
    y = (key[_N - 1] & 0x80000000) | (key[0] & 0x7FFFFFFF)  # the last reads new word 0
    key[_N - 1] = key[_M - 1] ^ (y >> 1) ^ ((y & 1) * 0x9908B0DF)
    for i in range(_N):
        y = key[i]
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        out[i] = y ^ (y >> 18)


def _heads(seeds, n, k, out):  # pragma: no cover - compiled
    """``out[t] = RandomState(seeds[t]).permutation(n)[:k]`` for every tree t."""
    key = np.empty(_N, dtype=np.int64)
    words = np.empty(_N, dtype=np.int64)
    x = np.empty(n, dtype=np.int64)
    for t in range(len(seeds)):
        s = seeds[t] & _MASK32  # numpy's mt19937_seed
        for p in range(_N):
            key[p] = s
            s = (1812433253 * (s ^ (s >> 30)) + p + 1) & _MASK32
        for p in range(n):
            x[p] = p
        # the legacy shuffle: for i = n-1 .. 1, j = random_interval(i) (a word masked to
        # i's bit length, drawn again while above i), then x[i] <-> x[j]; here one word a
        # step, branch-free: a rejected word swaps x[i] with itself and keeps i. The mask
        # (the smallest 2**b - 1 >= i) is constant while i stays above its half, so it is
        # set once a stretch, out of the step's chain (i -> mask -> j -> i: 19k-row window,
        # 100 trees, 5.7 -> 4.4 ms)
        i = n - 1
        mask = 1
        while mask < i:
            mask = 2 * mask + 1
        pos = _N  # the words are used up: twist first
        while i > 0:
            if pos == _N:
                _twist(key, words)
                pos = 0
            if i <= mask >> 1:  # i fell by one word at most: one bit at most
                mask >>= 1
            half = mask >> 1
            while pos < _N:
                j = words[pos] & mask
                pos += 1
                ok = j <= i
                j = j if ok else i
                a = x[j]
                x[j] = x[i]
                x[i] = a
                i -= ok
                if i <= half:  # the mask shrinks at the next word (or i is 0: done)
                    break
        for p in range(k):
            out[t, p] = x[p]


if numba is not None:
    _twist = numba.njit(cache=True, nogil=True)(_twist)
    _heads = numba.njit(cache=True, nogil=True)(_heads)


def permutation_applies(n_population: int, n_samples: int) -> bool:
    """Whether sklearn's ``sample_without_replacement`` (method "auto") draws these sizes
    as ``permutation(n_population)[:n_samples]`` (its ratio rule), and numba is here."""
    ratio = n_samples / n_population if n_population != 0 else 1.0
    return numba is not None and 0.01 < ratio < 0.99 and n_population <= _MASK32


def permutation_heads(seeds: np.ndarray, n: int, k: int) -> np.ndarray:
    """``trees x k``: row t is ``RandomState(seeds[t]).permutation(n)[:k]`` (each seed
    in ``[0, 2**32)``), the draw order kept."""
    seeds = np.asarray(seeds, dtype=np.int64)
    out = np.empty((len(seeds), k), dtype=np.int64)
    _heads(seeds, int(n), int(k), out)
    return out
