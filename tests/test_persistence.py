"""The store and the checkpoints: what is kept, how it is read back, what a bad file does."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.engine.checkpoint import (
    CheckpointError,
    checkpoint_path,
    read_checkpoint,
    write_checkpoint,
)
from telecom_nb.engine.monitor import Monitor
from telecom_nb.engine.persist import MonitorState
from telecom_nb.engine.store import Store, StoreError, default_store_path
from telecom_nb.features.seasonal import SeasonalResiduals
from telecom_nb.sources.replay import ReplaySource
from telecom_nb.sources.simulator import KpiSimulator

N = 80


def _monitor(path, **kw) -> Monitor:
    return Monitor.simulated(n_sectors=N, seed=3, interval=0, store=path, **kw)


def _run(monitor: Monitor, n: int):
    return asyncio.run(monitor.step(n))


@pytest.fixture(scope="module")
def sixty(tmp_path_factory) -> tuple[Monitor, list, Path]:
    """60 ticks on a store (one test acknowledges in it) and a copy of the store as the run
    left it (another prunes the copy): one run for both."""
    folder = tmp_path_factory.mktemp("sixty")
    monitor = _monitor(folder / "s.db")
    scored = _run(monitor, 60)
    src, dst = sqlite3.connect(folder / "s.db"), sqlite3.connect(folder / "copy.db")
    src.backup(dst)
    src.close()
    dst.close()
    return monitor, scored, folder / "copy.db"


def test_store_holds_ticks_anomalies_episodes_and_acknowledgements(sixty):
    monitor, scored, _ = sixty
    store = monitor.store
    ticks = store.ticks()
    history = monitor.history_frame()
    assert ticks["tick"].tolist() == list(range(1, 61))
    pd.testing.assert_frame_equal(ticks[history.columns], history, check_dtype=False)
    flagged = pd.concat([s.frame[s.frame["is_anomaly"]] for s in scored])
    anomalies = store.anomalies()
    assert len(anomalies) == len(flagged) > 0
    assert set(anomalies["sector_id"]) == set(flagged["sector_id"])
    episodes = store.episodes()
    live = monitor.episodes_frame()
    assert sorted(episodes["episode_id"]) == sorted(live["episode_id"])
    merged = episodes.set_index("episode_id").loc[live["episode_id"]]
    np.testing.assert_allclose(merged["peak_score"], live["peak_score"])
    assert (merged["is_open"].to_numpy() == live["is_open"].to_numpy()).all()
    first = int(episodes["episode_id"].iloc[0])
    store.acknowledge(first, "known: site power work", who="noc-1")
    acked = store.episodes().set_index("episode_id").loc[first]
    assert (acked["ack_comment"], acked["ack_who"]) == ("known: site power work", "noc-1")
    assert store.sql("SELECT count(*) AS n FROM ticks WHERE n_anomalies > 0")["n"][0] > 0
    since = ticks["timestamp"].iloc[50]
    assert store.anomalies(since=since)["timestamp"].min() >= since
    # another process (here: another connection) reads while the stream writes
    other = sqlite3.connect(store.path)
    assert other.execute("SELECT count(*) FROM ticks").fetchone()[0] == 60


def test_retention_drops_old_data_time(sixty):
    store = Store.open(sixty[2])  # 60 ticks: the stream's own pruning (every 96) never ran
    store.retention = pd.Timedelta("6h")
    assert len(store.ticks()) == 60
    store.prune()
    ticks = store.ticks()
    span = ticks["timestamp"].max() - ticks["timestamp"].min()
    assert span <= pd.Timedelta("6h") and ticks["tick"].iloc[-1] == 60
    assert store.anomalies()["timestamp"].min() >= ticks["timestamp"].min()


def test_resume_restores_everything_learned(tmp_path):
    path = tmp_path / "s.db"
    a = _monitor(path, checkpoint_every=None)
    _run(a, 40)
    a.stop()  # not running: checkpoint by hand, as a stop of a live stream does
    assert a.checkpoint() == checkpoint_path(path)
    b = _monitor(path)
    assert b.tick == 40 and b.detector.is_ready and "resumed" in b.last_message
    assert b.model_version == a.model_version and b.open_episodes == a.open_episodes
    assert b.total_anomalies == a.total_anomalies and len(b.sectors) == len(a.sectors)
    pd.testing.assert_frame_equal(b.history_frame(), a.history_frame(), check_dtype=False)
    assert len(b.anomalies_frame()) == len(a.anomalies_frame())
    pd.testing.assert_frame_equal(b.engine.validator.last_values(),
                                  a.engine.validator.last_values())
    assert b.source.position == a.source.position == 40
    sid = a.sectors[schema.SECTOR].iloc[3]  # the drill-down's history survives the restart
    assert len(a.sector_history(sid)) == 40
    pd.testing.assert_frame_equal(b.sector_history(sid), a.sector_history(sid))
    for x, y in zip(_run(a, 10), _run(b, 10), strict=True):
        np.testing.assert_array_equal(x.frame["score"], y.frame["score"])
    pd.testing.assert_frame_equal(b.sector_history(sid), a.sector_history(sid))


def test_new_feature_state_is_picked_up_without_listing_it(tmp_path, monkeypatch):
    """A state array a feature gains later (e.g. a calendar-aware baseline) is kept."""
    reset, update = SeasonalResiduals._reset, SeasonalResiduals.update_view

    def _reset(self):
        reset(self)
        self.holiday_level_ = np.zeros((0, 2))

    def _update(self, view):
        update(self, view)
        n = len(self.registry)
        grown = np.zeros((n, 2))
        grown[: len(self.holiday_level_)] = self.holiday_level_
        grown[self.registry.lookup(view.sector_ids)] += 1.0
        self.holiday_level_ = grown

    monkeypatch.setattr(SeasonalResiduals, "_reset", _reset)
    monkeypatch.setattr(SeasonalResiduals, "update_view", _update)
    a = _monitor(tmp_path / "s.db")
    _run(a, 12)
    a.checkpoint()
    b = _monitor(tmp_path / "s.db")
    got = b.detector.features_.parts_[0].holiday_level_
    np.testing.assert_array_equal(got, np.full((N, 2), 12.0))


def _copy_store(src: Path, dst: Path) -> None:
    """A store file as its writer left it (sqlite's backup) and its checkpoint beside it."""
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    a.backup(b)
    a.close()
    b.close()
    shutil.copyfile(checkpoint_path(src), checkpoint_path(dst))


@pytest.fixture(scope="module")
def thirty(tmp_path_factory) -> tuple[Path, int]:
    """30 ticks on a store, checkpointed, for each damage below to copy (each ran its own)."""
    path = tmp_path_factory.mktemp("thirty") / "s.db"
    a = _monitor(path)
    _run(a, 30)
    a.checkpoint()
    return path, a.episodes.n_opened_


@pytest.mark.parametrize("damage", ["truncate", "garbage", "version"])
def test_bad_checkpoint_gives_one_message_and_a_cold_start_with_history_kept(tmp_path, damage,
                                                                            thirty):
    path = tmp_path / "s.db"
    _copy_store(thirty[0], path)
    opened = thirty[1]
    ck = checkpoint_path(path)
    if damage == "truncate":
        ck.write_bytes(ck.read_bytes()[: ck.stat().st_size // 2])
    elif damage == "garbage":
        raw = bytearray(ck.read_bytes())
        raw[len(raw) // 3: len(raw) // 3 + 4096] = b"\xa5" * 4096
        ck.write_bytes(bytes(raw))
    elif damage == "version":
        loaded = read_checkpoint(ck)
        manifest = {"format": "telecom_nb.checkpoint", "version": 999, "meta": loaded.meta,
                    "trees": loaded.trees}
        arrays = {**loaded.arrays, "__manifest__": np.frombuffer(
            json.dumps(manifest).encode(), dtype=np.uint8)}
        np.savez(ck, **arrays)
    b = _monitor(path)
    message = b.last_message
    assert str(ck) in message and "cold start" in message, message
    assert not b.detector.is_ready and b.tick == 30
    assert b.store.ticks()["tick"].tolist() == list(range(1, 31))  # history kept
    assert len(b.history_frame()) == 30
    assert not b.store.episodes()["is_open"].any()  # left-open episodes closed
    scored = _run(b, 2)
    assert [s.tick for s in scored] == [31, 32]
    assert b.store.ticks()["tick"].iloc[-1] == 32
    assert b.episodes.n_opened_ >= opened  # new episode ids never reuse stored ones


def test_another_stream_is_refused_in_one_line_and_the_store_is_untouched(tmp_path):
    """Two streams in one store would interleave their times (charts drawn backwards)."""
    path = tmp_path / "s.db"
    a = _monitor(path)
    _run(a, 5)
    a.checkpoint()
    before = path.stat().st_size, checkpoint_path(path).read_bytes()
    with pytest.raises(StoreError, match=r"holds another stream \(seed \d+, now 4\)") as err:
        Monitor.simulated(n_sectors=N, seed=4, interval=0, store=path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    assert (path.stat().st_size, checkpoint_path(path).read_bytes()) == before
    again = _monitor(path)  # the stream it belongs to still resumes
    assert again.tick == 5 and "resumed" in again.last_message


def test_a_checkpoint_never_unpickles(tmp_path):
    """An object array in the file is refused by numpy, its pickle never runs."""
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.npz"
    arrays = {"__manifest__": np.frombuffer(json.dumps(
        {"format": "telecom_nb.checkpoint", "version": 1, "meta": {}, "trees": {}}).encode(),
        dtype=np.uint8), "x": np.array([Evil()], dtype=object)}
    np.savez(path, **arrays)
    with pytest.raises(CheckpointError, match="unreadable"):
        read_checkpoint(path)
    assert not marker.exists()
    with zipfile.ZipFile(path) as z:  # and nothing we write needs pickle
        assert "x.npy" in z.namelist()


def test_written_checkpoints_hold_only_plain_arrays(tmp_path):
    monitor = Monitor.simulated(n_sectors=N, seed=3, interval=0)
    _run(monitor, 20)
    state = MonitorState(1, np.array(["a"], dtype=object), np.array(["p"], dtype=object),
                         np.zeros(1), np.zeros(1))
    write_checkpoint(tmp_path / "c.npz", {"detector": monitor.detector, "monitor": state},
                     {"tick": 20})
    with np.load(tmp_path / "c.npz", allow_pickle=False) as z:
        assert all(z[name].dtype != object for name in z.files)


def test_sources_seek_exactly():
    sim = KpiSimulator(50, seed=2)
    batches = [sim.next_batch() for _ in range(30)]
    other = KpiSimulator(50, seed=2)
    other.seek(25)
    pd.testing.assert_frame_equal(other.next_batch(), batches[25])
    replay = ReplaySource(pd.concat(batches, ignore_index=True))
    replay.seek(29)
    assert replay.next_batch()["timestamp"].iloc[0] == batches[29]["timestamp"].iloc[0]


def test_store_refuses_another_kpi_list(tmp_path):
    Store(tmp_path / "s.db", ["a", "b"])
    with pytest.raises(ValueError, match="KPIs a, b"):
        Store(tmp_path / "s.db", ["a", "c"])


def test_default_store_path_is_under_the_user_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_store_path() == tmp_path / "telecom_nb" / "live_monitor.db"


def test_notebook_store_setting(monkeypatch, tmp_path):
    from telecom_nb.ui.settings import notebook_settings

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    folder = tmp_path / "telecom_nb"
    assert notebook_settings({}).store == str(folder / "live_monitor-sim-500.db")
    # one file per stream: another fleet size or an export never resumes this one
    assert notebook_settings({"TELECOM_NB_SECTORS": "20000"}).store == str(
        folder / "live_monitor-sim-20000.db")
    export = notebook_settings({"TELECOM_NB_SOURCE": str(tmp_path / "a" / "source.toml")})
    other = notebook_settings({"TELECOM_NB_SOURCE": str(tmp_path / "b" / "source.toml")})
    assert Path(export.store).name.startswith("live_monitor-source-")
    assert export.store != other.store
    assert notebook_settings({"TELECOM_NB_TICKS": "5"}).store is None  # tests share no file
    assert notebook_settings({"TELECOM_NB_STORE": "none"}).store is None
    mine = str(tmp_path / "mine.db")
    short = notebook_settings({"TELECOM_NB_TICKS": "5", "TELECOM_NB_STORE": mine})
    assert short.store == mine and short.monitor_kwargs()["store"] == mine


def test_dashboard_acknowledgements_are_kept_in_the_store(tmp_path):
    """An incident acknowledged in one session is acknowledged again after a restart."""
    from telecom_nb.engine import Monitor

    path = tmp_path / "ack.db"
    first = Monitor.simulated(n_sectors=60, seed=4, interval=0, store=path,
                              source_params={"fault_rate": 4.0})
    asyncio.run(first.step(40))
    incidents = first.incidents_frame()
    assert len(incidents), "the simulator at this fault rate opens incidents"
    incident = int(incidents["incident_id"].iloc[0])
    first.acknowledge(incident, "field team on site", "noc-1")
    acked = set(first.incidents.acknowledgements_frame()["episode_id"])
    stored = first.store.sql("SELECT episode_id, comment, who FROM acknowledgements")
    assert set(stored["episode_id"]) == acked and set(stored["who"]) == {"noc-1"}
    first.persister.final_checkpoint()
    second = Monitor.simulated(n_sectors=60, seed=4, interval=0, store=path,
                               source_params={"fault_rate": 4.0})
    again = second.incidents.acknowledgements_frame()
    assert set(again["episode_id"]) == acked
    assert set(again["comment"]) == {"field team on site"}


def test_a_resumed_monitor_keeps_the_declared_bad_sides(tmp_path):
    path = tmp_path / "s.db"
    sides = {"prb_pct": "up", "latency_ms": "both"}
    a = Monitor.simulated(n_sectors=8, seed=3, interval=0, store=path, checkpoint_every=None,
                          bad_sides=sides)
    _run(a, 1)
    a.stop()
    a.checkpoint()
    b = Monitor.simulated(n_sectors=8, seed=3, interval=0, store=path)
    assert "resumed" in b.last_message and b.detector.bad_sides == sides
