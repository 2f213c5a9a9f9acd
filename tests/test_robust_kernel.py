"""The compiled RobustTable.update gives the numpy path's numbers, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from telecom_nb.features import robust_kernel
from telecom_nb.features.robust_stats import RobustTable

#: the typical-day slot table's storage: float32 level and spread, uint16 tenths of a count
COMPACT = {"dtype": np.float32, "count_dtype": np.uint16}


def _pair(tail, alpha, gate, rows, **storage):
    tables = [RobustTable(tail, alpha, gate=gate, **storage) for _ in range(2)]
    for t in tables:
        t.grow(rows)
    return tables


@pytest.mark.usefixtures("split_rows")
@pytest.mark.parametrize("tail, storage", [((5,), {}), ((4, 3), {}), ((4, 3), COMPACT)])
@pytest.mark.parametrize("gate", [True, False])
@pytest.mark.parametrize("options", ["plain", "scale", "far", "start", "all"])
def test_compiled_update_equals_numpy(monkeypatch, tail, storage, gate, options):
    rng = np.random.default_rng(len(tail) * 10 + gate)
    n_rows, n = 900, 600
    fast, slow = _pair(tail, 0.05, gate, n_rows, **storage)
    for step in range(30):
        rows = rng.choice(n_rows, n, replace=step % 5 == 0)  # repeated rows sometimes
        if step % 3 == 1:  # a live tick's order (increasing, distinct): updated in place
            rows = np.sort(rng.choice(n_rows, n, replace=False))
        cells = (rows,) if len(tail) == 1 else (rows, rng.integers(0, tail[0], n))
        k = tail[-1]
        x = rng.standard_t(2, size=(n, k)) * (1 + step % 3)
        x[rng.random((n, k)) < 0.05] = np.nan
        x[rng.random((n, k)) < 0.01] = np.inf
        kw = {}
        if options in ("scale", "all"):
            kw["scale"] = np.abs(rng.normal(size=(n, k))) * (rng.random((n, k)) > 0.02)
        if options in ("far", "all"):
            kw["far"] = rng.random((n, k)) < 0.1
        if options in ("start", "all"):
            start = rng.normal(size=(n, k))
            kw["start"] = np.where(rng.random((n, k)) < 0.5, start, np.nan)
        assert robust_kernel.update(fast, cells, x, kw.get("scale"), kw.get("far"),
                                    kw.get("start")) is (robust_kernel.numba is not None)
        monkeypatch.setattr(robust_kernel, "numba", None)
        slow.update(cells, x, **kw)  # the numpy lines
        monkeypatch.undo()
        if robust_kernel.numba is None:
            fast.update(cells, x, **kw)
        for name in ("level", "dev", "count"):
            assert np.array_equal(getattr(fast, name), getattr(slow, name), equal_nan=True)
