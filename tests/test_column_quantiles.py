"""Column quantiles from one sort give numpy's nanquantile numbers exactly."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from telecom_nb.features.column_quantiles import SortedColumns, read_positions, select_positions


def block(seed: int, rows: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.abs(rng.standard_t(3, size=(rows, 7)))
    x[rng.random(x.shape) < 0.3] = np.nan
    x[:, 1] = np.round(x[:, 1], 1)  # ties
    x[:, 2] = np.nan  # all NaN
    x[: rows // 2, 3] = np.nan
    x[0, 4] = np.inf
    x[:, 5] = 0.0
    return x


@pytest.mark.parametrize(("seed", "rows"), [(0, 2000), (1, 37), (2, 3), (3, 1), (4, 20_000)])
def test_same_numbers_as_nanquantile(seed, rows):
    x = block(seed, rows)
    cols = SortedColumns(x)
    qs = np.array([0.9, 0.95, 0.98, 0.0, 1.0, 0.5, 0.25])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_array_equal(cols.quantile(qs), np.nanquantile(x, qs, axis=0))
        np.testing.assert_array_equal(cols.quantile(0.75), np.nanquantile(x, 0.75, axis=0))
        for level in np.nanquantile(x, [0.5, 0.9, 0.98], axis=0):
            with np.errstate(invalid="ignore"):
                over = x > level
                want = np.nanquantile(np.where(over, x - level, np.nan), 0.25, axis=0)
            count, got = cols.excess_quantile(level, 0.25)
            np.testing.assert_array_equal(count, over.sum(axis=0))
            np.testing.assert_array_equal(got, want)


def test_a_sorted_array_gives_numpys_quantiles_without_a_partition():
    rng = np.random.default_rng(5)
    levels = np.array([0.0, 0.5, 0.9, 0.95, 0.99, 0.9999, 1.0])
    for n in (1, 2, 3, 17, 256, 2_001):
        for x in (rng.standard_exponential(n), np.round(rng.normal(size=n), 1), np.full(n, 2.5)):
            ordered = np.sort(x)
            np.testing.assert_array_equal(
                SortedColumns.sorted_quantile(ordered, levels), np.quantile(ordered, levels)
            )
            for q in levels:
                got = SortedColumns.sorted_quantile(ordered, q)
                assert isinstance(got, float) and got == np.quantile(ordered, q)


def test_a_sorted_arrays_scalar_levels_keep_numpys_bits_at_the_edges():
    """The scalar reading (``_sorted_level``) against numpy's: infinities (their NaN),
    signed zeros, ties, a calibration's levels and levels that round near a whole index."""
    rng = np.random.default_rng(2206)
    levels = [0.0, 0.05, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0, 1 / 3, 2 / 3, 0.1, 0.7]
    cases = [
        np.array([-0.0, 0.0, 0.0, -0.0]),
        np.array([-np.inf, 1.0, np.inf]),
        np.array([1.0, np.inf, np.inf]),
        np.array([-np.inf, -np.inf, 2.0]),
        np.array([7.0]),
        np.array([-0.0]),
        np.array([-0.0, -0.0]),
        rng.standard_t(2, 1001) * 1e300,
        rng.random(20_000) * 1e-300,
        np.round(rng.standard_exponential(999), 2),
    ]
    for x in cases:
        ordered = np.sort(x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            want = np.quantile(ordered, levels)
        got = SortedColumns.sorted_quantile(ordered, np.array(levels))
        assert got.tobytes() == want.tobytes()  # NaN where numpy's and signed zeros too
        for q, w in zip(levels, want, strict=True):
            one = SortedColumns.sorted_quantile(ordered, q)
            assert isinstance(one, float)
            assert np.array(one).tobytes() == np.array(w).tobytes()


def test_the_weekday_scatter_reads_numpys_quantile():
    """The weekday effects' trimmed scatter (a fleet tick's) keeps nanquantile's numbers."""
    from telecom_nb.features import weekly

    rng = np.random.default_rng(1260)
    dev = rng.standard_t(3, size=(1000, 9))
    dev[rng.random(dev.shape) < 0.2] = np.nan
    dev[:, 2] = np.nan
    noise = rng.random(dev.shape)
    dev2 = dev**2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        cut = np.nanquantile(dev2, 1.0 - weekly.SCATTER_TRIM, axis=0)
        kept = dev2 <= cut
        want = np.nanmean(np.where(kept, dev2, np.nan), axis=0) / weekly.TRIMMED_Z2 - np.nanmean(
            np.where(kept, noise, np.nan), axis=0
        )
        np.testing.assert_array_equal(weekly._trimmed_excess(dev, noise), want)


@pytest.mark.parametrize("rows", [1, 2, 3, 20, 999, 1000, 4001])
def test_the_trimmed_pass_is_numpys_quantile_and_masked_means(rows):
    """``trimmed_means`` (one compiled pass) gives the bits of ``np.nanquantile`` and
    ``mean_where`` of the kept rows: NaN here and there and whole columns of them, ties
    at the cut, infinities, zeros, every level from 0 to 1; other layouts and one column
    go back to numpy (None)."""
    from telecom_nb.features.masked_mean import mean_where
    from telecom_nb.features.trimmed_scatter import _trimmed, trimmed_means

    rng = np.random.default_rng(rows)
    dev = rng.standard_t(2, size=(rows, 9))
    dev[rng.random(dev.shape) < 0.2] = np.nan
    dev[:, 2] = np.nan
    dev[:, 3] = np.round(dev[:, 3])  # ties
    dev[:, 4] = 0.0
    dev[0, 5] = np.inf
    dev[rows // 2, 6] = -np.inf
    dev[:, 7] *= 1e-160  # squares underflow to zeros and subnormals
    noise = rng.random(dev.shape)
    noise[rng.random(dev.shape) < 0.1] = np.nan
    dev2 = dev**2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for q in (0.0, 0.3, 0.5, 0.95, 0.999, 1.0):
            kept = dev2 <= np.nanquantile(dev2, q, axis=0)
            got = trimmed_means(dev, noise, q)
            assert got is not None or _trimmed is None
            if got is not None:
                assert got[0].tobytes() == mean_where(dev2, kept).tobytes()
                assert got[1].tobytes() == mean_where(noise, kept).tobytes()
    assert trimmed_means(dev[:, :1].copy(), noise[:, :1].copy(), 0.95) is None
    if rows > 1:  # one row is both layouts
        assert trimmed_means(np.asfortranarray(dev), noise, 0.95) is None


@pytest.mark.parametrize("cols", [1, 2, 3, 7, 9, 16, 40])
@pytest.mark.parametrize("rows", [0, 1, 2, 9, 1000, 3001])
def test_masked_means_are_numpys_bits(rows, cols):
    """Sequential per column as numpy's reduction over the first axis (values over 9
    decades: a different order would move the last bits)."""
    from telecom_nb.features.masked_mean import mean_where

    rng = np.random.default_rng(1261 + rows + cols)
    x = rng.normal(size=(rows, cols)) * 10.0 ** rng.integers(-4, 5, size=(rows, cols))
    x[rng.random(x.shape) < 0.1] = np.nan
    if cols > 2:
        x[:, 2] = np.nan
    if rows > 1:
        x[0, 0] = -0.0
    mask = rng.random(x.shape) < 0.8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np.nanmean(np.where(mask, x, np.nan), axis=0)
    np.testing.assert_array_equal(mean_where(x, mask), want)


@pytest.mark.parametrize(("seed", "rows"), [(5, 20_000), (6, 11), (7, 1)])
def test_same_numbers_as_quantile_without_nan(seed, rows):
    """A feature-tail fit reads its window's quantiles from one sort (no NaN there)."""
    x = np.nan_to_num(block(seed, rows), nan=0.5)
    cols = SortedColumns(x)
    np.testing.assert_array_equal(
        cols.quantile(np.array([0.5, 0.75])), np.quantile(x, [0.5, 0.75], axis=0)
    )
    np.testing.assert_array_equal(cols.quantile(0.95), np.quantile(x, 0.95, axis=0))
    known = SortedColumns(x, no_nan=True)  # told there is no NaN: the same counts, no pass
    np.testing.assert_array_equal(known.count, cols.count)
    np.testing.assert_array_equal(known.quantile(0.95), cols.quantile(0.95))
    level = cols.quantile(0.9)
    for got, want in zip(
        known.excess_quantile(level, 0.25), cols.excess_quantile(level, 0.25), strict=True
    ):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("shape", [(1000, 9), (3, 2), (0, 4), (50, 3, 4), (7, 1), (5,)])
def test_column_counts_and_any_are_numpys(shape):
    from telecom_nb.features.masked_mean import column_any, column_counts

    mask = np.random.default_rng(1262).random(shape) < 0.01
    for got, want in (
        (column_counts(mask), mask.sum(axis=0)),
        (column_any(mask), mask.any(axis=0)),
    ):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_masked_means_of_a_column_ordered_block_are_numpys():
    """A fancy-indexed ``raw[:, cols]`` is column-ordered: numpy sums it pairwise (the
    count ratios' fleet mean on an OSS export moved in its last bits when read in row
    order)."""
    from telecom_nb.features.masked_mean import mean_where

    rng = np.random.default_rng(1263)
    raw = rng.normal(size=(192, 6)) * 10.0 ** rng.integers(-4, 5, size=(192, 6))
    raw[rng.random(raw.shape) < 0.1] = np.nan
    v = raw[:, np.array([0, 2, 5])]
    seen = np.isfinite(v)
    want = np.nanmean(np.where(seen, v, np.nan), axis=0)
    np.testing.assert_array_equal(mean_where(v, seen), want)
    np.testing.assert_array_equal(
        mean_where(v.astype(np.float32), seen),
        np.nanmean(np.where(seen, v.astype(np.float32), np.nan), axis=0),
    )


@pytest.mark.parametrize("rows", [1, 2, 5, 1000])
def test_counts_above_a_level_are_numpys_with_signed_zeros_infinities_and_nan(rows):
    """The excess counts come from a binary search of the sorted columns: -0.0 beside 0.0,
    infinities, NaN values and NaN levels count as numpy's ``block > level`` does."""
    rng = np.random.default_rng(1926 + rows)
    x = rng.choice(np.array([-0.0, 0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 2.5]), (rows, 6))
    x[:, 5] = np.nan
    cols = SortedColumns(x)
    for level in (
        [0.0, -0.0, 1.0, np.inf, -np.inf, np.nan],
        [-0.0, 0.0, np.nan, 2.5, -1.0, 0.0],
        [3.0, -3.0, 0.5, 1.0, 2.5, -np.inf],
    ):
        with np.errstate(invalid="ignore"):
            want = (x > np.array(level)).sum(axis=0)
        np.testing.assert_array_equal(cols.above(np.array(level)), want)
        np.testing.assert_array_equal(cols.excess_quantile(np.array(level), 0.25)[0], want)


def test_the_sorted_absolute_block_is_numpys_with_its_constant_columns_left_unsorted():
    """``of_abs`` sorts only the columns holding two values (one series' window: half its
    columns constant): the arrays equal numpy's sort of ``|block|`` byte for byte, a
    column that changes only in its last row or in its first is sorted, and a NaN gives
    None (numpy's NaN quantiles instead)."""
    rng = np.random.default_rng(2216)
    x = rng.standard_t(3, size=(501, 9))
    x[:, 0] = 0.0
    x[::2, 1] = -0.0  # signed zeros: |x| is one value
    x[:, 1] = np.where(x[:, 1] == 0, x[:, 1], 0.0)
    x[:, 2] = -3.5
    x[-1, 3], x[:-1, 3] = 7.0, 2.0  # changes in its last row only
    x[0, 4], x[1:, 4] = -1.0, 2.0  # and in its first
    x[:, 5] = np.round(x[:, 5])  # ties
    x[3, 6], x[7, 6] = np.inf, -np.inf
    x[:, 7] = np.inf
    view = np.hstack([x, x[:, :4]])[:, :9]  # the detector's: a slice of wider rows
    for block in (x, view, x[:1], x[:2, ::-1]):
        got = SortedColumns.of_abs(block)
        want = SortedColumns(np.abs(block), no_nan=True)
        assert np.ascontiguousarray(got.ordered).tobytes() == want.ordered.tobytes()
        assert list(got.count) == list(want.count)
        qs = np.array([0.5, 0.75, 0.95])
        with np.errstate(invalid="ignore"):
            assert got.quantile(qs).tobytes() == want.quantile(qs).tobytes()
    x[250, 8] = np.nan
    assert SortedColumns.of_abs(x) is None


@pytest.mark.parametrize("n", [1, 2, 3, 8, 501, 2000])
def test_selected_positions_hold_numpys_sorted_values(n):
    """``select_positions`` leaves at each asked position the value ``np.sort`` puts there
    and keeps the row's values (moved, not changed): a row tied at zero on the position,
    one all zero, one with no zero, one positive only, and a -0.0 or a NaN (sorted)."""
    rng = np.random.default_rng(2803 + n)
    rows = [
        np.where(rng.random(n) < 0.4, 0.0, rng.standard_t(3, n)),
        np.zeros(n),
        rng.standard_normal(n),
        np.abs(rng.standard_normal(n)) + 1.0,
        np.round(rng.standard_normal(n)) + 0.0,  # ties (+ 0.0: no -0.0)
    ]
    signed, missing = rng.standard_normal(n), rng.standard_normal(n)
    signed[n // 2], missing[0] = -0.0, np.nan
    for row in (*rows, signed, missing):
        want = np.sort(row)
        for at in (read_positions(n, np.array([0.5, 0.75])), np.arange(n), np.array([0])):
            got = row.copy()
            select_positions(got, at)
            if (np.signbit(row) & (row == 0)).any():  # np.sort's zeros take either sign
                np.testing.assert_array_equal(got[at], want[at])
            else:
                assert got[at].tobytes() == want[at].tobytes()
            assert np.sort(got).tolist() == want.tolist() or row is missing


def test_body_quantiles_of_the_absolute_block_are_the_sorted_blocks():
    """``abs_quantiles`` (a body fit's q50 and q75, selected in place) gives the numbers
    of ``of_abs``'s sorted block byte for byte, with constant columns, signed zeros, ties
    at zero, infinities and the levels 0 and 1; a NaN gives None as ``of_abs``."""
    rng = np.random.default_rng(2804)
    x = rng.standard_t(3, size=(777, 8))
    x[rng.random(x.shape) < 0.3] = 0.0
    x[:, 0] = 0.0
    x[::3, 1] = -0.0
    x[:, 2] = -2.5
    x[:, 3] = np.round(x[:, 3])
    x[5, 4], x[9, 4] = np.inf, -np.inf
    for block in (x, x[:1], x[:2], x[::-1, 2:]):
        for qs in (np.array([0.5, 0.75]), np.array([0.0, 0.3, 1.0])):
            want = SortedColumns.of_abs(block).quantile(qs)
            assert SortedColumns.abs_quantiles(block, qs).tobytes() == want.tobytes()
    x[400, 6] = np.nan
    assert SortedColumns.abs_quantiles(x, np.array([0.5])) is None
