"""The compiled scoring kernels give numpy's numbers bit for bit (and stand aside cleanly)."""

from __future__ import annotations

import numpy as np
import pytest

from telecom_nb.detectors import explain, score_kernels
from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.forest_model import bounded

pytestmark = pytest.mark.skipif(score_kernels.numba is None, reason="numba not installed")


def _same_bits(a: np.ndarray, b: np.ndarray) -> None:
    """Equal to the bit (NaN payloads aside): signed zeros included."""
    a, b = np.nan_to_num(a, nan=7.5), np.nan_to_num(b, nan=7.5)
    np.testing.assert_array_equal(a.view(np.int64), b.view(np.int64))


def _features(rows: int = 40_000, cols: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, cols)) * 10 ** rng.uniform(-3, 3, (rows, 1))
    x[::9, :3] = 0.0
    x[5, 2] = -0.0
    return x


@pytest.mark.usefixtures("split_rows")
def test_bounded32_is_bounded_as_float32():
    x = _features()
    x[0, 0], x[1, 1], x[2, 2] = np.nan, np.inf, -np.inf
    want = bounded(x).astype(np.float32)
    got = score_kernels.bounded32(x)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.view(np.int32), want.view(np.int32))
    small = x[:100]  # one block, no threads
    np.testing.assert_array_equal(score_kernels.bounded32(small).view(np.int32),
                                  bounded(small).astype(np.float32).view(np.int32))


def test_a_slice_of_first_columns_is_read_in_place():
    x = _features(rows=1000, cols=12)
    base = x[:, :9]  # the detector's base columns: rows contiguous, not the matrix
    assert score_kernels._float_matrix(base) is base
    assert score_kernels._float_matrix(x[:, ::2]).flags.c_contiguous
    anchor, scale, reach = np.zeros(9), np.ones(9), np.full(9, 2.0)
    tails = (np.full((1, 9), 2.0), np.full((1, 9), 2.0), np.ones((1, 9)))
    args = (anchor, scale, reach, *tails, np.zeros(9, dtype=bool), np.zeros(9))
    _same_bits(score_kernels.tail_max(base, *args),
               score_kernels.tail_max(np.ascontiguousarray(base), *args))
    np.testing.assert_array_equal(score_kernels.bounded32(base).view(np.int32),
                                  bounded(base).astype(np.float32).view(np.int32))


@pytest.mark.parametrize(("heavy", "free"), [(False, False), (False, True), (True, False)])
def test_tail_max_is_units_max(heavy, free):
    rng = np.random.default_rng(3)
    window = rng.standard_t(3, (20_000, 12))
    window[:, 5] = rng.normal(size=20_000)  # a light tail: free reads it beyond the body
    window[:, 6] = rng.normal(size=20_000)  # ... in runs: its free reading costs their length
    previous = np.roll(window, 1, axis=0)
    previous[::2, 6] = window[::2, 6]
    tails = FeatureTails.fit(window, previous, tails=not heavy, free=free)
    assert heavy or tails.runs[6] > 0.3
    x = _features(seed=4)
    x[7, 4] = np.nan
    want = tails.units(x, capped=False).max(axis=1)
    _same_bits(tails(x), want)
    assert score_kernels.tail_max(x[:, :0], *([np.zeros(0)] * 6), np.zeros(0, bool),
                                  np.zeros(0)) is None


@pytest.mark.parametrize("members", [2, 3, 7])
def test_contributions_are_kpi_contributions(members):
    rng = np.random.default_rng(members)
    w = np.zeros((12, 8))
    w[np.arange(6), np.arange(6)] = 1.0
    w[6, 6], w[7, 6], w[10, 7] = 0.5, 1.0, 1.0  # two features of one KPI
    w[8, :members] = rng.uniform(0.1, 1.0, members)  # relations over several KPIs
    w[9, [1, 3]] = [0.3, 0.7]
    x = np.abs(_features(seed=members))
    x[::7, :3] = 0.0  # no direct evidence: the static weights share the relation
    x[11, 8] = np.nan
    got = score_kernels.contributions(x, w)
    score_kernels_off = score_kernels.numba
    try:
        score_kernels.numba = None
        want = explain.kpi_contributions(x, w)
    finally:
        score_kernels.numba = score_kernels_off
    _same_bits(got, want)
    _same_bits(explain.kpi_contributions(x, w), want)


