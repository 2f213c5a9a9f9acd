"""A replay's string columns are built from codes in Arrow: the same columns as the
object arrays pandas used to infer them from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb.engine.replay import _few_objects, _scattered_str


def _objects(column: pd.Series | None, rows: np.ndarray | None, n: int, empty: str) -> pd.Series:
    """The object path: what the replay did before."""
    values = np.full(n, empty, dtype=object)
    if rows is not None:
        values[rows] = _few_objects(column)
    return pd.DataFrame({"c": values})["c"]


@pytest.mark.parametrize("case", ["strings", "missing", "unscored", "none scored"])
def test_scattered_str_equals_the_inferred_object_column(case: str):
    rng = np.random.default_rng(0)
    n = 40
    names = np.array(["", "prb_pct", "payload_mb"], dtype=object)[rng.integers(0, 3, 30)]
    if case == "missing":
        names[[3, 7]] = None
    column = pd.Series(names.tolist(), dtype="str")
    rows = rng.permutation(n)[:30] if case != "strings" else np.arange(30)
    if case == "none scored":
        column = rows = None
    n = 30 if case == "strings" else n
    fast = pd.DataFrame({"c": _scattered_str(column, rows, n, "")})["c"]
    pd.testing.assert_series_equal(fast, _objects(column, rows, n, ""))


def test_scattered_str_leaves_empty_tables_and_non_strings_to_the_object_path():
    assert _scattered_str(None, None, 0, "") is None
    assert _scattered_str(pd.Series([1, 2]), np.arange(2), 2, "") is None
