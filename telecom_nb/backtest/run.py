"""``backtest(path, out, ...)``: a partitioned Parquet dataset scored by partition, locally
or on Dask, into a partitioned Parquet dataset.

Three passes. The plan reads only the group and sector columns (one task per file) to
count each group's sectors and pack whole groups into partitions (:mod:`.plan`). With
``national="exact"`` a first pass per partition computes its province peer medians per
tick and the driver reduces them to the national median per tick (:mod:`.national`).
The scoring pass replays each partition in time order (:mod:`.partition`), one task per
partition. Within a pass nothing crosses partitions, so a worker never waits for another
and a lost worker costs one partition's rerun; the learned fleet statistics stay the
partition's (README, "Backtesting on Dask").
"""

from __future__ import annotations

import contextlib
import json
import logging
import resource
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from telecom_nb.alarms.alarm_params import split_alarm_params
from telecom_nb.alarms.chain import AlarmChain
from telecom_nb.backtest.national import MODES, peer_part, reduce_national
from telecom_nb.backtest.partition import (
    TMP_MARK,
    PartitionJob,
    PartitionReport,
    make_detector,
    partition_medians,
    score_partition,
)
from telecom_nb.backtest.plan import (
    DatasetInfo,
    Partition,
    describe,
    file_sectors,
    merge_sectors,
    open_dataset,
    pack,
)
from telecom_nb.batching import progress as progress_bar
from telecom_nb.errors import KpiInputError, ParameterError
from telecom_nb.sources.ingest import load_source
from telecom_nb.sources.spec import SourceSpec

MANIFEST = "_backtest.json"
#: the national peer statistic per tick of an exact run (a leading _ : not a data file)
NATIONAL_FILE = "_national.parquet"
ENGINES = ("local", "dask")
#: rows read from the first file to choose the KPI columns once for every partition
KPI_SAMPLE_ROWS = 20_000

Task = Callable[[PartitionJob], PartitionReport]


@dataclass
class BacktestResult:
    """Where the output went, the plan, and per-partition figures."""

    out: Path
    engine: str
    partitions: list[PartitionReport]
    seconds: float  # wall time, both passes
    plan_seconds: float
    workers: int
    kpis: tuple[str, ...]
    national: str = "exact"  # the national peer statistic: exact, partition or none
    national_seconds: float = 0.0  # its first pass + reduction (wall time)

    @property
    def rows(self) -> int:
        return sum(p.rows_loaded for p in self.partitions)

    @property
    def flagged(self) -> int:
        return sum(p.flagged for p in self.partitions)

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def peak_rss_mb(self) -> dict[str, float]:
        """Peak resident memory per worker process (MB), as reported by its tasks."""
        out: dict[str, float] = {}
        for p in self.partitions:
            out[p.worker] = max(out.get(p.worker, 0.0), p.peak_rss_mb)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"out": str(self.out), "engine": self.engine, "workers": self.workers,
                "seconds": round(self.seconds, 2), "plan_seconds": round(self.plan_seconds, 2),
                "national": self.national, "national_seconds": round(self.national_seconds, 2),
                "rows": self.rows, "flagged": self.flagged,
                "rows_per_s": round(self.rows_per_s), "kpis": list(self.kpis),
                "peak_rss_mb": {k: round(v, 1) for k, v in self.peak_rss_mb().items()},
                "partitions": [_json_safe(asdict(p)) for p in self.partitions]}


