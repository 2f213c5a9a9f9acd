"""``telecom-nb detect`` holds no needless copy in the load and the write (issue 12: a
replay's peak RSS within 3x its decoded table): the schema's province column is made
without a Python string per row, the KPIs are read without a copy of the other columns,
and the write runs after the detector (model, windows, features' state) has gone."""

from __future__ import annotations

import gc
import importlib
import tracemalloc
import weakref
from pathlib import Path

import numpy as np
import pandas as pd

from telecom_nb import heap_trim, schema
from telecom_nb.cli import main
from telecom_nb.sources.ingest import load_source

ingest = importlib.import_module("telecom_nb.sources.ingest")
commands = importlib.import_module("telecom_nb.cli.commands")
detect_memory = importlib.import_module("telecom_nb.engine.detect_memory")


def _table(rows: int, sectors: int = 100) -> pd.DataFrame:
    """A fleet table in the project schema, every row kept by the load."""
    rng = np.random.default_rng(2242)
    ticks = rows // sectors
    ids = np.array([f"SEC-{i:05d}" for i in range(sectors)])
    provinces = np.array(["Tehran", "Fars", "Gilan", "Isfahan"])[np.arange(sectors) % 4]
    return pd.DataFrame({
        schema.TIMESTAMP: np.repeat(
            pd.date_range("2026-01-05", periods=ticks, freq="1h", tz="UTC"), sectors),
        schema.SECTOR: pd.array(np.tile(ids, ticks), dtype="str"),
        schema.PROVINCE: pd.array(np.tile(provinces, ticks), dtype="str"),
        schema.LAT: np.tile(rng.uniform(30, 36, sectors), ticks),
        schema.LON: np.tile(rng.uniform(48, 56, sectors), ticks),
        **{k: rng.gamma(2.0, 10.0, ticks * sectors) for k in schema.KPIS},
    })


def test_the_load_makes_no_string_per_row_and_reads_only_the_kpis(monkeypatch):
    table = _table(100_000)
    seen: dict[str, object] = {}
    schema_frame, kpi_frame = ingest._schema_frame, ingest.kpi_frame

    def traced_schema_frame(raw, fate, roles):
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        out = schema_frame(raw, fate, roles)
        seen["per_row"] = (tracemalloc.get_traced_memory()[1] - before) / len(raw)
        seen["raw"] = raw
        return out

    def spied_kpi_frame(rows, kpis, name, messages):
        seen["kpi_rows"] = rows
        return kpi_frame(rows, kpis, name, messages)

    monkeypatch.setattr(ingest, "_schema_frame", traced_schema_frame)
    monkeypatch.setattr(ingest, "kpi_frame", spied_kpi_frame)
    tracemalloc.start()
    try:
        loaded = load_source("fleet.parquet", data=table)
    finally:
        tracemalloc.stop()
    # the timestamps and coordinates are ~40 B a row; a Python string per row of the
    # province column was ~75 B more (object pointers and the strings themselves)
    assert seen["per_row"] < 60, seen["per_row"]
    rows, raw = seen["kpi_rows"], seen["raw"]
    assert list(rows.columns) == list(schema.KPIS)  # not the strings and coordinates
    assert all(np.shares_memory(rows[k].to_numpy(), raw[k].to_numpy()) for k in schema.KPIS)
    frame = loaded.frame.sort_values([schema.TIMESTAMP, schema.SECTOR], ignore_index=True)
    want = table.sort_values([schema.TIMESTAMP, schema.SECTOR], ignore_index=True)
    assert frame[schema.PROVINCE].dtype == want[schema.PROVINCE].dtype
    pd.testing.assert_series_equal(frame[schema.PROVINCE], want[schema.PROVINCE])
    pd.testing.assert_frame_equal(frame[list(schema.KPIS)], want[list(schema.KPIS)])


def test_detect_writes_after_the_detector_has_gone(monkeypatch, tmp_path: Path):
    path = tmp_path / "fleet.parquet"
    _table(600, sectors=30).to_parquet(path, index=False)
    built: list[weakref.ref] = []
    alive: list[bool] = []
    build_detector, write_table = commands.build_detector, commands.write_table

    def recorded_build(*args, **kwargs):
        detector = build_detector(*args, **kwargs)
        built.append(weakref.ref(detector))
        return detector

    def checking_write(frame, out, **kwargs):
        gc.collect()
        alive.append(built[0]() is not None)  # the command's own detector
        return write_table(frame, out, **kwargs)

    monkeypatch.setattr(commands, "build_detector", recorded_build)
    monkeypatch.setattr(commands, "write_table", checking_write)
    out = tmp_path / "scored.parquet"
    assert main(["detect", str(path), "--out", str(out), "--quiet",
                 "--detector", "robust_z"]) == 0
    assert len(built) == 1 and alive == [False]
    assert len(pd.read_parquet(out)) == 600


