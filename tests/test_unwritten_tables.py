"""Per-sector tables only some data use stay unwritten (no pages) and read as if grown."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb.features.count_ratio import CountRatios
from telecom_nb.features.count_run import CountRuns
from telecom_nb.features.view import shared_labels
from telecom_nb.sector_index import grow_rows, grow_unwritten, is_unwritten, unwritten, written


def test_an_unwritten_table_grows_as_grow_rows_does() -> None:
    eager = np.zeros((0, 3, 2), dtype=np.int8)
    lazy = unwritten((0, 3, 2), 5, np.int8)
    for n in (10, 10, 40, 41, 200):  # capacity: max(n, 2 x size, 16), as grow_rows
        eager, lazy = grow_rows(eager, n, 5), grow_unwritten(lazy, n, 5)
        assert lazy.shape == eager.shape and lazy.dtype == eager.dtype
        np.testing.assert_array_equal(lazy, eager)
        assert is_unwritten(lazy) and lazy.base.nbytes == 1  # one cell, whatever the rows
    own = written(lazy)
    own[3, 1, 0] = 2  # written: a table of its own, then grown as before
    assert own.flags.writeable and own.base is None and not is_unwritten(own)
    assert grow_rows(own, 500, 5)[3, 1, 0] == 2 == grow_unwritten(own, 500, 5)[3, 1, 0]


def test_a_fleet_without_ratio_kpis_holds_no_count_tables() -> None:
    """The simulator's fleet (no ratio of counts): ~24 MB of tables at 100k sectors that
    were written with their fill and never read (on main every one was a full array)."""
    rng = np.random.default_rng(0)
    counts, runs = CountRatios(3, 24), CountRuns(3, 24)
    raw = rng.normal(50.0, 10.0, (2000, 3))  # continuous values: no lattice of few counts
    rows, slot = np.arange(2000), np.zeros(2000, dtype=np.int64)
    for _ in range(5):
        runs.update(counts, rows, slot, raw, 2000)
        counts.update(rows, slot, raw, 2000)
    assert not counts.ratios().any()
    tables = [counts.last_n_, counts.slot_n_, counts.rate_, counts.rate_n_, counts.shown_,
              runs.events_, runs.trials_, runs.typical_]
    assert all(is_unwritten(t) and len(t) == 2000 for t in tables)
    assert (counts.slot_n_ == 21).all() and (counts.rate_ == 0.0).all()
    # a ratio KPI (few counts: k of 7) writes them from then on
    lattice = np.round(rng.integers(0, 8, (2000, 3)) / 7.0 * 100.0, 2)
    for _ in range(30):
        counts.update(rows, slot, lattice, 2000)
    assert counts.ratios().any() and not is_unwritten(counts.rate_)
    assert counts.rate_n_[:, counts.ratios()].max() > 0


def test_shared_labels_are_the_column_with_one_object_a_label() -> None:
    column = pd.Series(["Tehran", "Fars", "Tehran", "Fars"] * 500, dtype="str")
    labels = shared_labels(column)
    assert labels.dtype == object
    assert list(labels) == list(column.to_numpy(dtype=object))
    assert labels[0] is labels[2] and len({id(x) for x in labels}) == 2
    missing = pd.Series(["a", None, "a"], dtype="str")
    assert shared_labels(missing)[0] == "a"
