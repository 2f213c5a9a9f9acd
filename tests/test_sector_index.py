"""SectorIndex's lookup cache: ids recognised by identity, never by a stale guess."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb.sector_index import SectorIndex


def _column(ids: list[str]) -> pd.Series:
    return pd.Series(ids, dtype="str")


def test_aliases_and_arrow_columns_give_the_cached_positions():
    index = SectorIndex()
    first = _column(["a", "b", "c"])
    assert index.positions(first).tolist() == [0, 1, 2]
    again = np.array(["a", "b", "c"], dtype=object)  # equal ids, another array
    assert index.lookup(again, alias="key").tolist() == [0, 1, 2]
    assert any(a() is again for a in index._last_ids[1:])
    derived = pd.DataFrame({"sector": first}).assign(x=1.0)["sector"]  # same arrow array
    assert index.lookup(derived).tolist() == [0, 1, 2]
    other = _column(["c", "a", "d"])  # another tick's batch: looked up afresh
    assert index.lookup(other).tolist() == [2, 0, -1]
    assert index.positions(other).tolist() == [2, 0, 3]
    assert index.lookup(first).tolist() == [0, 1, 2]


def test_many_aliases_stay_bounded():
    index = SectorIndex()
    index.positions(np.array(["a", "b"], dtype=object))
    for _ in range(20):
        assert index.lookup(np.array(["a", "b"], dtype=object)).tolist() == [0, 1]
    assert len(index._last_ids) <= 8


def test_another_batch_of_the_same_sectors_is_known_by_its_arrow_content():
    """A new tick's column (a new Arrow array, equal strings) or a view's object array
    with that column as alias gives the cached positions without an object compare;
    a column that differs in one id is looked up afresh."""
    index = SectorIndex()
    assert index.positions(_column(["a", "b", "c"])).tolist() == [0, 1, 2]
    import telecom_nb.sector_index as si

    calls = []
    original = si._same
    si._same = lambda a, b: calls.append(1) or original(a, b)  # counts object compares
    try:
        nxt = _column(["a", "b", "c"])  # the next tick: equal ids, another arrow array
        assert index.lookup(nxt).tolist() == [0, 1, 2]
        view_ids = np.array(["a", "b", "c"], dtype=object)
        assert index.lookup(view_ids, alias=nxt.array.__arrow_array__()).tolist() == [0, 1, 2]
        assert calls == []
        assert index.lookup(_column(["a", "x", "c"])).tolist() == [0, -1, 2]
    finally:
        si._same = original


def test_ids_converted_from_arrow_are_not_kept():
    """A live tick's column is Arrow: its 100k ids as Python strings (~7 MB) were kept
    only for a rare object compare, which now converts the cached Arrow instead."""
    index = SectorIndex()
    assert index.positions(_column(["a", "b", "c"])).tolist() == [0, 1, 2]
    assert index._last_ids[0] is None
    again = np.array(["a", "b", "c"], dtype=object)  # no alias: compared by content
    assert index.lookup(again).tolist() == [0, 1, 2]
    assert index.lookup(np.array(["a", "b", "d"], dtype=object)).tolist() == [0, 1, -1]


def test_lookups_keep_no_python_string_per_id():
    """pandas' hash table, cached on the index, held each id as a Python string (~10 MiB a
    SectorIndex at 100k sectors): a lookup and a drill-down's ``position_of`` keep none."""
    import tracemalloc

    ids = pd.Series([f"S{i:06d}" for i in range(20_000)], dtype="str")
    index = SectorIndex()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        positions = index.positions(ids)
        assert index.position_of("S000123") == 123 and index.position_of("none") == -1
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(positions, np.arange(20_000))
    np.testing.assert_array_equal(index.lookup(ids.iloc[::-1]), np.arange(20_000)[::-1])
    assert kept < 400_000  # 20k strings held: ~1.2 MB