def test_detect_replays_the_strings_as_codes_and_writes_them_back(monkeypatch, tmp_path):
    path = tmp_path / "fleet.parquet"
    table = _table(600, sectors=30)
    table.to_parquet(path, index=False)
    held, replay, released = {}, commands.replay, []

    def spied_replay(frame, *args, **kwargs):
        held.update(frame.dtypes.to_dict())
        return replay(frame, *args, **kwargs)

    monkeypatch.setattr(commands, "replay", spied_replay)
    monkeypatch.setattr(detect_memory, "release_compiler_code", lambda: released.append(1))
    monkeypatch.setattr(detect_memory, "return_large_blocks",
                        lambda *size: released.append(("large", *size)))
    out = tmp_path / "scored.parquet"
    assert main(["detect", str(path), "--out", str(out), "--quiet",
                 "--detector", "robust_z"]) == 0
    # sector ids and provinces held as codes through the replay (a few distinct strings
    # over every row), large blocks mapped alone and LLVM's pages let go before the load,
    # LLVM's again before the replay, and from there a block under one of the table's
    # columns taken from the heap (a wide fleet's tick matrices: heap_trim.column_block)
    assert isinstance(held[schema.SECTOR], pd.CategoricalDtype)
    assert isinstance(held[schema.PROVINCE], pd.CategoricalDtype)
    assert released == [("large",), 1, 1, ("large", heap_trim.column_block(600))]
    written = pd.read_parquet(out)  # ... and written back as the strings they were
    assert written[schema.SECTOR].dtype == table[schema.SECTOR].dtype
    assert written[schema.PROVINCE].dtype == table[schema.PROVINCE].dtype
    order = np.lexsort((table[schema.SECTOR], table[schema.TIMESTAMP]))
    assert written[schema.SECTOR].tolist() == table[schema.SECTOR].to_numpy()[order].tolist()


def test_bench_measures_the_memory_steps_detect_takes(monkeypatch, tmp_path):
    """bench's replay child repeated run_detect's memory steps line for line (a change to
    one copy would have the bench measure a run no user makes): both take them from
    ``engine/detect_memory``, in the same order around the load, replay and write."""
    import sys

    from telecom_nb.bench import _CHILD

    path = tmp_path / "fleet.parquet"
    _table(600, sectors=30).to_parquet(path, index=False)
    steps: list[str] = []
    load, replay, write_table = ingest.load_source, commands.replay, commands.write_table
    for name in ("return_large_blocks", "release_compiler_code", "release_freed_memory"):
        monkeypatch.setattr(detect_memory, name, lambda *a, name=name: steps.append(name))
    monkeypatch.setattr(ingest, "load_source", lambda *a, **k: (steps.append("load"),
                                                                 load(*a, **k))[1])
    replay_module = importlib.import_module("telecom_nb.engine.replay")
    monkeypatch.setattr(replay_module, "replay", lambda *a, **k: (steps.append("replay"),
                                                                   replay(*a, **k))[1])
    monkeypatch.setattr(commands, "replay", replay_module.replay)
    monkeypatch.setattr(commands, "write_table", lambda *a, **k: (steps.append("write"),
                                                                   write_table(*a, **k))[1])
    assert main(["detect", str(path), "--out", str(tmp_path / "a.parquet"), "--quiet",
                 "--detector", "robust_z"]) == 0
    detect, steps[:] = list(steps), []
    io = importlib.import_module("telecom_nb.cli.io")
    parquet = io.write_parquet
    monkeypatch.setattr(io, "write_parquet", lambda *a, **k: (steps.append("write"),
                                                               parquet(*a, **k))[1])
    monkeypatch.setattr(sys, "argv", ["-c", str(path), str(tmp_path / "b.parquet"),
                                      "robust_z"])
    exec(compile(_CHILD, "bench-child", "exec"), {"__name__": "bench_child"})
    assert steps == detect and "replay" in detect, (steps, detect)
    # ... and writes the table detect writes (its local_time column was missing: the bench
    # measured a write of one column fewer than a user's)
    written = [pd.read_parquet(tmp_path / f"{n}.parquet") for n in "ab"]
    assert list(written[1].columns) == list(written[0].columns)
    assert schema.LOCAL_TIME in written[1].columns


def test_the_kpis_are_read_into_one_block_without_a_second():
    """``kpi_frame`` fills the frame's float64 block a KPI at a time: ``pd.DataFrame`` of
    a dict of columns stacked them into a new block beside them (traced 65 B a row for
    four KPIs: each 8 B twice, and a column's temporaries; now 41)."""
    from telecom_nb.sources.values import kpi_frame

    n, kpis = 200_000, list(schema.KPIS)[:4]
    rows = _table(n)[kpis]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        frame = kpi_frame(rows, kpis, "fleet.parquet", [])
        per_row = (tracemalloc.get_traced_memory()[1] - before) / n
    finally:
        tracemalloc.stop()
    assert per_row < 52, per_row
    pd.testing.assert_frame_equal(frame, rows.reset_index(drop=True))
    assert len(frame._mgr.blocks) == 1


class _Cycle:
    """An object in a reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_the_collection_after_the_replay_walks_only_the_objects_made_since_the_load(
        tmp_path):
    """``take_table`` freezes the objects alive before the replay (the imports' ~115k in
    a fresh process) and ``after_replay`` collects the replay's cycles without walking
    them, then gives them back to the collector (one61: ~88 -> ~25 ms a detect)."""
    path = tmp_path / "fleet.parquet"
    _table(600, sectors=30).to_parquet(path, index=False)
    older = _Cycle()
    older_ref = weakref.ref(older)
    table = detect_memory.take_table(load_source(path))
    try:
        assert gc.get_freeze_count() > 1000  # the older objects are out of the walk
        del older  # dies while frozen: it waits for the thaw
        newer = _Cycle()
        newer_ref = weakref.ref(newer)
        del newer, table
    finally:
        detect_memory.after_replay()
    assert newer_ref() is None  # the replay's own cycles are collected ...
    assert gc.get_freeze_count() == 0 and older_ref() is not None  # ... the older given back
    gc.collect()
    assert older_ref() is None


def test_a_freeze_of_the_callers_own_is_left_to_it(tmp_path):
    path = tmp_path / "fleet.parquet"
    _table(600, sectors=30).to_parquet(path, index=False)
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        detect_memory.take_table(load_source(path))
        detect_memory.after_replay()
        # not thawed by after_replay (a few frozen objects die by their count meanwhile)
        assert gc.get_freeze_count() > frozen // 2 > 1000
    finally:
        gc.unfreeze()
