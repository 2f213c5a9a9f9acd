"""Scoring one partition: its groups' rows, one time piece after another, through the stream.

This function is the whole unit of work of both engines (``local`` calls it in a loop,
``dask`` ships it to workers), which is why their answers are identical; so is
:func:`partition_medians`, the first pass of the exact national statistic. The detector,
alarm chain and validator are carried from piece to piece, so a partition read a day at a
time scores as if replayed whole (``tests/test_backtest.py`` checks it).

Output is written to a temporary folder and renamed into place when the partition is done:
a worker killed half-way leaves no partial partition behind, and the retried task (Dask
reschedules it on another or restarted worker) writes the whole one again.
"""

from __future__ import annotations

import resource
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from telecom_nb import schema
from telecom_nb.alarms.alarm_params import split_alarm_params
from telecom_nb.alarms.chain import AlarmChain
from telecom_nb.backtest.national import (
    NationalSeries,
    ProvinceMedians,
    check_national,
    inject_national,
    peer_part,
    province_medians,
)
from telecom_nb.backtest.plan import DatasetInfo, Partition, chunk_filter, open_dataset
from telecom_nb.engine.replay import replay, with_local_time
from telecom_nb.engine.scored import Counters
from telecom_nb.errors import KpiInputError
from telecom_nb.features.day_type import day_summaries
from telecom_nb.sources.ingest import LoadedSource, load_source
from telecom_nb.sources.spec import SourceSpec
from telecom_nb.sources.validation import BatchValidator

TMP_MARK = ".tmp-"


@dataclass(frozen=True)
class PartitionJob:
    """Everything a worker needs to score one partition (small, picklable)."""

    partition: Partition
    info: DatasetInfo
    group: str  # the --partition-by column
    spec: SourceSpec  # how raw rows become the project schema (KPIs fixed on the driver)
    detector: str
    params: dict[str, Any]  # typed detector/feature parameters by name
    out: str  # the output dataset's folder
    #: the national peer statistic per tick (pass 1 + reduction); None = the partition's
    national: NationalSeries | None = None


@dataclass
class PartitionReport:
    """What one partition did: rows, flags, repairs, time and the worker's peak memory."""

    index: int
    groups: tuple[Any, ...]
    sectors: int
    rows_read: int = 0
    rows_loaded: int = 0
    rows_scored: int = 0
    flagged: int = 0
    files: int = 0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0  # of the process that ran it, over its life so far
    worker: str = ""
    counters: dict[str, int] = field(default_factory=dict)
    load_dropped: dict[str, int] = field(default_factory=dict)
    #: the partition's fleet read these local days as another weekday (undeclared days off,
    #: ``day_type``): each partition reads its own fleet, so each says its own
    day_readings: list[str] = field(default_factory=list)


def make_detector(name: str, params: dict[str, Any], kpis: tuple[str, ...], spec: SourceSpec):
    """The detector every partition starts from (same parameters, same seeds; the spec's
    calendar)."""
    from telecom_nb.detectors import make_detector as registry
    from telecom_nb.detectors.param_paths import configure
    from telecom_nb.engine.monitor_setup import use_source_calendar

    detector = registry(name)
    if params:
        configure(detector, params)
    if "kpis" in detector.param_names() and not getattr(detector, "kpis", None):
        detector.set_params(kpis=list(kpis))
    use_source_calendar(detector, spec, given=params)
    return detector


def read_piece(job: PartitionJob, chunk: Any) -> pd.DataFrame:
    """One time piece of the partition's groups, as raw columns (hive fields included)."""
    dataset = open_dataset(job.info.path)
    table = dataset.to_table(filter=chunk_filter(job.info, job.group, job.partition.groups,
                                                 chunk))
    return table.to_pandas()


def pieces(job: PartitionJob) -> Iterator[tuple[int, int, LoadedSource | None]]:
    """(piece number, rows read, loaded rows or None when it had none), in time order.

    Both passes read a partition through this, so they see the same rows.
    """
    last: pd.Timestamp | None = None
    for n, chunk in enumerate(job.info.chunks):
        raw = read_piece(job, chunk)
        if raw.empty:
            yield n, 0, None
            continue
        loaded = load_source(job.spec, data=raw)
        frame = loaded.frame
        first = frame[schema.TIMESTAMP].min()
        if last is not None and first <= last:
            where = f"{job.info.chunk_key}={chunk}"
            raise KpiInputError(f"{Path(job.info.path).name}: {where} starts at {first}, not after "
                                f"the previous piece's last time {last}; order the "
                                f"{job.info.chunk_key!r} values by time")
        last = frame[schema.TIMESTAMP].max()
        yield n, len(raw), loaded


def partition_medians(job: PartitionJob) -> ProvinceMedians:
    """Pass 1 of ``national="exact"``: the partition's province peer medians per tick.

    The detector is built as the scoring pass builds it (same peer parameters); only its
    peer part runs, behind a validator of its own (:mod:`.national`).
    """
    kpis = tuple(job.spec.kpis or ())
    detector_params, _ = split_alarm_params(job.params)
    detector = make_detector(job.detector, detector_params, kpis, job.spec)
    part = peer_part(detector)
    if part is None:
        raise KpiInputError(f"backtest: detector {job.detector!r} has no peer comparison; "
                            "use national='partition'")
    frames = (loaded.frame for _, _, loaded in pieces(job) if loaded is not None)
    return province_medians(part, BatchValidator(kpis), frames)


def score_partition(job: PartitionJob) -> PartitionReport:
    """Score the partition's rows in time order and write them under ``out/partition=N``."""
    started = time.perf_counter()
    part = job.partition
    report = PartitionReport(part.index, part.groups, part.sectors)
    kpis = tuple(job.spec.kpis or ())
    detector_params, alarm_params = split_alarm_params(job.params)
    detector = make_detector(job.detector, detector_params, kpis, job.spec)
    alarms, validator = AlarmChain(kpis=kpis, **alarm_params), BatchValidator(kpis)
    counters, dropped = Counters(), Counter()
    out = Path(job.out)
    tmp = out / f".{part.name}{TMP_MARK}{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    peers = inject_national(detector, job.national)
    for n, rows_read, loaded in pieces(job):
        report.rows_read += rows_read
        if loaded is None:
            continue
        frame = loaded.frame
        report.rows_loaded += len(frame)
        dropped.update({k: v for k, v in loaded.counters.as_dict().items()
                        if k.startswith("rows_") and k not in ("rows_read", "rows_loaded",
                                                               "rows_dropped") and v})
        result = replay(frame, detector, kpis, alarms=alarms, validator=validator)
        counters.add(result.counters)
        scored = with_local_time(result.frame, job.spec.timezone)
        report.rows_scored += int(result.counters.rows)
        report.flagged += int(scored[schema.IS_ANOMALY].sum())
        scored.to_parquet(tmp / f"part-{n:05d}.parquet", index=False)
        report.files += 1
    check_national(detector, peers, job.national)
    final = out / part.name
    if final.exists():  # a previous attempt of this task finished after all
        shutil.rmtree(final)
    tmp.rename(final)
    report.counters = {k: int(v) for k, v in counters.as_dict().items()}
    report.load_dropped = dict(dropped)
    report.day_readings = day_summaries(detector)
    report.seconds = time.perf_counter() - started
    report.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report.worker = _worker_name()
    return report


def _worker_name() -> str:
    """The Dask worker's address, or 'local' in the driver's process."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "local"