def test_contributions_follow_new_weights(monkeypatch):
    # the weights' layout is kept between calls: another model's weights (in place too)
    x = np.abs(_features(rows=200, cols=4))
    w = np.eye(4)
    first = score_kernels.contributions(x, w)
    w[3, [0, 3]] = [0.5, 0.5]  # the same array, now with a relation
    got = score_kernels.contributions(x, w)
    again = score_kernels.contributions(x, np.eye(4))
    monkeypatch.setattr(score_kernels, "numba", None)
    _same_bits(got, explain.kpi_contributions(x, w))
    assert not np.array_equal(got, first)
    _same_bits(again, first)


def test_kernels_stand_aside_for_inputs_they_do_not_cover():
    x = _features(rows=10)
    assert score_kernels.bounded32(x.astype(np.float32)) is None
    wide = np.zeros((12, 9))
    wide[0, :] = 1.0  # a relation of more KPIs than a short sum covers
    assert score_kernels.contributions(x, wide) is None
    assert score_kernels.contributions(x, -np.eye(12)) is None


def _grouped_case():
    """Features with NaN cells, seven columns in four groups and those columns' tails."""
    x = _features(cols=12)
    tails = FeatureTails.fit(x[:20_000], np.roll(x[:20_000], 1, axis=0))
    columns = np.array([1, 2, 4, 5, 7, 10, 11])
    group = np.array([0, 0, 1, 1, 2, 3, 3])
    x[::7, 1] = np.nan
    x[::11, 4] = np.nan
    return x, columns, group, tails.select(columns)


def test_tail_second_is_the_second_kpis_units():
    """The second-KPI kernel gives ``second_largest(units(x[:, columns]))`` bit for bit,
    NaN cells included (one NaN KPI ranks above all, two make the row NaN)."""
    from telecom_nb.detectors.second_kpi import second_largest

    x, columns, group, t = _grouped_case()
    want = second_largest(t.units(x[:, columns]), group, 4)
    got = score_kernels.tail_second(x, columns, group, (t.anchor, t.scale, t.reach, t.start,
                                                        t.base, t.tail_scale))
    assert np.isnan(want).any() and not np.isnan(want).all()
    _same_bits(got, want)


def test_tail_top2_is_the_kpi_families_statistic():
    """The KPI-families kernel gives ``top_two_sum(units(x[:, columns]))`` bit for bit, NaN
    cells (as 0) and a row whose every family is NaN included."""
    from telecom_nb.detectors.kpi_families import top_two_sum

    x, columns, group, t = _grouped_case()
    x[3, columns] = np.nan
    want = top_two_sum(t.units(x[:, columns]), group, 4)
    got = score_kernels.tail_top2(x, columns, group, (t.anchor, t.scale, t.reach, t.start,
                                                      t.base, t.tail_scale))
    assert want[3] == 0.0 and (want > 5.0).any()
    _same_bits(got, want)


@pytest.mark.usefixtures("split_rows")
def test_row_slices_over_threads_give_the_one_pass_numbers(monkeypatch):
    """A large batch's kernels run in row slices over threads (``row_split``): each row
    alone, so the same bits as one pass (NaN cells, uneven last slice included)."""
    from telecom_nb.features import row_split

    x, columns, group, t = _grouped_case()
    whole = FeatureTails.fit(x[:20_000], np.roll(x[:20_000], 1, axis=0))
    tails = (t.anchor, t.scale, t.reach, t.start, t.base, t.tail_scale)
    w = np.zeros((12, 4))
    w[np.arange(12), np.arange(12) % 4] = 1.0
    w[5, [0, 2]] = [0.5, 0.5]

    def passes():
        return [whole(x), score_kernels.contributions(np.abs(x), w),
                score_kernels.tail_second(x, columns, group, tails),
                score_kernels.tail_top2(x, columns, group, tails)]

    split = passes()
    monkeypatch.setattr(row_split, "PARALLEL_ROWS", 10**9)
    for a, b in zip(split, passes(), strict=True):
        _same_bits(a, b)
