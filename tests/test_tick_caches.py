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
    for a, b in zip(time_slots(mixed, 24, timezone), _slots(local_ns(mixed, timezone), 24),
                    strict=True):
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
