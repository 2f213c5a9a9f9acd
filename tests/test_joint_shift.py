"""The joint held shift (detectors/joint_shift.py): several KPIs held shifted on one side at
once for hours, each no further than a single KPI's everyday wander."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.calibration import SHOULDER
from telecom_nb.detectors.joint_shift import (
    MAX_TRIM,
    MIN_HELD_ROWS,
    TRIM_SCORE,
    JointShift,
    left_out,
    mth_same_side,
)


def test_the_mth_same_side_value():
    z = np.array([[3.0, 2.0, -4.0, 1.0], [-3.0, -2.5, -1.0, 5.0], [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(mth_same_side(z, 2), [2.0, 2.5, 0.0])
    np.testing.assert_array_equal(mth_same_side(z, 3), [1.0, 1.0, 0.0])


def _window(n: int = 20_000, seed: int = 3) -> np.ndarray:
    """Three KPIs' shift z (columns 0-2) and held z (3-5): each KPI holds on ~40 % of the
    rows, on its own (heavy-tailed, each alone at times beyond 4)."""
    rng = np.random.default_rng(seed)
    shift = rng.standard_t(3, (n, 3))
    held = np.where(rng.random((n, 3)) < 0.4, 0.6 * shift, 0.0)
    return np.hstack([shift, held])


def _fit(ref: np.ndarray) -> JointShift | None:
    return JointShift.fit(ref, None, np.arange(3, 6), np.arange(3), SHOULDER)


def test_three_kpis_held_together_read_rarer_than_one_held_far():
    ref = _window()
    joint = _fit(ref)
    assert joint is not None and joint.ms == (2, 3)
    together = joint.score(np.array([[0, 0, 0, -2.0, -1.8, -1.6]]))[0]
    alone = joint.score(np.array([[0, 0, 0, -5.0, 0.0, 0.0]]))[0]
    assert together > 4.0 and alone == 0.0
    assert (joint.score(ref) >= 3).mean() < 0.002  # its own window: rarely (t tails)


def test_rows_the_shift_part_reads_are_left_out_of_the_null_at_most_a_share():
    read = np.r_[np.full(5, TRIM_SCORE + 1), np.full(95, TRIM_SCORE - 0.5)]
    assert left_out(read).sum() == 5
    read = np.linspace(TRIM_SCORE, TRIM_SCORE + 5, 1000)  # every row read: the highest only
    out = left_out(read)
    assert out.sum() == int(MAX_TRIM * 1000) and out[-int(MAX_TRIM * 1000):].all()


def test_a_window_holding_earlier_shifts_still_reads_the_next_one():
    ref = _window()
    rng = np.random.default_rng(5)
    shifts = rng.random(len(ref)) < 0.03  # earlier shifts held on 3 % of the window's rows
    ref[shifts, 3:] = -rng.uniform(1.5, 3.0, (shifts.sum(), 1))
    read = np.where(shifts, 2.5, 0.5)  # ... which the shift part reads at 2.5
    row = np.array([[0, 0, 0, -2.0, -1.8, -1.6]])
    blind = _fit(ref).score(row)[0]
    trimmed = JointShift.fit(ref, None, np.arange(3, 6), np.arange(3), SHOULDER, read).score(row)[0]
    assert blind < 3.0 and trimmed > 4.0


def test_one_kpi_a_short_window_or_too_few_holds_have_no_part():
    ref = _window()
    assert JointShift.fit(ref, None, np.arange(3, 4), np.arange(1), SHOULDER) is None
    assert _fit(ref[:900]) is None  # fewer rows with a shift statistic than the shift part's
    rare = ref.copy()
    rare[:, 3:] = np.where(np.random.default_rng(0).random((len(ref), 3)) < 0.05, 1.0, 0.0)
    # two KPIs hold at once on ~0.75 % of the rows: ~150, fewer than MIN_HELD_ROWS
    assert 0.0075 * len(ref) < MIN_HELD_ROWS and _fit(rare) is None


def _pool(days: int = 9, shift_day: int = 7, seed: int = 4) -> tuple[pd.DataFrame, np.ndarray]:
    """Two 5-minute cells: traffic, users and PRB on a daily shape, all three on the cell's
    own hour-scale wander plus their own noise; on ``shift_day`` from 09:00 for 8 h cell a's
    three at 0.7 x."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-03-02", periods=days * 288, freq="5min", tz="UTC")
    hours = (ts.hour + ts.minute / 60.0).to_numpy()
    load = 1.0 + 0.6 * np.sin(2 * np.pi * (hours - 8) / 24)
    i = np.arange(len(ts))
    shifted = (i >= shift_day * 288 + 108) & (i < shift_day * 288 + 204)
    frames = []
    for cell in ("a", "b"):
        wander = np.exp(np.convolve(rng.normal(0, 0.07, len(ts)), np.ones(24) / 4.9, "same"))
        frame = pd.DataFrame({schema.TIMESTAMP: ts, schema.SECTOR: cell})
        for j, kpi in enumerate(("traffic", "users", "prb")):
            noise = np.exp(rng.normal(0, 0.08, len(ts)))
            cut = np.where(shifted, 0.7, 1.0) if cell == "a" else 1.0
            frame[kpi] = (10 + 5 * j) * load * wander * noise * cut
        frames.append(frame)
    table = pd.concat(frames).sort_values([schema.TIMESTAMP, schema.SECTOR], kind="stable")
    return table.reset_index(drop=True), np.column_stack([shifted, shifted & False]).ravel()


def _scores(table: pd.DataFrame) -> tuple[np.ndarray, object]:
    det = make_detector("iforest", kpis=["traffic", "users", "prb"], n_estimators=10)
    return det.score_stream(table).score, det._fitted.model


def test_a_pool_reads_three_kpis_held_shifted():
    table, shifted = _pool()
    assert (table[schema.SECTOR].to_numpy()[shifted] == "a").all()
    score, model = _scores(table)
    assert model.joint_shift is not None
    ts = table[schema.TIMESTAMP]
    held = shifted & (ts >= ts[shifted].min() + pd.Timedelta("3h")).to_numpy()
    # from 3 h in, each KPI has held 0.7 x: the median reads 3.97 (2.96 without the part)
    assert np.median(score[held]) > 3.5
    # normal rows (but the 2 h after the shift, whose held hours are the shift's: the part
    # reads 4-6 there on a 12-day pool) rarely read 4 (0 with the part and without)
    end = ts[shifted].max()
    normal = ~shifted & (ts >= ts.min() + pd.Timedelta("5D")).to_numpy() & ~(
        (ts > end) & (ts <= end + pd.Timedelta("2h"))).to_numpy()
    assert (score[normal] >= 4).sum() <= 2
