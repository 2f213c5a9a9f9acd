"""The seasonal update's fused table pass and the robust kernel's compiled index checks
give the numpy references' numbers, bit for bit (NaN, inf, empty cells, repeats)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from telecom_nb.features import robust_kernel, seasonal_learn
from telecom_nb.features.compact import STATE_FLOAT
from telecom_nb.features.robust_stats import RobustTable

pytestmark = pytest.mark.skipif(robust_kernel.numba is None, reason="numba missing")

SLOTS, SERIES = 24, 7


def _season(rng: np.random.Generator, n_rows: int) -> SimpleNamespace:
    """The two tables as ``SeasonalResiduals`` keeps them, random warm, cold and empty."""
    slot = RobustTable((SLOTS, SERIES), 0.1, dtype=np.float32, count_dtype=np.uint16)
    sector = RobustTable((SERIES,), 0.02, gate=False, dtype=STATE_FLOAT,
                         count_dtype=STATE_FLOAT)
    for table, counts in ((slot, rng.integers(0, 200, (n_rows, SLOTS, SERIES))),
                          (sector, rng.integers(0, 50, (n_rows, SERIES)))):
        table.grow(n_rows)
        shape = table.level.shape
        empty = rng.random(shape) < 0.3
        table.level[:n_rows] = np.where(empty, 0.0, rng.normal(size=shape))
        table.dev[:n_rows] = np.where(empty, 0.0, np.abs(rng.normal(size=shape)))
        table.count[:n_rows] = np.where(empty, 0, counts)
    return SimpleNamespace(slot_table_=slot, sector_table_=sector, slots_per_day=SLOTS)


def _batch(rng: np.random.Generator, rows: np.ndarray):
    shape = (len(rows), SERIES)

    def holes(a: np.ndarray) -> np.ndarray:
        a[rng.random(shape) < 0.05] = np.nan
        a[rng.random(shape) < 0.01] = np.inf
        a[rng.random(shape) < 0.01] = -np.inf
        return a

    spread = np.abs(rng.normal(size=shape)) * (rng.random(shape) > 0.02)
    spread[rng.random(shape) < 0.02] = np.nan
    prior, fleet_effect = holes(rng.normal(size=shape)), rng.normal(size=shape)
    exp = (None, spread, None, prior, None, (None, None, fleet_effect))
    flags = [rng.random(shape) < p for p in (0.1, 0.2, 0.3)]  # taught, far, far for the slot
    cells = (holes(rng.standard_t(2, size=shape)), holes(rng.standard_t(2, size=shape)),
             flags[0], flags[1], flags[2], None, None)
    return rng.integers(0, SLOTS, len(rows)), exp, cells


def _state(season: SimpleNamespace) -> list[np.ndarray]:
    return [getattr(t, n) for t in (season.slot_table_, season.sector_table_)
            for n in ("level", "dev", "count")]


@pytest.mark.usefixtures("split_rows")
@pytest.mark.parametrize("seed", [1855, 1856])
def test_fused_tables_equal_the_two_updates(monkeypatch, seed):
    rng = np.random.default_rng(seed)
    fused, plain, numpy_only = (_season(np.random.default_rng(seed), 300) for _ in range(3))
    for step in range(6):
        rows = np.sort(rng.choice(300, 120 + 30 * step, replace=False))
        if step % 2:
            rows = rng.permutation(rows)  # distinct, any order
        slot, exp, cells = _batch(rng, rows)
        assert seasonal_learn.learn_tables(fused, rows, slot, exp, cells)
        seasonal_learn.learn_tables_numpy(plain, rows, slot, exp, cells)  # compiled updates
        with monkeypatch.context() as m:
            m.setattr(robust_kernel, "numba", None)  # the numpy lines themselves
            seasonal_learn.learn_tables_numpy(numpy_only, rows, slot, exp, cells)
        for a, b, c in zip(_state(fused), _state(plain), _state(numpy_only), strict=True):
            assert np.array_equal(a, b, equal_nan=True)
            assert np.array_equal(a, c, equal_nan=True)


def test_fused_tables_leave_what_they_do_not_take_to_the_tables():
    rng = np.random.default_rng(1857)
    season = _season(rng, 50)
    before = [a.copy() for a in _state(season)]
    for rows in (np.array([], dtype=np.intp), np.array([3, 4, 3] * 10),  # empty, repeats
                 np.arange(5), np.arange(40) + 20):  # under MIN_CELLS, beyond the tables
        slot, exp, cells = _batch(rng, rows)
        assert not seasonal_learn.learn_tables(season, rows, slot, exp, cells)
    slot, exp, cells = _batch(rng, np.arange(30))
    assert not seasonal_learn.learn_tables(season, np.arange(30), slot + SLOTS, exp, cells)
    for a, b in zip(_state(season), before, strict=True):
        assert np.array_equal(a, b, equal_nan=True)


def _bases_reference(table: RobustTable, cells: tuple) -> tuple[np.ndarray, bool] | None:
    """The numpy lines the compiled index pass replaced."""
    shape, steps = table.level.shape, robust_kernel._steps(table.level)
    flat = np.zeros(len(cells[0]), dtype=np.int64)
    for c, size, step in zip(cells, shape[:-1], steps[:-1], strict=True):
        if c.min() < 0 or c.max() >= size:
            return None
        flat += c.astype(np.int64) * step
    return flat, bool((np.diff(flat) > 0).all())


@pytest.mark.parametrize("tail", [(4,), (SLOTS, 3)])
def test_compiled_index_pass_equals_numpy(tail):
    rng = np.random.default_rng(1858)
    table = RobustTable(tail, 0.1, dtype=np.float32, count_dtype=np.uint16)
    table.grow(90)  # slot-major when 3-d: other strides than C order
    for step in range(40):
        rows = np.sort(rng.choice(90, 60, replace=step % 3 == 0))
        if step % 4 == 1:
            rows = rng.permutation(rows)
        if step % 5 == 2:
            rows[rng.integers(60)] = rng.choice([-1, 90, 91])  # out of range
        cells = (rows,) if len(tail) == 1 else (rows, rng.integers(0, tail[0] + step % 7 // 6,
                                                                    60).astype(np.int32))
        got, want = robust_kernel._bases(table, cells), _bases_reference(table, cells)
        assert (got is None) == (want is None)
        if got is not None:
            assert np.array_equal(got[0], want[0]) and got[1] == want[1]


@pytest.mark.parametrize("storage", [{}, {"dtype": STATE_FLOAT, "count_dtype": STATE_FLOAT}])
def test_a_small_table_takes_the_compiled_update(monkeypatch, storage):
    """31 provinces x 4 KPIs (124 cells, under the old 256): compiled, numpy's numbers."""
    rng = np.random.default_rng(1859)
    fast, slow = (RobustTable((4,), 0.05, gate=False, **storage) for _ in range(2))
    for t in (fast, slow):
        t.grow(31)
    for _ in range(20):
        rows = np.arange(31)
        x = rng.standard_t(2, size=(31, 4))
        x[rng.random(x.shape) < 0.1] = np.nan
        x[rng.random(x.shape) < 0.02] = np.inf
        assert robust_kernel.update(fast, (rows,), x, None, None, None)
        with monkeypatch.context() as m:
            m.setattr(robust_kernel, "numba", None)
            slow.update((rows,), x)
        for name in ("level", "dev", "count"):
            assert np.array_equal(getattr(fast, name), getattr(slow, name), equal_nan=True)
