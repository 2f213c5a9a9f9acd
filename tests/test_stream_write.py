"""Issue 12's load and write peaks, cut without moving a byte: ``detect --out x.parquet``
writes the scored table one row group at a time (the file byte-identical to
``to_parquet``'s), a Parquet export is read into pandas column by column, the load's sort
is taken a column at a time and its cadence comes from the sort's codes (the same frame
and counts)."""

from __future__ import annotations

import hashlib
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from telecom_nb.cli import io
from telecom_nb.sources import time_order
from telecom_nb.sources.reading import read_file


def _scored(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(1871)
    stamps = pd.date_range("2026-01-01", periods=rows, freq="min", tz="UTC")
    return pd.DataFrame({
        "timestamp": stamps,
        "local_time": stamps.tz_convert("Europe/Paris"),
        "sector_id": pd.array([f"S{i % 37:03d}" for i in range(rows)], dtype="str"),
        "prb_util": rng.normal(50, 10, rows),
        "score": rng.random(rows),
        "is_anomaly": rng.random(rows) < 0.01,
        "top_kpi": pd.array(np.where(rng.random(rows) < 0.5, "prb_util", ""), dtype="str"),
        "state": pd.array(np.where(rng.random(rows) < 0.1, None, "open"), dtype="str"),
    })


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("rows", [0, 999, 1000, 3_456])
def test_row_groups_written_one_at_a_time_give_the_same_bytes(tmp_path, monkeypatch, rows):
    monkeypatch.setattr(io, "ROW_GROUP_ROWS", 1000)
    frame = _scored(rows)
    frame.to_parquet(tmp_path / "whole.parquet", index=False, row_group_size=1000)
    io.write_table(frame, str(tmp_path / "pieces.parquet"))
    assert _digest(tmp_path / "pieces.parquet") == _digest(tmp_path / "whole.parquet")


def test_writing_in_pieces_converts_one_row_group_at_a_time(tmp_path, monkeypatch):
    """Fails if the whole frame goes to Arrow at once (the old write's peak)."""
    import pyarrow.parquet as pq

    monkeypatch.setattr(io, "ROW_GROUP_ROWS", 1000)
    sizes: list[int] = []
    write = pq.ParquetWriter.write_table

    def counted(self, table, *args, **kwargs):
        sizes.append(table.num_rows)
        return write(self, table, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", counted)
    io.write_table(_scored(3_456), str(tmp_path / "x.parquet"))
    assert sizes == [1000, 1000, 1000, 456]


def test_parquet_export_reads_as_before(tmp_path):
    frame = _scored(2_345)
    frame.to_parquet(tmp_path / "in.parquet", index=False)
    got = read_file(tmp_path / "in.parquet").frame
    pd.testing.assert_frame_equal(got, pd.read_parquet(tmp_path / "in.parquet"))
    got["score"] = 0.0  # the columns are the frame's own (nothing shared with Arrow)
    assert (got["score"] == 0.0).all()


def _mixed(rows: int) -> pd.DataFrame:
    frame = _scored(rows)
    frame["count"] = pd.array(np.arange(rows) % 5, dtype="Int64")
    frame["tag"] = np.array([None, "a", 3] * (rows // 3) + [None] * (rows % 3), dtype=object)
    return frame


def test_the_sort_taken_a_column_at_a_time_is_iloc():
    frame = _mixed(3_001)
    order = np.random.default_rng(1872).permutation(len(frame))
    want = frame.iloc[order].reset_index(drop=True)
    pd.testing.assert_frame_equal(time_order.taken(frame.copy(), order), want)


def test_the_sort_holds_one_column_beside_the_table():
    """The old ``iloc[order]`` held a second whole table (fails on it: ~1x extra)."""
    rows, n_cols = 200_000, 8
    order = np.random.default_rng(1872).permutation(rows)
    tracemalloc.start()
    try:
        columns = {f"k{i}": np.random.default_rng(1873 + i).random(rows) for i in range(n_cols)}
        frame = pd.DataFrame(columns, copy=False)  # a block per column, as the load has
        del columns
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        time_order.taken(frame, order)
        del frame
        peak = tracemalloc.get_traced_memory()[1] - held
    finally:
        tracemalloc.stop()
    assert peak < 0.4 * rows * n_cols * 8


def test_cadence_from_the_sorts_codes_is_the_cadence():
    frame = _mixed(3_001)
    shuffled = frame.sample(frac=1.0, random_state=1874)
    codes = pd.factorize(frame["sector_id"])[0].astype(np.int32)
    stamps = time_order.instants(frame["timestamp"])
    assert time_order.sector_cadence(frame, stamps=stamps, codes=codes) == pd.Timedelta("37min")
    assert time_order.sector_cadence(shuffled) == pd.Timedelta("37min")
