"""``order_select.select_rows``: numpy's sorted values at the asked positions, in place."""

import numpy as np
import pytest

from telecom_nb.detectors.joint import median_rows
from telecom_nb.features.column_quantiles import SortedColumns, read_positions
from telecom_nb.features.order_select import SMALL, select_rows


def _rows(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Rows that stress a quickselect: ties, runs, sorted and organ-pipe orders."""
    normal = np.abs(rng.standard_normal(n))
    zeros = normal.copy()
    zeros[rng.random(n) < 0.3] = 0.0
    pipe = np.r_[np.arange(n // 2), np.arange(n - n // 2)[::-1]].astype(np.float64)
    return [normal, zeros, np.sort(normal), np.sort(normal)[::-1], pipe,
            np.zeros(n), np.full(n, 2.5), np.round(normal * 2), rng.integers(0, 3, n) * 1.0,
            np.where(rng.random(n) < 0.01, np.inf, normal), np.r_[np.zeros(n - 1), 1.0][:n]]


@pytest.mark.parametrize("n", [1, 2, 3, SMALL - 1, SMALL, SMALL + 1, 100, 1001, 20_000])
def test_selected_positions_hold_the_sorted_values(n):
    rng = np.random.default_rng(n)
    rows = _rows(n, rng)
    cases = [read_positions(n, np.array([0.5, 0.75])), read_positions(n, np.array([0.0, 1.0])),
             np.unique(np.minimum(np.r_[0, n // 3, n // 3 + 1, n // 3 + 2, n - 1], n - 1)),
             np.unique(rng.integers(0, n, 6))]
    for at in cases:
        block = np.stack(rows)
        pick = np.arange(0, len(rows), 1 + (n % 2))  # some rows only
        assert select_rows(block, pick, at).all()
        for j, row in enumerate(rows):
            got = block[j]
            if j not in pick:
                assert got.tobytes() == row.tobytes()
                continue
            want = np.sort(row)
            assert got[at].tobytes() == want[at].tobytes()
            assert np.sort(got).tobytes() == want.tobytes()  # values moved, not changed
            for k in at:  # each a partition point: nothing above it left before it
                assert (got[:k] <= got[k]).all() and (got[k + 1:] >= got[k]).all()


def test_other_blocks_and_rows_are_left_to_the_caller():
    """Another layout or dtype: None; a row with a NaN or a -0.0 (numpy's sort places
    signed zeros its own way): not done, left as it was."""
    at = np.array([1])
    assert select_rows(np.asfortranarray(np.ones((3, 40))), np.arange(3), at) is None
    assert select_rows(np.ones((3, 40), dtype=np.float32), np.arange(3), at) is None
    ro = np.ones((3, 40))
    ro.flags.writeable = False
    assert select_rows(ro, np.arange(3), at) is None
    block = np.random.default_rng(3).standard_normal((4, 100))
    block[1, 7], block[2, 50] = np.nan, -0.0
    before = block.copy()
    assert select_rows(block, np.arange(4), np.array([49, 50])).tolist() == [
        True, False, False, True]
    assert block[1:3].tobytes() == before[1:3].tobytes()


def test_medians_of_a_joint_fit_are_numpys():
    """``joint.median_rows`` (a joint distance's centre) through the compiled selection:
    ``np.median``'s numbers byte for byte, a -0.0 column included (numpy's way)."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal((19_001, 6))
    x[rng.random(x.shape) < 0.25] = 0.0
    x[:, 2] = np.round(x[:, 2])
    x[::3, 4] = -0.0
    for block in (x, x[:-1], x[:40], x[:3]):
        assert median_rows(block).tobytes() == np.median(block, axis=0).tobytes()


def test_body_quantiles_of_a_window_are_the_sorted_ones():
    """A one-series window's body fit (``abs_quantiles``, which hands its varying columns
    here): every column's q50 and q75 as the sorted block's, byte for byte."""
    rng = np.random.default_rng(55)
    x = rng.standard_t(4, size=(20_000, 12))
    x[rng.random(x.shape) < 0.25] = 0.0
    x[:, 1] = np.cumsum(rng.standard_normal(20_000))  # slow: near-sorted stretches
    x[:, 2] = 0.0
    x[:19_990, 3] = 0.0  # all but ten rows at zero
    x[:, 4] = np.round(x[:, 4])
    x[::2, 5] = -x[::2, 5]
    wide = np.zeros((20_000, 16))
    wide[:, :12] = x
    for block in (x, wide[:, :12], x[:5_001]):
        for qs in (np.array([0.5, 0.75]), np.array([0.0, 0.3, 0.999, 1.0])):
            want = SortedColumns.of_abs(block).quantile(qs)
            assert SortedColumns.abs_quantiles(block, qs).tobytes() == want.tobytes()
