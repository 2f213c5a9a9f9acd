"""Held level: the smallest same-sign shift z of now and 1, 2 hours before, and its null."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from telecom_nb.detectors.calibration import SHOULDER
from telecom_nb.detectors.held_part import (
    JOINT_RANK,
    MAX_TRIM,
    MIN_EPISODES,
    HeldNull,
    shift_trim,
)
from telecom_nb.detectors.shift_part import shift_null, shift_score
from telecom_nb.features.held_level import RING, held_learn, held_read

_NONE = np.iinfo(np.int64).min // 2


def _series(step: str, z_of_hour) -> tuple[np.ndarray, np.ndarray]:
    """One sector's 15-minute bins and shift z over 6 hours at ``step``."""
    ts = pd.date_range(
        "2026-03-02", periods=int(pd.Timedelta("6h") / pd.Timedelta(step)), freq=step, tz="UTC"
    )
    b = ts.as_unit("ns").asi8 // pd.Timedelta("15min").value
    hours = (ts - ts[0]) / pd.Timedelta("1h")
    return b, np.array([z_of_hour(h) for h in hours], dtype=np.float64)[:, None]


def _held(b: np.ndarray, z: np.ndarray, chunk: int | None = None) -> np.ndarray:
    ring_z, ring_id = np.zeros((1, RING, 1)), np.full((1, RING), _NONE, dtype=np.int64)
    out = []
    for a in range(0, len(b), chunk or len(b)):
        s = slice(a, a + (chunk or len(b)))
        r = np.zeros(len(b[s]), dtype=np.intp)
        out.append(held_read(z[s], r, b[s], ring_z, ring_id))
        held_learn(z[s], r, b[s], ring_z, ring_id)
    return np.concatenate(out)


def _shift(h: float) -> float:
    """A shift of -2.5 from hour 1 on, growing by 0.5 an hour to -4; before it, +0.5."""
    return 0.5 if h < 1 else -2.5 - 0.5 * min(int(h) - 1, 3)


def test_a_shift_held_for_two_hours_reads_the_same_at_any_cadence():
    # held only from 2 h after its onset, at the weakest of the 3 hours (the oldest)
    for step in ("2min", "5min", "1h"):
        b, z = _series(step, _shift)
        held = _held(b, z)[:, 0]
        hours = (b - b[0]) / 4
        assert np.all(held[hours < 3] == 0)
        assert np.allclose(held[(hours >= 3) & (hours < 3.25)], -2.5)
        assert held[-1] < -2.5
        # the same whether the rows come in one batch (one series' pass) or tick by tick
        assert np.array_equal(_held(b, z, chunk=1), _held(b, z))


def test_a_side_change_or_an_hour_without_rows_is_not_held():
    b, z = _series("5min", lambda h: -3.0 if int(h) != 2 else 3.0)
    held = _held(b, z)[:, 0]
    assert np.all(held[b - b[0] < 20] == 0) and np.all(held[b - b[0] >= 20] == -3.0)
    b, z = _series("5min", lambda h: -3.0)
    gap = (b - b[0] >= 8) & (b - b[0] < 12)  # no row in the third hour
    held = _held(b[~gap], z[~gap])[:, 0]
    later = b[~gap] - b[0]
    assert np.all(held[(later >= 12) & (later < 20)] == 0)
    assert np.all(held[later >= 20] == -3.0)


def test_an_hourly_shift_of_three_hours_holds_on_its_third_row():
    # an hourly pool's shortest shifts (3 rows, few-series lte60): read 3 h back, never held
    b, z = _series("1h", lambda h: -3.0 if 1 <= h < 4 else 0.5)
    held = _held(b, z)[:, 0]
    assert held.tolist() == [0.0, 0.0, 0.0, -3.0, 0.0, 0.0]


def test_the_null_counts_how_seldom_rows_hold():
    # window: 15,000 rows with a shift z, of which 1 in 10 hold (|held| up to ~3)
    rng = np.random.default_rng(0)
    n = 15000
    shift = rng.normal(0.0, 1.0, n)
    held = np.where(rng.random(n) < 0.1, rng.normal(0.0, 0.8, n), 0.0)
    window = np.c_[shift, held]
    null = HeldNull.fit(window, None, np.array([1]), np.array([0]), SHOULDER)
    assert null is not None and np.isclose(null.share[0], 0.1, atol=0.02)
    score = null.score(np.array([[0.0, 0.0], [0.0, 3.0], [0.0, -3.0]]))
    conditional = null.nulls[0].log_p(np.array([3.0]))[0]
    assert score[0] == 0
    # one row in ten holds: a held z of 3 is ten times rarer than among the holding rows
    assert np.isclose(score[1], conditional + 1.0, atol=0.1) and score[1] == score[2]


