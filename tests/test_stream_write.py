"""Issue 12's last peaks, cut without moving a byte: ``detect --out x.parquet`` writes the
scored table one row group at a time (the file byte-identical to ``to_parquet``'s), and a
Parquet export is read into pandas column by column (the same frame)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from telecom_nb.cli import io
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
