"""A common-mode group that moved two ways at once: each side's own median is taken off."""

from __future__ import annotations

import numpy as np

from telecom_nb.features.common_mode import CommonMode
from telecom_nb.features.response_split import GAP, sides


def _grouped(n: int = 300) -> tuple[CommonMode, np.ndarray]:
    """A fleet of three day shapes, grouped (one group a shape)."""
    shapes = np.stack([np.sin(np.arange(24) / 24 * 2 * np.pi + p) for p in (0.0, 2.1, 4.2)])
    kind = np.arange(n) % 3
    rng = np.random.default_rng(0)
    level = (shapes[kind][:, :, None] + rng.normal(0, 0.1, (n, 24, 2))).astype(np.float32)
    common = CommonMode()
    common.fit(level, np.ones((n, 24, 2), dtype=np.uint16), np.ones(n, dtype=bool), 0)
    return common, kind


def test_a_class_that_filled_is_read_on_its_own_side_and_one_cell_stays_off():
    """A day nobody has seen: the whole fleet down 2 (the gate opens), but in one day-shape
    group a third of the sectors (villages, highways) up 4 instead, all at once. Their own
    side's median is taken off, so they no longer read as faults; one cell up 9 on its own
    (a saturated cell) and one site of 8 up 6 (too few for a side) still do."""
    common, kind = _grouped()
    n = len(kind)
    rng = np.random.default_rng(1)
    z = rng.normal(0, 1, (n, 2)) - 2.0
    filled = (kind == 0) & (np.arange(n) % 9 < 3)  # a third of kind 0
    z[filled, 0] += 6.0
    alone, site = 4, np.flatnonzero(kind == 1)[:8]
    z[alone, 0] += 11.0  # kind 1
    z[site, 0] += 8.0
    out = common.adjust(np.arange(n), np.zeros(n, dtype=np.int64), z)
    assert (np.abs(out[filled, 0]) >= 3.0).mean() < 0.05  # group median only: ~all
    assert out[alone, 0] >= 5.0 and (out[site, 0] >= 3.0).all()
    ordinary = ~filled
    ordinary[[alone, *site]] = False
    assert (np.abs(out[ordinary, 0]) >= 3.0).mean() < 0.02
    shut = z.copy()  # the fleet not shifted: the gate stays shut, the class stays off
    shut[:, 0] += 2.0
    shut[:, 1] += 2.0
    assert np.array_equal(common.adjust(np.arange(n), np.zeros(n, dtype=np.int64), shut), shut)


def test_sides_need_many_sectors_each_and_a_gap():
    rng = np.random.default_rng(2)
    two = np.r_[rng.normal(-1, 0.5, 70), rng.normal(3, 0.5, 30)]
    one = rng.normal(0, 1, 100)  # one mode: its halves' medians ~1.3 apart
    lone = np.r_[rng.normal(0, 1, 99), 25.0]  # one cell far off
    # one site's 12 cells' fault, ordinary cells filling its side: too wide for its gap
    few = np.r_[np.linspace(-9.0, -6.0, 12), rng.normal(0, 1, 88)]
    values = np.c_[two, one, lone, few]
    thr, lo, hi = sides(np.zeros(100, dtype=np.int64), values, 1, 10)
    assert -1.0 < thr[0, 0] < 3.0 and hi[0, 0] - lo[0, 0] >= GAP
    assert np.isnan(thr[0, 1:]).all() and np.isnan(lo[0, 1:]).all()
    codes = np.r_[np.zeros(100), np.ones(100)].astype(np.int64)  # per code: its own split
    thr, _, _ = sides(codes, np.r_[values, values[::-1]], 2, 10)
    assert np.isfinite(thr[:, 0]).all() and np.isnan(thr[:, 1:]).all()


def test_a_side_that_moved_quality_alone_is_a_fault_not_the_day():
    """Series 0 is load (the learned load family), series 1 quality. On a shifted tick a
    third of one group moves both (the day: its own side's median off, reads < 3), and a
    third of another moves only quality (a neighbourhood's backhaul fault: no load split in
    its group, so the group's median stays and it still reads >= 3). Without the family
    known, both are sides (the rule before)."""
    common, kind = _grouped()
    n = len(kind)
    rng = np.random.default_rng(3)
    z = rng.normal(0, 1, (n, 2)) - 2.0
    third = np.arange(n) % 9 < 3
    day, fault = (kind == 0) & third, (kind == 1) & third
    z[day] += [6.0, -6.0]
    z[fault, 1] -= 7.0
    rows, times = np.arange(n), np.zeros(n, dtype=np.int64)
    out = common.adjust(rows, times, z, load=np.array([True, False]))
    assert (np.abs(out[day]) >= 3.0).mean() < 0.05
    assert np.median(out[fault, 1]) <= -3.0
    before = common.adjust(rows, times, z)
    assert (before[fault, 1] <= -3.0).mean() < 0.05