def test_a_null_counts_only_once_it_has_seen_enough_separate_holds():
    # 2,000 holding rows among 12,000: in a few long holds (young) or in many short ones
    rng = np.random.default_rng(1)
    n, holding = 12000, 2000
    shift = rng.normal(0.0, 1.0, n)
    held = np.zeros(n)

    def null_of(episodes: int) -> HeldNull | None:
        held[:] = 0.0
        starts = np.linspace(0, n - holding // episodes - 1, episodes).astype(int)
        for a in starts:
            held[a : a + holding // episodes] = rng.normal(0.0, 0.8, holding // episodes)
        previous = np.c_[np.r_[0.0, shift[:-1]], np.r_[0.0, held[:-1]]]
        return HeldNull.fit(np.c_[shift, held], previous, np.array([1]), np.array([0]), SHOULDER)

    assert null_of(MIN_EPISODES // 4) is None
    assert null_of(2 * MIN_EPISODES) is not None


#: a pool's KPIs, and the window's shift and held columns
_KPIS = 4
_SHIFT, _HELD = np.arange(_KPIS), np.arange(_KPIS) + _KPIS


def _hourly_pool(rows: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A young hourly pool's window and its rows' previous rows: a shift z on every row,
    then each KPI's held z, which holds on ~45 % of the rows in holds of ~2.5 rows (the last
    KPI never holds)."""
    kpis = _KPIS
    held = np.zeros((rows, kpis))
    for k in range(kpis - 1):
        on, side = False, 1.0
        for i in range(rows):
            on = rng.random() < (0.6 if on else 0.3)
            side = side if on and i and held[i - 1, k] != 0 else rng.choice([-1.0, 1.0])
            held[i, k] = side * (abs(rng.normal(0.0, 0.8)) + 0.2) if on else 0.0
    window = np.c_[rng.normal(0.0, 2.0, (rows, kpis)), held]
    return window, np.r_[np.zeros((1, 2 * kpis)), window[:-1]]


def test_a_young_pool_reads_its_kpis_holds_together_until_one_has_a_null():
    # 1,500 hours: each KPI holds on ~650 rows in ~260 holds, short of its own null's
    # 1,000 holding rows; the three KPIs' ~2,000 holding rows make one null for all
    rng = np.random.default_rng(3)
    window, previous = _hourly_pool(1500, rng)
    # a history younger than part_schedule.HELD_POOL_AFTER: no pool, no null
    assert HeldNull.fit(window, previous, _HELD, _SHIFT, SHOULDER) is None
    null = HeldNull.fit(window, previous, _HELD, _SHIFT, SHOULDER, pool=True)
    assert null is not None
    assert null.nulls[0] is null.nulls[1] is null.nulls[2] and null.nulls[3] is None
    rows = np.zeros((3, 2 * _KPIS))
    rows[1, _KPIS], rows[2, _KPIS + 3] = -6.0, 6.0
    score = null.score(rows)
    # a held z of 6 on a KPI that holds is paged; on the KPI that never held, nothing
    assert score[1] > 3.0 and score[0] == 0 and score[2] == 0
    normal = null.score(window)
    assert (normal >= 3.0).mean() < 0.005
    # once the KPIs have nulls of their own (3,000 hours), each reads its own, as before
    own = HeldNull.fit(*_hourly_pool(3000, rng), _HELD, _SHIFT, SHOULDER, pool=True)
    assert own is not None and own.nulls[0] is not None
    assert own.nulls[0] is not own.nulls[1] and own.nulls[3] is None


def test_a_young_pools_held_part_can_come_before_the_shift_null():
    # 800 hours (3 cells: ~11 days): fewer rows with a shift statistic than the shift
    # null's 1,000, but the three holding KPIs' ~1,000 holding rows in ~400 holds
    rng = np.random.default_rng(4)
    null = HeldNull.fit(*_hourly_pool(800, rng), _HELD, _SHIFT, SHOULDER, pool=True)
    assert null is not None and null.nulls[0] is not None
    rows = np.zeros((2, 2 * _KPIS))
    rows[1, _KPIS + 1] = 6.0
    model = SimpleNamespace(shift=_SHIFT, shift_null=None, held_null=null)
    score = shift_score(model, rows)
    assert score is not None and score[0] == 0 and score[1] > 3.0
    assert shift_score(SimpleNamespace(shift=_SHIFT, shift_null=None), rows) is None


def test_the_held_null_leaves_out_the_shifts_the_shift_nulls_read():
    # a pool's window: 20,000 normal rows (shift z ~ N(0, 1); 1 in 6 holds, |held z| ~0.5)
    # and its cells' own level shifts, 8 of 100 rows (shift z ~ -4, held z ~ -3): without
    # the trim they are the held null's shoulder, and the next shift reads as one of them
    rng = np.random.default_rng(5)
    n, shifts, length = 20000, 8, 100
    shift = rng.normal(0.0, 1.0, n)
    held = np.where(rng.random(n) < 1 / 6, rng.normal(0.0, 0.5, n), 0.0)
    fault = np.zeros(n, dtype=bool)
    for a in np.linspace(1000, n - 1000, shifts).astype(int):
        fault[a : a + length] = True
    shift[fault] = rng.normal(-4.0, 0.5, fault.sum())
    held[fault] = -np.abs(rng.normal(3.0, 0.5, fault.sum()))
    window = np.c_[shift, held]
    previous = np.r_[np.zeros((1, 2)), window[:-1]]
    cols, held_cols = np.array([0]), np.array([1])
    nulls = shift_null(window, previous, cols, pooled=True)
    trim = shift_trim(cols, nulls, window, previous)
    assert trim is not None and trim.mean() <= MAX_TRIM
    assert trim[fault].mean() > 0.9 and trim[~fault].mean() < 0.08
    plain = HeldNull.fit(window, previous, held_cols, cols, SHOULDER)
    trimmed = HeldNull.fit(window, previous, held_cols, cols, SHOULDER, left_out=trim)
    new_shift = np.array([[-2.5, -2.2]])  # the shift part alone reads it ~2: the held part
    assert plain.score(new_shift)[0] < 2.5
    assert trimmed.score(new_shift)[0] > 4.0
    # the normal rows' held part stays quiet
    normal = window[~fault]
    assert (trimmed.score(normal) >= 3.0).mean() < 0.005


def test_a_shift_held_by_three_kpis_at_once_reads_rarer_than_its_strongest_alone():
    # a pool's window: 4 KPIs, each holding on ~40 % of 30,000 rows in holds of ~2.5 rows,
    # independently (normal life); a level shift holds on three KPIs at once, each only as
    # far as a normal hold reaches now and then: the joint reading (JOINT_RANK) tells it
    rng = np.random.default_rng(6)
    rows, kpis = 30000, 4
    on = np.zeros((rows, kpis), dtype=bool)
    draw = rng.random((rows, kpis))
    for i in range(1, rows):
        on[i] = draw[i] < np.where(on[i - 1], 0.6, 0.3)
    held = np.where(on, np.abs(rng.normal(0.0, 0.8, (rows, kpis))) + 0.2, 0.0)
    window = np.c_[rng.normal(0.0, 1.0, (rows, kpis)), held]
    previous = np.r_[np.zeros((1, 2 * kpis)), window[:-1]]
    shift_cols, held_cols = np.arange(kpis), np.arange(kpis) + kpis
    null = HeldNull.fit(window, previous, held_cols, shift_cols, SHOULDER)
    assert null is not None
    one, three = np.zeros((1, 2 * kpis)), np.zeros((1, 2 * kpis))
    one[0, kpis] = 2.0
    three[0, kpis:kpis + JOINT_RANK] = 2.0
    # one KPI at 2.0 is within a normal hold's q99 (2.3): not paged; three at once are
    assert null.score(one)[0] < 3.0 < null.score(three)[0]
    # the normal rows stay quiet
    assert (null.score(window) >= 3.0).mean() < 0.005
    assert null.joint is not None
