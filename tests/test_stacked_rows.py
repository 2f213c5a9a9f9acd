"""StackedRows: a replay segment's rows stacked as np.vstack stacks them, in one buffer."""

import numpy as np

from telecom_nb.detectors.stacked_rows import StackedRows


def _batches(rng, sizes, width=7, dtype=np.float64):
    out = [rng.standard_normal((n, width)).astype(dtype) for n in sizes]
    for b in out:  # the values a feature matrix holds besides normal ones
        if len(b):
            b[0, 0], b[-1, -1] = -0.0, np.nan
    return out


def _same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_segments_are_vstack_bit_for_bit_and_share_one_buffer():
    rng = np.random.default_rng(3073)
    rows = StackedRows(capacity=40)
    taken = []
    for sizes in ([10, 10, 10, 5], [3, 0, 12], [1]):
        batches = _batches(rng, sizes)
        for b in batches:
            rows.add(b)
        assert rows.sizes == list(sizes)
        x = rows.take()
        assert _same_bits(x, np.vstack(batches))
        assert len(rows) == 0
        taken.append(x)
    # the next segment is written where the last one was: no new matrix a flush
    assert np.shares_memory(taken[0], taken[1]) and np.shares_memory(taken[1], taken[2])


def test_a_segment_longer_than_the_buffer_grows_it():
    rng = np.random.default_rng(3074)
    rows = StackedRows(capacity=8)
    batches = _batches(rng, [5, 6, 20, 1])
    for b in batches:
        rows.add(b)
    assert _same_bits(rows.take(), np.vstack(batches))


def test_mixed_widths_or_dtypes_are_stacked_by_numpy():
    rng = np.random.default_rng(3073)
    for second in (_batches(rng, [4], width=5)[0],
                   _batches(rng, [4], dtype=np.float32)[0],
                   np.arange(7.0)):
        rows = StackedRows(capacity=16)
        batches = [*_batches(rng, [3, 2]), second, *_batches(rng, [2])]
        for b in batches:
            rows.add(b)
        try:
            want = np.vstack(batches)
        except ValueError:  # widths numpy cannot stack: neither can the segment
            want = None
        if want is None:
            try:
                rows.take()
            except ValueError:
                continue
            raise AssertionError("stacked what np.vstack refuses")
        assert _same_bits(rows.take(), want)
        # ... and the next segment is back in the buffer
        after = _batches(rng, [3, 3])
        for b in after:
            rows.add(b)
        assert _same_bits(rows.take(), np.vstack(after))
