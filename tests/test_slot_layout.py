"""Slot-major storage of the sector x slot x series tables (features/layout.py)."""

from __future__ import annotations

import numpy as np

from telecom_nb.features import robust_kernel
from telecom_nb.features.layout import grow_slot_major, is_slot_major, slot_major
from telecom_nb.features.robust_stats import RobustTable
from telecom_nb.features.weekly import WeekdayEffects


def test_grow_keeps_values_and_lays_out_slot_major():
    rng = np.random.default_rng(0)
    a = rng.random((5, 24, 3)).astype(np.float32)
    grown = grow_slot_major(a, 7, fill=-1.0)
    assert grown.shape == (16, 24, 3) and grown.dtype == np.float32  # capacity as grow_rows
    assert is_slot_major(grown) and not is_slot_major(a)
    assert np.array_equal(grown[:5], a) and (grown[5:] == -1.0).all()
    # one slot of every sector is one contiguous block
    assert grown[:, 7].base is not None and grown.transpose(1, 0, 2)[7].flags.c_contiguous
    assert grow_slot_major(grown, 10) is grown  # room enough: the same array


def test_tables_grow_slot_major_and_take_a_restored_array_back():
    week = WeekdayEffects(24, 7)
    table = RobustTable((24, 7), 0.05)
    week.grow(100)
    table.grow(100)
    assert all(is_slot_major(a) for a in (week.level_, week.count_, table.level, table.dev,
                                          table.count))
    flat = RobustTable((7,), 0.05)
    flat.grow(100)
    assert flat.level.flags.c_contiguous  # 2-d tables stay as they were
    # a checkpoint sets C-ordered arrays: the next grow lays them out again, same values
    restored = np.ascontiguousarray(np.random.default_rng(1).random(week.level_.shape),
                                    dtype=np.float32)
    week.level_ = restored
    week.grow(100)
    assert is_slot_major(week.level_) and np.array_equal(week.level_, restored)


def test_compiled_update_reads_either_layout_the_same():
    rng = np.random.default_rng(2)
    c_order, slot_order = RobustTable((6, 4), 0.1), RobustTable((6, 4), 0.1)
    for t in (c_order, slot_order):
        t.grow(2000)
    for name in ("level", "dev", "count"):
        setattr(c_order, name, np.ascontiguousarray(getattr(c_order, name)))
    assert not is_slot_major(c_order.level) and is_slot_major(slot_order.level)
    for _ in range(5):
        rows = np.sort(rng.choice(2000, 1500, replace=False))
        cells = (rows, rng.integers(0, 6, 1500))
        x = rng.normal(size=(1500, 4))
        for t in (c_order, slot_order):
            assert robust_kernel.update(t, cells, x, None, None, None) is (
                robust_kernel.numba is not None)
            if robust_kernel.numba is None:
                t.update(cells, x)
    for name in ("level", "dev", "count"):
        assert np.array_equal(getattr(c_order, name), getattr(slot_order, name))


def test_slot_major_leaves_other_arrays_alone():
    two_d = np.zeros((4, 3))
    assert slot_major(two_d) is two_d
    laid = slot_major(np.arange(24.0).reshape(2, 3, 4))
    assert is_slot_major(laid) and np.array_equal(laid, np.arange(24.0).reshape(2, 3, 4))
