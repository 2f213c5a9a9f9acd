"""Partitioned backtests: same answer piece by piece, on one process and on Dask, after a
worker dies mid-partition; the plan keeps whole provinces together; and the national peer
statistic of a partitioned run is the unpartitioned stream's (pass 1 + reduction)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from telecom_nb import schema
from telecom_nb.backtest import backtest, pack, score_partition
from telecom_nb.backtest.partition import PartitionJob, PartitionReport
from telecom_nb.backtest.run import MANIFEST, NATIONAL_FILE
from telecom_nb.cli import main
from telecom_nb.detectors import make_detector
from telecom_nb.engine import replay
from telecom_nb.features.peers import PeerComparison
from telecom_nb.sources.ingest import load_source
from telecom_nb.sources.validation import BatchValidator

SCORED = [schema.SCORE, schema.IS_ANOMALY, schema.TOP_KPI, schema.ALERT_SCORE, schema.STATE]
KEY = [schema.TIMESTAMP, schema.SECTOR]
#: small but real: retrains happen (warm-up 1 day), several provinces, two date= pieces
SETTINGS = {"warmup_batches": 48, "retrain_interval": "6h"}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    from telecom_nb.sources.simulator import KpiSimulator

    table = KpiSimulator(n_sectors=36, seed=3).run(108)
    table["date"] = table[schema.TIMESTAMP].dt.strftime("%Y-%m-%d")
    path = tmp_path_factory.mktemp("kpis") / "ds"
    ds.write_dataset(pa.Table.from_pandas(table, preserve_index=False), path,
                     format="parquet", partitioning=ds.partitioning(
                         pa.schema([("date", pa.string())]), flavor="hive"))
    return path, table.drop(columns=["date"])


@pytest.fixture(scope="module")
def client():
    """One worker process: the partitions (two) still leave this process and come back,
    and a killed worker is still replaced; a second worker cost ~4 s of CPU to start (its
    imports) and checked nothing more."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  memory_limit="2GB", dashboard_address=None,
                                  host="127.0.0.1") as cluster, \
            distributed.Client(cluster) as c:
        yield c


def _read(out: Path) -> pd.DataFrame:
    frame = pd.read_parquet(out)
    frame["partition"] = frame["partition"].astype(str)
    return frame.sort_values(KEY).reset_index(drop=True)


@pytest.fixture(scope="module")
def local_run(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "out"
    result = backtest(dataset[0], out, engine="local", partitions=2, params=SETTINGS,
                      progress=False)
    return result, _read(out)


def test_pack_keeps_groups_whole_and_balances():
    sizes = {"Tehran": 84, "Fars": 30, "Isfahan": 33, "Ilam": 2, "Qom": 9, "Yazd": 6}
    plan = pack(sizes, 2)
    assert sorted(g for p in plan for g in p.groups) == sorted(sizes)
    assert [p.groups[0] for p in plan] == ["Tehran", "Isfahan"]  # largest first
    assert plan == pack(dict(reversed(sizes.items())), 2)  # input order does not matter
    assert len(pack(sizes, 50)) == len(sizes)  # never an empty partition
    assert len(pack(sizes)) == 1  # default: one per 2,000 sectors


def test_one_partition_read_by_day_is_the_plain_detect(dataset, tmp_path):
    """What ``detect`` does on the whole table: load it (rows sorted by time, sector), replay."""
    path, table = dataset
    result = backtest(path, tmp_path / "out", engine="local", partitions=1,
                      params=SETTINGS, progress=False)
    assert [p.files for p in result.partitions] == [2]  # two date= pieces
    got = _read(tmp_path / "out")
    det = make_detector("iforest")
    det.set_params(**SETTINGS)
    loaded = load_source(path, data=table).frame
    want = replay(loaded, det, schema.KPIS).frame.sort_values(KEY).reset_index(drop=True)
    assert det.model_version_ > 1  # retrains happened, across the piece boundary
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False)


