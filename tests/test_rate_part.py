"""The rate part: each ratio-of-counts KPI's seasonal column on its own deep tail."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd

from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.part_schedule import PartSchedule
from telecom_nb.detectors.rate_part import FLOOR, RatePart, rate_columns
from telecom_nb.features.count_cusum import P_READ, CountCusum

NAMES = ["drop:season_z", "drop:persist_z", "ho:season_z", "load:season_z", "idle:season_z"]


def _window(n: int, seed: int = 0) -> np.ndarray:
    """A drop rate 0 on 90 % of rows with a light exponential tail beyond; a handover
    success rate with a heavy (t, 2 df) tail; a near-Gaussian load; a rate never off 0."""
    rng = np.random.default_rng(seed)
    drop = np.where(rng.random(n) < 0.9, 0.0, 1.0 + rng.exponential(0.5, n))
    return np.column_stack(
        [drop, rng.normal(size=n), rng.standard_t(2, size=n), rng.normal(size=n), np.zeros(n)]
    )


def _fit(ref: np.ndarray) -> RatePart | None:
    cols = rate_columns(NAMES, ["drop", "ho", "load", "idle"], np.array([1, 1, 0, 1], bool))
    assert cols == (0, 2, 4)  # the ratios' seasonal columns only, whatever their names
    return RatePart.fit(FeatureTails.fit(ref, np.zeros_like(ref)), ref, cols)


def test_each_column_reads_its_own_rarity_and_a_light_tail_far_out_reaches_the_flag():
    ref = _window(20_000)
    part = _fit(ref)
    assert part is not None and list(part.columns) == [0, 2]  # a column 0 at 99.9 %: none
    assert part.penalty == math.log10(2.0)
    rows = np.zeros((5, len(NAMES)))
    rows[0, 0] = np.quantile(ref[:, 0], 0.999)  # each at its own 1-in-1,000: alike
    rows[1, 2] = np.quantile(np.abs(ref[:, 2]), 0.999)
    rows[2, 0] = np.quantile(ref[:, 0], 0.99999)  # the drop rate at its 1-in-100,000
    rows[3, 0] = np.quantile(ref[:, 0], 0.9)  # an ordinary drop: below the floor
    rows[4, 4] = 50.0  # the column left out is never read
    score = part(rows)
    assert abs(score[0] - (3.0 - part.penalty)) < 0.3 and abs(score[1] - score[0]) < 0.3
    assert score[2] > 4.0
    assert score[3] == 0.0 and score[4] == 0.0
    assert np.all((score == 0.0) | (score >= FLOOR))


def test_no_part_without_columns_or_a_tail():
    ref = _window(3_000)
    tails = FeatureTails.fit(ref, np.zeros_like(ref))
    assert RatePart.fit(tails, ref, ()) is None  # not asked for (15 minutes, few series)
    assert RatePart.fit(tails, ref, (4,)) is None  # 0 on every row: nothing to read


def test_below_30_minutes_only_values_at_the_sums_level_are_read():
    """A quarter hour's single reading far in the column's tail reads nothing below the
    CUSUM's level; a sum at or beyond it reads as every value does at 30 minutes."""
    ref = _window(20_000)
    cols = (0, 2)
    tails = FeatureTails.fit(ref, np.zeros_like(ref))
    every = RatePart.fit(tails, ref, cols)
    level = np.array([9.0, 9.0])
    summed = RatePart.fit(tails, ref, cols, least=level)
    assert every is not None and summed is not None and every.least is None
    rows = np.zeros((3, len(NAMES)))
    rows[0, 0] = 8.0  # one value: far out, yet under the level
    rows[1, 0] = 9.5  # a sum beyond it
    rows[2, 2] = np.nan  # not read at all
    assert every(rows)[0] > FLOOR
    own = -math.log10(P_READ) + 0.5 / math.log(10.0) - summed.penalty  # the sums' null
    assert summed(rows)[0] == 0.0 and summed(rows)[2] == 0.0
    assert math.isclose(summed(rows)[1], max(every(rows)[1], own))
    assert np.array_equal(summed.anchor, every.anchor)  # the null: every value's


def test_a_read_sum_scores_at_least_its_own_null_not_the_columns_tail():
    """volte61's MAD7000_L18_2 (v3179, 15 minutes): a sum of 12.1 nats, 2.9 beyond the
    level where the CUSUM reads 1 in 100,000 counted rows, scored 2.82 on a column tail
    fitted on single quarter hours' z; on the sums' own null it is ~1 in 1.8 million."""
    ref = _window(20_000)
    ref[:, 0] *= 3.0  # single values' z up to ~10: a wide column tail
    tails = FeatureTails.fit(ref, np.zeros_like(ref))
    summed = RatePart.fit(tails, ref, (0, 2), least=np.array([9.2, 9.2]))
    assert summed is not None
    rows = np.zeros((4, len(NAMES)))
    rows[0, 0] = 12.1
    rows[1, 0] = -12.1  # a success rate's sum: its side's sign
    rows[2, 0] = 9.2  # at the level: its null's 1 in 100,000
    rows[3, 0] = 9.1  # under it: not read
    expected = -math.log10(P_READ) + 2.9 / math.log(10.0) - summed.penalty
    score = summed(rows)
    assert score[0] >= expected - 1e-9 and score[1] == score[0]
    assert score[2] >= -math.log10(P_READ) - summed.penalty - 1e-9
    assert score[3] == 0.0


def test_the_schedule_reads_sums_between_15_and_30_minutes_only():
    lumpy = SimpleNamespace(kpis=("drop", "ho"), cusum_=CountCusum(2))
    stub = SimpleNamespace()
    for step, expected in (("15min", -np.log(P_READ)), ("30min", None), ("1h", None)):
        part = SimpleNamespace(lumpy_=lumpy, cadence_=SimpleNamespace(step=pd.Timedelta(step)))
        stub.features_ = SimpleNamespace(parts_=[part], feature_names=NAMES)
        least = PartSchedule._rate_least(stub, (0, 2))
        if expected is None:
            assert least is None
        else:
            assert np.allclose(least, expected)