def test_an_extractors_rows_are_kept_on_the_view_until_its_registry_grows():
    """FeatureExtractor.rows answers a view's repeated asks from the view, and anew once
    the registry learned sectors (a kept -1 would hide a sector registered since) or
    for another registry."""
    from telecom_nb.features.base import FeatureExtractor
    from telecom_nb.features.view import BatchView

    ids = np.array(["a", "b", "c"], dtype=object)
    view = BatchView(ids, ids, pd.DatetimeIndex([0, 0, 0], tz="UTC"), np.zeros((3, 1)))
    one, other = FeatureExtractor(), FeatureExtractor()
    one.registry.register(np.array(["b"], dtype=object))
    first = one.rows(view)
    np.testing.assert_array_equal(first, [-1, 0, -1])
    asked = []
    lookup = one.registry.lookup
    one.registry.lookup = lambda *a, **k: asked.append(1) or lookup(*a, **k)
    assert one.rows(view) is first and not asked  # the view's own answer
    one.registry.register(np.array(["c", "a"], dtype=object))
    np.testing.assert_array_equal(one.rows(view), [2, 0, 1])
    assert asked
    other.registry.register(np.array(["c", "x", "y"], dtype=object))  # as many ids
    np.testing.assert_array_equal(other.rows(view), [-1, -1, 0])  # its own registry
    np.testing.assert_array_equal(one.rows(view), [2, 0, 1])


def test_the_count_follows_new_ids_and_known_ids_add_none():
    index = SectorIndex()
    assert len(index) == 0
    ids = _column(["a", "b"])
    assert index.positions(ids).tolist() == [0, 1]
    assert len(index) == 2
    assert index.positions(ids).tolist() == [0, 1]  # the cached lookup: nothing appended
    assert len(index) == 2
    assert index.positions(_column(["b", "c", "d"])).tolist() == [1, 2, 3]
    assert len(index) == 4 == len(index.ids)  # the count taken again on the grown Index


def test_lookups_of_replay_pieces_keep_no_piece_alive():
    """A replay looks up each piece's ids (new Python strings, equal content) and each
    timestamp's slice of them: strong aliases and a sliced reference kept whole pieces
    (~130 MB of id strings in a 4M-row replay, issue 12). Only the reference's own ids
    may stay once the caller dropped its pieces."""
    import gc
    import tracemalloc

    names = [f"sector-{i:07d}" for i in range(500)]
    index = SectorIndex()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(8):  # eight pieces of 40 timestamps, each its own strings
            piece = np.array([f"{n}" for _ in range(40) for n in names], dtype=object)
            for t in range(40):
                ids = piece[t * 500 : (t + 1) * 500]
                np.testing.assert_array_equal(index.positions(ids), np.arange(500))
                assert index.lookup(ids) is index._last_pos  # known by identity now
            del piece, ids
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 200_000, f"{kept:,} bytes kept"  # one piece alone: ~1.5 MB


def test_an_arrow_column_is_looked_up_and_grown_in_arrow_as_the_objects_would_be():
    """A long Arrow column (a replay piece) looked up uncached: ``index_in`` and Arrow's
    ``unique`` give the positions and the new ids' order the object path gives (the
    Python path is the reference, run on the same ids as an object array)."""
    import telecom_nb.sector_index as si

    rng = np.random.default_rng(2263)
    known = [f"s{i}" for i in rng.permutation(40)[:25]]
    ids = [f"s{i}" for i in rng.integers(0, 40, 3000)]  # repeats; 15 never seen
    fast, slow = SectorIndex(), SectorIndex()
    fast.positions(_column(known))
    slow.positions(np.array(known, dtype=object))
    column = _column(ids)
    assert si._plain_strings(si.arrow_key(column))
    assert fast.lookup(_column(ids)).tolist() == slow.lookup(np.array(ids, dtype=object)).tolist()
    assert fast.positions(column).tolist() == slow.positions(np.array(ids, dtype=object)).tolist()
    assert (
        fast.ids.tolist()
        == slow.ids.tolist()
        == [*known, *pd.unique(np.array([i for i in ids if i not in set(known)], dtype=object))]
    )
    assert fast._arrow_ids is not None and fast._arrow_ids[1] is not None
    # a missing id or an index holding a non-string: the object path, same answers
    gap = pd.Series(["s1", None, "s2"], dtype="str")
    assert not si._plain_strings(si.arrow_key(gap))
    mixed = SectorIndex()
    mixed.positions(np.array([7, "s1"], dtype=object))
    assert mixed.lookup(_column(["s1", "7"] * 50)).tolist() == [1, -1] * 50
    assert mixed._arrow_ids[1] is None
