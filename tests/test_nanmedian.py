"""The one-sort column nanmedian gives numpy's numbers exactly (both of numpy's paths)."""

from __future__ import annotations

import warnings

import numpy as np

from telecom_nb.features.group_median import nanmedian_fast


def test_same_as_numpy_nanmedian():
    rng = np.random.default_rng(0)
    for _ in range(1500):
        n = int(rng.choice([2, 3, 4, 5, 10, 31, 599, 600, 601, 1000]))
        k = int(rng.integers(1, 6))
        block = rng.normal(size=(n, k)) * 10.0 ** rng.integers(-5, 5)
        if rng.random() < 0.3:
            block = np.round(block)  # ties
        block[rng.random((n, k)) < rng.random()] = np.nan
        block[0, 0] = np.nan  # the fast path is for blocks with NaN
        for value, p in ((np.inf, 0.2), (-np.inf, 0.2), (1.7e308, 0.05)):
            if rng.random() < p:
                block[rng.random((n, k)) < 0.05] = value
        if rng.random() < 0.1:
            block[:, -1] = np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanmedian(block, axis=0)
        np.testing.assert_array_equal(nanmedian_fast(block), expected)


def test_fleet_median_same_as_numpy_nanmedian():
    from telecom_nb.features.group_median import fleet_median

    rng = np.random.default_rng(1)
    for n in (12, 500, 599, 600, 4000):
        values = rng.normal(size=(n, 5))
        counts = rng.integers(0, 20, size=(n, 5)).astype(float)
        med, enough = fleet_median(values, counts, 8)
        sample = slice(None, None, max(1, n // 2000))
        warm = counts[sample] >= 8
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            want = np.nanmedian(np.where(warm, values[sample], np.nan), axis=0)
        np.testing.assert_array_equal(med, np.where(enough, want, np.nan))


def test_group_medians_paths_agree(monkeypatch):
    from telecom_nb.features import group_median

    rng = np.random.default_rng(2)
    for n, groups in ((50, 3), (700, 31), (2500, 31), (3000, 400)):
        codes = rng.integers(0, groups, n)
        values = rng.normal(size=(n, 4)) * 10.0 ** rng.integers(-3, 3)
        values[: n // 3] = np.round(values[: n // 3])  # ties
        values[rng.random((n, 4)) < 0.1] = np.nan
        results = []
        for few_rows in (0, 10**9):  # the loop over groups, then one sort per column
            monkeypatch.setattr(group_median, "FEW_ROWS", few_rows)
            results.append(group_median.group_medians(codes, values, groups + 1, 3))
        np.testing.assert_array_equal(results[0], results[1])


def _awkward_block(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """Values with ties, both infinities and sums that overflow."""
    block = rng.normal(size=(n, k)) * 10.0 ** rng.integers(-5, 5)
    if rng.random() < 0.3:
        block = np.round(block)  # ties
    for value, p in ((np.inf, 0.2), (-np.inf, 0.2), (1.7e308, 0.05), (0.0, 0.2)):
        if rng.random() < p:
            block[rng.random((n, k)) < 0.05] = value
    return block


def test_no_nan_block_same_as_numpy_median():
    """A block without NaN takes the compiled selection: np.median's numbers."""
    rng = np.random.default_rng(3)
    for _ in range(1500):
        n = int(rng.choice([2, 3, 4, 5, 10, 31, 599, 600, 601, 1000, 2001]))
        block = _awkward_block(rng, n, int(rng.integers(1, 6)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # inf - inf
            expected = np.median(block, axis=0)
        np.testing.assert_array_equal(nanmedian_fast(block), expected)


def test_compiled_group_medians_same_as_lexsort(monkeypatch):
    """The compiled group medians give the one-lexsort-per-column path's numbers."""
    from telecom_nb.features import group_median, median_kernel

    if median_kernel.numba is None:
        return
    rng = np.random.default_rng(4)
    monkeypatch.setattr(group_median, "FEW_ROWS", 10**9)  # never the loop over groups
    for _ in range(300):
        n = int(rng.choice([3, 10, 50, 500, 1999]))
        groups = int(rng.integers(1, 40))
        codes = rng.integers(0, groups, n)
        values = _awkward_block(rng, n, int(rng.integers(1, 5)))
        values[rng.random(values.shape) < rng.random() * 0.5] = np.nan
        min_count = int(rng.integers(1, 4))
        got = group_median.group_medians(codes, values, groups + 1, min_count)
        with monkeypatch.context() as m, warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            m.setattr(median_kernel, "numba", None)
            want = group_median.group_medians(codes, values, groups + 1, min_count)
        np.testing.assert_array_equal(got, want)


def test_few_group_medians_same_as_loop_over_groups(monkeypatch):
    """The one compiled pass over few groups gives the loop over groups' numbers: NaN in
    some groups only, empty, one-row and all-NaN groups, infinities, overflow, signed zeros;
    float32 stays on the loop (np.median partitions its own way)."""
    from telecom_nb.features import group_median, median_kernel

    if median_kernel.numba is None:
        return
    rng = np.random.default_rng(5)
    monkeypatch.setattr(group_median, "FEW_ROWS", 1)  # the few-groups path at any size
    for trial in range(300):
        n = int(rng.choice([1, 2, 5, 40, 700, 1300]))
        groups = int(rng.integers(1, 12))
        codes = rng.integers(0, groups, n)
        codes[rng.random(n) < 0.6] = groups - 1  # a large group (over 600 rows) beside small
        values = _awkward_block(rng, n, int(rng.integers(1, 5)))
        if rng.random() < 0.5:  # NaN in some groups' rows only
            nan_rows = np.isin(codes, rng.integers(0, groups, 2))
            values[nan_rows & (rng.random(n) < rng.random())] = np.nan  # whole rows
            values[nan_rows[:, None] & (rng.random(values.shape) < 0.3)] = np.nan
        if rng.random() < 0.5:  # a median whose double overflows: (hi + hi) / 2 is inf
            values[codes == rng.integers(0, groups), rng.integers(0, values.shape[1])] = 1.7e308
        dtype = np.float32 if trial % 3 == 0 else np.float64
        with np.errstate(over="ignore"):
            values = values.astype(dtype)
        min_count = int(rng.integers(0, 4))
        got = group_median.group_medians(codes, values, groups + 1, min_count)
        with monkeypatch.context() as m, warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            m.setattr(median_kernel, "few_group_medians", lambda *a: None)
            want = group_median.group_medians(codes, values, groups + 1, min_count)
        np.testing.assert_array_equal(got, want)
        assert np.array_equal(np.signbit(got), np.signbit(want))  # 0.0 and -0.0 too


def test_few_group_medians_numpy_paths_by_group(monkeypatch):
    """Each group takes its own numpy path: a NaN anywhere in a group under 600 rows makes
    an odd count's huge middle value (hi + hi) / 2 = inf; one row, or 600 rows, keep it."""
    from telecom_nb.features import group_median

    monkeypatch.setattr(group_median, "FEW_ROWS", 1)
    big = 1.7e308
    sizes = (3, 3, 1, 601, 601)  # NaN rows: groups 1, 2 (its one row), 4 (so 600 left)
    codes = np.repeat(np.arange(5), sizes)
    values = np.full((len(codes), 2), big)
    for g in (1, 2, 4):
        values[np.flatnonzero(codes == g)[0], 1] = np.nan
    med = group_median.group_medians(codes, values, 6, 0)
    np.testing.assert_array_equal(med[:, 0], [big, np.inf, big, big, big, np.nan])
    # an even count's (lo + hi) / 2 overflows on every path
    np.testing.assert_array_equal(med[:, 1], [big, np.inf, np.nan, big, np.inf, np.nan])
    monkeypatch.setattr(group_median.median_kernel, "few_group_medians", lambda *a: None)
    np.testing.assert_array_equal(group_median.group_medians(codes, values, 6, 0), med)


def test_lanes_same_as_numpy_nanmedian_axis1():
    """Few-series level shift: each sector's and KPI's median over 7 days (no -0.0: the
    level shift's means leave zeros out, and a lane of -0.0 alone reads +0.0 in numpy)."""
    from telecom_nb.features.group_median import nanmedian_lanes

    rng = np.random.default_rng(2)
    for _ in range(300):
        shape = (int(rng.integers(1, 12)), int(rng.choice([1, 2, 3, 7])), int(rng.integers(1, 9)))
        a = rng.normal(size=shape) * 10.0 ** rng.integers(-3, 3)
        if rng.random() < 0.3:
            a = np.round(a) + 0.0  # ties (+0.0: no -0.0)
        a[rng.random(shape) < rng.random()] = np.nan  # all-NaN lanes too
        if rng.random() < 0.2:
            a[rng.random(shape) < 0.1] = rng.choice([np.inf, -np.inf, 1.7e308])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanmedian(a, axis=1)
        np.testing.assert_array_equal(nanmedian_lanes(a), expected)
        assert np.array_equal(np.signbit(nanmedian_lanes(a)), np.signbit(expected))


def test_radix_median_same_bits_as_quickselect():
    """From RADIX_FROM values a column's median is a radix selection over the floats'
    bits: the quickselect's number bit for bit (negatives, ties, infinities, subnormals,
    one value repeated), and a column with a -0.0 keeps the quickselect's pick."""
    from telecom_nb.features import median_kernel

    if median_kernel.numba is None:
        return
    rng = np.random.default_rng(2106)
    counts = np.empty(256, dtype=np.int64)
    for case in range(600):
        n = int(rng.choice([64, 65, 100, 999, 1000, 2001]))
        column = _awkward_block(rng, n, 1)[:, 0]
        if case % 5 == 0:
            with np.errstate(over="ignore"):
                column = np.round(column * 2) / 2  # many ties at the middle
        if case % 7 == 0:
            column[rng.random(n) < 0.3] = 5e-324  # subnormal ties
        if case % 11 == 0:
            column[:] = column[0]  # one value only
        column[column == 0] = 0.0  # +0.0 only: the radix path's domain
        odd_twice = bool(case % 2)
        keys = np.empty(n, dtype=np.uint64)
        fast = median_kernel._radix_middle(column.copy(), n, odd_twice, keys, counts)
        slow = median_kernel._middle(column.copy(), n, n, odd_twice)
        assert np.float64(fast).tobytes() == np.float64(slow).tobytes(), case
    mixed = np.zeros((1000, 1))
    mixed[:700, 0] = -0.0  # the radix order would give -0.0, the quickselect +0.0
    out, expected = np.empty(1), np.empty(1)
    median_kernel._columns(mixed, False, out)
    expected[0] = median_kernel._middle(mixed[:, 0].copy(), 1000, 1000, False)
    assert out.tobytes() == expected.tobytes()
