"""What a live tick computes once instead of per row or per tick gives the same numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb.features.peers import PeerComparison
from telecom_nb.features.time_slots import _slots, local_ns, time_slots


@pytest.mark.parametrize("timezone", ["UTC", "Asia/Tehran"])
@pytest.mark.parametrize("when", ["2026-03-21 20:30:00", "1969-12-31 23:59:59.5"])
def test_one_time_slots_equal_each_rows(timezone: str, when: str):
    stamps = pd.DatetimeIndex([pd.Timestamp(when, tz="UTC")] * 50)
    got = time_slots(stamps, 96, timezone)
    want = _slots(local_ns(stamps, timezone), 96)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    mixed = stamps.append(pd.DatetimeIndex([pd.Timestamp("2026-01-01 03:00", tz="UTC")]))
    for a, b in zip(
        time_slots(mixed, 24, timezone), _slots(local_ns(mixed, timezone), 24), strict=True
    ):
        np.testing.assert_array_equal(a, b)


def test_province_codes_kept_only_for_the_same_array():
    peers = PeerComparison()
    first = np.array(["a", "b", "a", "c"], dtype=object)
    codes, labels = peers._province_codes(first)
    again = peers._province_codes(first)
    assert again[0] is codes and again[1] is labels  # the same array: not factorized again
    moved = np.array(["b", "b", "a", "c"], dtype=object)  # a sector re-homed: a new array
    codes2, labels2 = peers._province_codes(moved)
    want_codes, want_labels = pd.factorize(moved)
    np.testing.assert_array_equal(codes2, want_codes)
    assert list(labels2) == list(want_labels)
    np.testing.assert_array_equal(peers._province_codes(first.copy())[0], codes)


def test_area_neighbour_rows_kept_only_for_the_same_rows_and_table():
    from telecom_nb.features.area import AreaMedian, _same_tick

    area = AreaMedian(1, neighbours=3)
    rng = np.random.default_rng(3)
    area.locate(np.arange(12), rng.random((12, 2)), 12)
    times = np.zeros(12, np.int64)

    def check(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ok = (rows >= 0) & (rows < len(area.near_))
        got = area._neighbour_rows(rows, times[: len(rows)], ok, len(area.near_))
        want = _same_tick(rows, times[: len(rows)], ok, area.near_, len(area.near_))
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)
        return got

    first = check(np.arange(12))
    assert check(np.arange(12))[0] is first[0]  # the next tick, same sectors: kept
    check(np.r_[np.arange(5), np.arange(6, 12)])  # a sector missing: looked up again
    check(np.arange(12))
    area.locate(np.arange(12), rng.random((12, 2)), 12)  # sites moved: a new table
    check(np.arange(12))


def test_province_codes_kept_for_an_equal_array_of_strings_only():
    """A replay's tick is a new slice of the province column: equal strings in the same
    order keep the codes (no factorize); other labels, another order or non-strings that
    compare equal (1 == 1.0) factorize again."""
    peers = PeerComparison()
    first = np.array(["a", "b", "a", "c"], dtype=object)
    codes, labels = peers._province_codes(first)
    again = peers._province_codes(np.array(["a", "b", "a", "c"], dtype=object))
    assert again[0] is codes and again[1] is labels
    for other in (["a", "b", "c", "a"], ["a", "b", "c", pd.NA], ["a", "b", "a"]):
        got, got_labels = peers._province_codes(np.array(other, dtype=object))
        want, want_labels = pd.factorize(np.array(other, dtype=object))
        np.testing.assert_array_equal(got, want)
        assert list(got_labels) == list(want_labels)
    peers._province_codes(np.array([1, 2, 1], dtype=object))
    _, float_labels = peers._province_codes(np.array([1.0, 2.0, 1.0], dtype=object))
    assert [type(v) for v in float_labels] == [float, float]
