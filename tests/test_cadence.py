"""The cadence's step: numpy's median gap, in plain Python (the same int)."""

from __future__ import annotations

from collections import deque

import numpy as np

from telecom_nb.features.cadence import Cadence, _median_gap


def test_the_median_gap_is_numpys_through_float64():
    rng = np.random.default_rng(2089)
    for n in range(2, 18):  # odd and even gap counts, up to the 16 the memory holds
        for scale in (1, 10**9, 900 * 10**9, 2**54 + 1):  # beyond 2**53: float rounding
            gaps = [
                int(g) * scale + int(o)
                for g, o in zip(rng.integers(1, 5, n - 1), rng.integers(0, 999, n - 1), strict=True)
            ]
            times = deque([int(rng.integers(0, 2**30))], maxlen=17)
            for g in gaps:
                times.append(times[-1] + g)
            if times[-1] >= 2**63:
                continue
            assert _median_gap(times) == int(np.median(np.diff(np.asarray(times)))), (n, scale)


def test_the_step_follows_the_stream():
    cadence = Cadence()
    for t in range(0, 10 * 300 * 10**9, 300 * 10**9):
        cadence.observe(np.array([t], dtype=np.int64))
    assert cadence.step_ns == 300 * 10**9