def backtest(path: str | Path, out: str | Path, *, engine: str = "dask",
             partition_by: str = "province", partitions: int | None = None,
             scheduler: str | None = None, workers: int = 2,
             memory_limit: str | float = "auto", client: Any = None,
             detector: str = "iforest", params: dict[str, Any] | None = None,
             spec: SourceSpec | None = None, progress: bool = True,
             national: str = "exact", task: Task = score_partition) -> BacktestResult:
    """Score every row of the Parquet dataset at ``path`` by partitions of whole groups.

    ``engine="local"`` runs the partitions one after another in this process, ``"dask"`` on
    ``client``, else on the cluster at ``scheduler``, else on a new LocalCluster of
    ``workers`` processes with ``memory_limit`` each; both give identical rows. ``params``
    are typed detector parameters by name (as ``Monitor`` takes them); ``spec`` says how
    to read the columns (default: the project schema). ``national="exact"`` gives
    ``province_z`` the median over all provinces per tick (a first pass + reduction; with
    one partition, or no peer features, there is nothing to add), ``"partition"`` the
    partition's. ``task`` is what scores a partition (tests wrap it). Output:
    ``out/partition=NNNNN/part-CCCCC.parquet``, ``out/_backtest.json`` and, when exact,
    ``out/_national.parquet`` (the series per tick).
    """
    if engine not in ENGINES:
        raise ParameterError(f"engine must be one of {', '.join(ENGINES)}; got {engine!r}")
    if national not in MODES:
        raise ParameterError(f"--national must be one of {', '.join(MODES)}; got {national!r}")
    if workers < 1:
        raise ParameterError(f"--workers must be >= 1; got {workers}")
    started = time.perf_counter()
    info = describe(path, partition_by)
    spec = _with_kpis(spec or SourceSpec(path=Path(path)), info, partition_by)
    params = dict(params or {})
    detector_params, alarm_params = split_alarm_params(params)
    # fail fast on a parameter; and without peer features there is no national statistic
    has_peers = peer_part(make_detector(detector, detector_params, tuple(spec.kpis or ()),
                                        spec)) is not None
    AlarmChain(**alarm_params)
    out = _prepare_out(Path(out))
    with _runner(engine, client, scheduler, workers, memory_limit) as run:
        sizes = merge_sectors(run.map(file_sectors, [(info.path, f, partition_by,
                                                      spec.sector or _sector(info))
                                                     for f in info.files],
                                      "plan", progress))
        plan = pack(sizes, partitions)
        plan_seconds = time.perf_counter() - started
        jobs = [PartitionJob(p, info, partition_by, spec, detector, params, str(out))
                for p in sorted(plan, key=lambda p: -p.sectors)]  # the longest first
        series = None
        exact = national == "exact" and has_peers and len(plan) > 1
        if exact:
            medians = run.map(partition_medians, [(j,) for j in jobs], "national", progress)
            series = reduce_national(medians, tuple(spec.kpis or ()))
            jobs = [replace(j, national=series) for j in jobs]
        national_seconds = time.perf_counter() - started - plan_seconds
        reports = run.map(task, [(j,) for j in jobs], "score", progress)
    _clean_tmp(out)
    reports.sort(key=lambda r: r.index)
    result = BacktestResult(out, engine, reports, time.perf_counter() - started, plan_seconds,
                            run.workers, tuple(spec.kpis or ()),
                            _national_used(national, has_peers, len(plan)), national_seconds)
    if series is not None:
        series.frame().to_parquet(out / NATIONAL_FILE, index=False)
    _write_manifest(result, info, plan, partition_by, detector, params)
    return result


def _sector(info: DatasetInfo) -> str | None:
    """The default sector column: ``sector_id`` when the data has it, else one series."""
    return "sector_id" if "sector_id" in info.columns else None


def _with_kpis(spec: SourceSpec, info: DatasetInfo, group: str) -> SourceSpec:
    """The spec with its KPI columns fixed from a sample: every partition uses the same."""
    if spec.kpis is not None:
        return spec
    dataset = open_dataset(info.path)
    sample = dataset.head(KPI_SAMPLE_ROWS).to_pandas()
    if info.chunk_key is not None:  # a hive key is the file's place, not a measurement
        sample = sample.drop(columns=[info.chunk_key], errors="ignore")
    loaded = load_source(spec, data=sample)
    return replace(spec, kpis=tuple(loaded.kpis), exclude=(),
                   kpi={k: v for k, v in spec.kpi.items() if k in loaded.kpis})


