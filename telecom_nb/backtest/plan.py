"""Which sectors are scored together, and in which time pieces each group is read.

A partition is a set of *whole* groups (provinces by default): a sector's state lives in
exactly one partition, and a province's peer median sees every sector of the province.
Groups are packed largest first into the least loaded partition (by sectors), so the plan
is a pure function of the data and the partition count: the local and the Dask engine run
the same plan and give the same answer.

Inside a partition the data is read one value of the dataset's first hive key (``date=``)
at a time, in order: a worker holds one day of its groups, not 90. A dataset without a
hive key (one file, a flat folder) is read whole per partition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds

from telecom_nb.errors import KpiInputError, ParameterError

#: sectors per partition when the count is not given: a fleet that large makes the
#: per-partition fleet statistics as good as the national ones (they sample 2,000 anyway)
PARTITION_SECTORS = 2000


@dataclass(frozen=True)
class DatasetInfo:
    """A Parquet dataset's layout: its time key (hive field read piece by piece) and files."""

    path: str
    columns: tuple[str, ...]
    chunk_key: str | None  # first hive field that is not the group column
    chunks: tuple[Any, ...]  # its values in order; (None,) = read whole
    files: tuple[str, ...]


@dataclass(frozen=True)
class Partition:
    """One unit of work: whole groups, scored together by one worker, in time order."""

    index: int
    groups: tuple[Any, ...]  # values of the group column (provinces)
    sectors: int

    @property
    def name(self) -> str:
        """Folder of its output inside the output dataset (hive-style)."""
        return f"partition={self.index:05d}"


def open_dataset(path: str | Path) -> ds.Dataset:
    """The Parquet file or folder (hive-partitioned or not); one-line errors name it."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file or folder")
    try:
        return ds.dataset(str(p), format="parquet", partitioning="hive")
    except (OSError, ValueError) as exc:  # pyarrow.ArrowInvalid is a ValueError
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise KpiInputError(f"{p.name}: cannot read as a Parquet dataset: {first}") from exc


def describe(path: str | Path, group: str) -> DatasetInfo:
    """Columns, time key and files of the dataset at ``path``, checked for ``group``."""
    dataset = open_dataset(path)
    columns = tuple(dataset.schema.names)
    if group not in columns:
        raise KpiInputError(f"{Path(path).name}: --partition-by column {group!r} not found; "
                            f"columns: {', '.join(columns)}")
    keys: dict[str, set] = {}
    for fragment in dataset.get_fragments():
        for name, value in ds.get_partition_keys(fragment.partition_expression).items():
            keys.setdefault(name, set()).add(value)
    chunk_key = next((k for k in keys if k != group), None)
    chunks: tuple[Any, ...] = (None,)
    if chunk_key is not None:
        chunks = tuple(sorted(keys[chunk_key]))
    files = tuple(sorted(dataset.files))
    if not files:
        raise KpiInputError(f"{Path(path).name}: no Parquet files in the dataset")
    return DatasetInfo(str(path), columns, chunk_key, chunks, files)


def chunk_filter(info: DatasetInfo, group: str, groups: Sequence[Any], chunk: Any):
    """The pyarrow filter of one partition's rows in one time piece."""
    expr = ds.field(group).isin(list(groups))
    if info.chunk_key is not None:
        expr = expr & (ds.field(info.chunk_key) == chunk)
    return expr


def file_sectors(path: str, file: str, group: str, sector: str | None) -> dict[Any, set[str]]:
    """Group -> sector ids seen in one file (the planning pass: one task per file).

    With no sector column the file is one series per group (its count is 1).
    """
    dataset = open_dataset(path)
    columns = [group] + ([sector] if sector else [])
    fragment = next(f for f in dataset.get_fragments() if f.path == file)
    keys = ds.get_partition_keys(fragment.partition_expression)
    table = fragment.to_table(columns=[c for c in columns if c not in keys])
    frame = table.to_pandas()
    for name, value in keys.items():  # hive fields are in the path, not the file
        if name in columns:
            frame[name] = value
    if sector is None:
        return {g: {""} for g in frame[group].dropna().unique()}
    pairs = frame[[group, sector]].dropna().drop_duplicates()
    return {g: set(ids.astype(str)) for g, ids in pairs.groupby(group, observed=True)[sector]}


def merge_sectors(parts: Iterable[Mapping[Any, set[str]]]) -> dict[Any, int]:
    """Distinct sectors per group over all files."""
    seen: dict[Any, set[str]] = {}
    for part in parts:
        for g, ids in part.items():
            seen.setdefault(g, set()).update(ids)
    return {g: len(ids) for g, ids in seen.items()}


def pack(sizes: Mapping[Any, int], n_partitions: int | None = None) -> list[Partition]:
    """Whole groups into partitions, largest first into the least loaded one.

    ``n_partitions=None``: one per :data:`PARTITION_SECTORS` sectors (at least one, at most
    one per group). Deterministic: ties go to the lower index and the smaller name first.
    """
    if not sizes:
        raise KpiInputError("the dataset has no rows with a --partition-by value")
    if n_partitions is not None and n_partitions < 1:
        raise ParameterError(f"--partitions must be >= 1; got {n_partitions}")
    total = sum(sizes.values())
    n = n_partitions or max(1, round(total / PARTITION_SECTORS))
    n = min(n, len(sizes))
    loads = [0] * n
    members: list[list[Any]] = [[] for _ in range(n)]
    for name, size in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        i = min(range(n), key=lambda j: (loads[j], j))
        loads[i] += size
        members[i].append(name)
    return [Partition(i, tuple(m), loads[i]) for i, m in enumerate(members)]
