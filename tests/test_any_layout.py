"""A kernel compiled once for any layout: C and F arrays take the same code, also when
row slices on several threads call it first at the same time."""

from __future__ import annotations

import numpy as np
import pytest

from telecom_nb.features import row_split
from telecom_nb.features.any_layout import AnyLayout

numba = pytest.importorskip("numba")


def _twice(table, out):  # pragma: no cover - compiled
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            out[i, j] = 2.0 * table[i, j]


@pytest.mark.usefixtures("split_rows")
def test_one_signature_for_every_layout_even_when_threads_compile_first():
    kernel = AnyLayout(numba.njit(_twice))
    table = np.arange(200.0).reshape(100, 2)
    out = np.zeros_like(table)
    row_split.over_rows(len(table), lambda lo, hi: kernel(table[lo:hi], out[lo:hi]))
    np.testing.assert_array_equal(out, 2 * table)
    fortran = np.asfortranarray(table)
    out_f = np.zeros_like(fortran)
    kernel(fortran, out_f)
    kernel(table[:, ::-1], out_f[:, ::-1])
    np.testing.assert_array_equal(out_f, 2 * table)
    assert len(kernel.kernel.signatures) == 1