def test_local_partitioned_run_keeps_every_row_once(local_run, dataset):
    result, got = local_run
    assert len(got) == len(dataset[1]) == result.rows
    assert not got.duplicated(KEY).any()
    by_province = got.groupby(schema.PROVINCE)["partition"].nunique()
    assert (by_province == 1).all()  # a province is scored in one partition
    assert got[schema.IS_ANOMALY].sum() == result.flagged > 0


def kill_once(job: PartitionJob) -> PartitionReport:
    """Score the partition; the first time partition 0 runs, SIGKILL the worker process
    as soon as its first piece is written (mid-partition)."""
    marker = Path(job.out).parent / "killed-once"
    if job.partition.index == 0 and not marker.exists():
        marker.touch()

        def watch() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if any(Path(job.out).glob(".partition=00000.tmp-*/part-*.parquet")):
                    os.kill(os.getpid(), signal.SIGKILL)
                time.sleep(0.005)

        threading.Thread(target=watch, daemon=True).start()
    return score_partition(job)


@pytest.mark.slow
def test_dask_gives_the_local_answer_after_a_killed_worker_is_replaced(local_run, dataset,
                                                                      client, tmp_path):
    """One Dask run, its worker killed mid-partition: the answer is still the local one.

    The first worker is spawned (a fresh interpreter imports the package and writes a
    piece); its replacement is forked from this process (its nanny's), as a spawned one
    spent ~5 s of CPU importing the package again. A separate Dask run without the kill
    (~3 s of the worker's CPU) checked nothing this one does not."""
    import dask

    out = tmp_path / "out"
    before = set(client.scheduler_info(n_workers=-1)["workers"])
    with dask.config.set({"distributed.worker.multiprocessing-method": "fork"}):
        result = backtest(dataset[0], out, engine="dask", client=client, partitions=2,
                          params=SETTINGS, progress=False, task=kill_once)
    assert result.workers == 1
    assert (tmp_path / "killed-once").exists()
    assert not list(out.glob(".partition=*"))  # the half-written attempt is gone
    pd.testing.assert_frame_equal(_read(out), local_run[1])
    pd.testing.assert_frame_equal(pd.read_parquet(out / NATIONAL_FILE),
                                  pd.read_parquet(local_run[0].out / NATIONAL_FILE))
    deadline = time.monotonic() + 120  # the nanny brings the worker back (slow under load)
    while len(now := set(client.scheduler_info(n_workers=-1)["workers"])) < 1:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert now != before  # one worker process died and was replaced


def test_cli_partitioned_detect_and_its_errors(dataset, tmp_path, capsys):
    path = str(dataset[0])
    assert main(["detect", path, "--partition-by", "province", "--out", str(tmp_path / "o"),
                 "--store", str(tmp_path / "s.db"), "-q"]) == 2
    assert "--store" in capsys.readouterr().err
    assert main(["detect", path, "--partition-by", "cell_region",
                 "--out", str(tmp_path / "o")]) == 2
    assert "'cell_region' not found" in capsys.readouterr().err
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    assert main(["detect", path, "--partition-by", "province", "--out",
                 str(tmp_path / "busy")]) == 2
    assert "not empty" in capsys.readouterr().err


def _write(table: pd.DataFrame, path: Path) -> Path:
    table = table.assign(date=table[schema.TIMESTAMP].dt.strftime("%Y-%m-%d"))
    ds.write_dataset(pa.Table.from_pandas(table, preserve_index=False), path,
                     format="parquet", partitioning=ds.partitioning(
                         pa.schema([("date", pa.string())]), flavor="hive"))
    return path


