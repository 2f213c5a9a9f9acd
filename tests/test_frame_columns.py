"""A frame's column arrays read without Series: the same numbers as ``frame[name]``, and
the views built from them the same as the Series' (bit for bit: NaN, inf, text)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb.features import view as view_module
from telecom_nb.features.view import make_view
from telecom_nb.frame_columns import column_array


def _with_odd_nan(values: list[float]) -> np.ndarray:
    """``values`` with a NaN carrying a payload (a file's reader may keep one) at 1: the
    view's NaN is numpy's own either way."""
    out = np.array(values)
    out[1:2] = np.array([0x7FF8000000000001], dtype=np.uint64).view(np.float64)
    return out


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "timestamp": pd.to_datetime(["2026-01-01 00:00"] * 3, utc=True),
        "sector_id": ["a", "b", "c"],
        "province": ["P", None, "Q"],
        "lat": _with_odd_nan([35.0, 0.0, 36.0]),
        "lon": [51.0, 52.0, np.inf],
        "prb_pct": _with_odd_nan([1.0, 0.0, np.inf]),
        "payload_mb": pd.array([1, None, 3], dtype="Int64"),
    })


def test_the_array_is_the_columns_and_a_repeated_or_missing_label_is_none():
    frame = _frame()
    assert np.array_equal(column_array(frame, "lat"), frame["lat"].to_numpy(), equal_nan=True)
    assert column_array(frame, "sector_id") is frame["sector_id"].array
    assert column_array(frame, "nope") is None
    twice = pd.concat([frame[["lat"]], frame[["lat"]]], axis=1)
    assert column_array(twice, "lat") is None


def _read_as_series(frame: pd.DataFrame, name: str) -> None:  # the accessor "absent"
    return None


def test_a_view_from_arrays_is_the_view_from_series(monkeypatch):
    frame = _frame()
    kpis = ("prb_pct", "payload_mb")
    fast = make_view(frame, kpis)
    monkeypatch.setattr(view_module, "column_array", _read_as_series)
    slow = make_view(frame, kpis)
    assert fast.raw.tobytes() == slow.raw.tobytes()
    assert fast.coords.tobytes() == slow.coords.tobytes()
    assert list(fast.sector_ids) == list(slow.sector_ids)
    assert list(fast.provinces) == list(slow.provinces)
    assert fast.timestamps.equals(slow.timestamps) and fast.timestamps.name == "timestamp"
    assert fast.ids_key is slow.ids_key is not None


def test_a_registry_knows_a_columns_array_by_its_arrow():
    """The history sink looks the tick's ids up from the column's array: the same Arrow
    as the view's, so the registry answers from its cached lookup (no conversion)."""
    from telecom_nb.sector_index import SectorIndex, arrow_key

    frame = _frame()
    ids = column_array(frame, "sector_id")
    assert arrow_key(ids) is arrow_key(frame["sector_id"]) is not None
    index = SectorIndex()
    first = index.positions(frame["sector_id"])
    assert index.lookup(ids) is first  # the cached answer: known by its Arrow


class _NoWhere:
    """numpy for ``view.py`` without ``np.where`` (its rows x KPIs copy is what is tested)."""

    def __getattr__(self, name: str):
        if name == "where":
            raise AssertionError("np.where made a second rows x KPIs matrix")
        return getattr(np, name)


def test_a_views_inf_and_nan_become_numpys_nan_in_place(monkeypatch):
    """+-inf and a NaN's payload read numpy's NaN, finite values (and -0) as they are, in
    the one rows x KPIs matrix the view keeps (a 100k tick's second one was fresh pages)."""
    frame = _frame()
    frame["prb_pct"] = [-0.0, -np.inf, np.inf]
    kpis = ("prb_pct", "payload_mb", "lat")
    want = make_view(frame, kpis).raw
    monkeypatch.setattr(view_module, "np", _NoWhere())
    got = make_view(frame, kpis).raw
    assert got.tobytes() == want.tobytes()
    nan = np.array([np.nan]).tobytes()
    assert got[0, 0].tobytes() == np.array([-0.0]).tobytes()
    assert [got[i, j].tobytes() == nan for i, j in ((1, 0), (2, 0), (1, 1), (1, 2))] == [True] * 4