def _national_used(mode: str, has_peers: bool, n_partitions: int) -> str:
    """What ``province_z`` compared with: one partition is the nation; no peers, nothing."""
    if not has_peers:
        return "none"
    return "exact" if n_partitions == 1 else mode


def _prepare_out(out: Path) -> Path:
    """An empty folder, or one a previous backtest wrote (its partitions are replaced)."""
    if out.exists() and not out.is_dir():
        raise KpiInputError(f"--out {out}: is a file; the backtest writes a folder")
    if out.exists() and any(out.iterdir()):
        if not (out / MANIFEST).exists():
            raise KpiInputError(f"--out {out}: folder is not empty and not a backtest output "
                                f"(no {MANIFEST}); choose a new folder")
        for child in out.iterdir():
            if child.name.startswith(("partition=", ".partition=")):
                shutil.rmtree(child)
        (out / MANIFEST).unlink()
        (out / NATIONAL_FILE).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _clean_tmp(out: Path) -> None:
    """Folders of attempts that died with their worker (their retry wrote the partition)."""
    for child in out.glob(f".partition=*{TMP_MARK}*"):
        shutil.rmtree(child, ignore_errors=True)


def _write_manifest(result: BacktestResult, info: DatasetInfo, plan: list[Partition],
                    group: str, detector: str, params: dict[str, Any]) -> None:
    manifest = {"input": info.path, "partition_by": group, "time_key": info.chunk_key,
                "detector": detector, "params": _json_safe(params),
                "plan": [{"partition": p.name, "groups": [str(g) for g in p.groups],
                          "sectors": p.sectors} for p in plan],
                **result.as_dict()}
    (result.out / MANIFEST).write_text(json.dumps(manifest, indent=1, allow_nan=False))


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, float) and obj != obj:
        return None
    return obj if isinstance(obj, int | float | str | bool | type(None)) else str(obj)


class _Local:
    """Runs tasks one after another in this process (the reference engine)."""

    workers = 1

    def map(self, fn: Callable, args: list[tuple], desc: str, progress: bool) -> list:
        return [fn(*a) for a in progress_bar(args, desc=desc, total=len(args),
                                             enabled=progress)]


class _Dask:
    """Runs tasks on a Dask client; a worker lost mid-task has its task rerun elsewhere."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.workers = len(client.scheduler_info(n_workers=-1)["workers"]) or 1

    def map(self, fn: Callable, args: list[tuple], desc: str, progress: bool) -> list:
        from distributed import progress as dask_progress

        run = uuid.uuid4().hex[:8]
        futures = [self.client.submit(fn, *a, pure=False, priority=len(args) - i,
                                      key=f"{desc}-{i}-{run}")
                   for i, a in enumerate(args)]
        try:
            if progress:
                print(f"{desc}: {len(futures)} task(s)", flush=True)
                dask_progress(futures, notebook=False, interval="1s")
                print(flush=True)
            return self.client.gather(futures)
        finally:
            self.client.cancel(futures)


@contextlib.contextmanager
def _runner(engine: str, client: Any, scheduler: str | None, workers: int,
            memory_limit: str | float) -> Iterator[_Local | _Dask]:
    if engine == "local":
        yield _Local()
        return
    from distributed import Client, LocalCluster

    if client is not None:
        yield _Dask(client)
    elif scheduler:
        with Client(scheduler) as own:
            yield _Dask(own)
    else:
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          memory_limit=memory_limit, dashboard_address=None,
                          host="127.0.0.1", silence_logs=logging.ERROR) as cluster, \
                Client(cluster) as own:
            yield _Dask(own)


def driver_peak_rss_mb() -> float:
    """This process's peak resident memory (the local engine's only worker)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