@pytest.fixture(scope="module")
def gappy(dataset, tmp_path_factory):
    """Half the rows of two provinces missing (their medians come and go: fewer than
    min_peers sectors) and one tick with Tehran alone (no national median there)."""
    table = dataset[1]
    rng = np.random.default_rng(5)
    gone = table[schema.PROVINCE].isin(["Alborz", "Kerman"]) & (rng.random(len(table)) < 0.5)
    lone = table[schema.TIMESTAMP] == table[schema.TIMESTAMP].unique()[60]
    table = table[~gone & (~lone | (table[schema.PROVINCE] == "Tehran"))]
    table = table.reset_index(drop=True)
    path = _write(table, tmp_path_factory.mktemp("gappy") / "ds")
    out = tmp_path_factory.mktemp("exact") / "out"
    result = backtest(path, out, engine="local", partitions=3, params=SETTINGS, progress=False)
    return path, table, result, pd.read_parquet(out / NATIONAL_FILE)


def test_exact_national_is_what_the_unpartitioned_stream_computes(gappy, monkeypatch):
    path, table, result, national = gappy
    assert result.national == "exact" and len(result.partitions) == 3
    seen: dict[int, np.ndarray] = {}
    plain = PeerComparison.national_median

    def spy(self, view, med):  # what province_z compares with, tick by tick
        value, enough = plain(self, view, med)
        seen[int(view.timestamps.asi8[0])] = np.where(enough, value, np.nan)
        return value, enough

    monkeypatch.setattr(PeerComparison, "national_median", spy)
    det = make_detector("iforest")
    det.set_params(**SETTINGS)
    replay(load_source(path, data=table).frame, det, schema.KPIS)
    assert sorted(seen) == list(pd.DatetimeIndex(national[schema.TIMESTAMP]).asi8)
    want = np.array([seen[t] for t in sorted(seen)])
    got = national[list(schema.KPIS)].to_numpy()
    assert np.isnan(got).all(axis=1).sum() == 1  # the Tehran-only tick
    np.testing.assert_array_equal(got, want)  # bit for bit, NaN where the stream had none


def _peer_features(table: pd.DataFrame, national: dict | None = None) -> pd.DataFrame:
    """The peer part alone over ``table``'s ticks (validated as a stream), every row's z."""
    part = PeerComparison()
    part.bind(schema.KPIS)
    part.national = national
    ordered = table.sort_values(schema.TIMESTAMP, kind="stable")
    frame = BatchValidator(schema.KPIS).validate_table(ordered).frame
    out = []
    for _, batch in frame.groupby(schema.TIMESTAMP, sort=True):
        x = part.transform(batch)
        part.update(batch)
        out.append(pd.concat([batch[KEY].reset_index(drop=True), x.reset_index(drop=True)],
                             axis=1))
    return pd.concat(out).sort_values(KEY).reset_index(drop=True)


def test_province_z_of_each_partition_is_the_unpartitioned_one(gappy):
    _, table, result, national = gappy
    series = dict(zip(pd.DatetimeIndex(national[schema.TIMESTAMP]).asi8.tolist(),
                      national[list(schema.KPIS)].to_numpy(), strict=True))
    whole = _peer_features(table)
    province_z = [f"{k}:province_z" for k in schema.KPIS]
    differs = 0
    for p in result.partitions:
        mine = table[table[schema.PROVINCE].isin(p.groups)]
        want = whole[whole[schema.SECTOR].isin(mine[schema.SECTOR])].reset_index(drop=True)
        pd.testing.assert_frame_equal(_peer_features(mine, series), want)
        local = _peer_features(mine)[province_z]  # the partition's own national median
        differs += int((local != want[province_z]).any(axis=None))
    assert differs >= 2  # without the series, partitions do not see the nation


def test_cli_national_partition_keeps_the_partition_median(dataset, tmp_path):
    import json

    out = tmp_path / "o"
    assert main(["detect", str(dataset[0]), "--partition-by", "province", "--partitions", "2",
                 "--national", "partition", "--out", str(out), "-q"]) == 0
    assert json.loads((out / MANIFEST).read_text())["national"] == "partition"
    assert not (out / NATIONAL_FILE).exists()
