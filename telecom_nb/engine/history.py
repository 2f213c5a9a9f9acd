"""Bounded history: network-wide per-tick aggregates and each sector's last K ticks.

Both structures have a fixed size per sector (ring buffers), so a stream that runs for
days keeps flat memory; writes are whole-array numpy assignments, never per-sector loops.
"""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from telecom_nb import schema
from telecom_nb.alarms.episodes import RECOVERING
from telecom_nb.engine.scored import ScoredBatch
from telecom_nb.params import check_range
from telecom_nb.sector_index import SectorIndex


def _count_equal(column: pd.api.extensions.ExtensionArray, value: str) -> int:
    """How many cells of a string column equal ``value``, compared in Arrow (a ``str``
    column's own storage, zero-copy): pandas' ``==`` costs ~5x more on a few rows."""
    if not len(column):
        return 0
    try:
        equal = pc.equal(pa.array(column), value)
    except (pa.ArrowException, TypeError):  # not strings: pandas decides
        return int(np.count_nonzero(np.asarray(column == value, dtype=bool)))
    return int(pc.sum(equal).as_py() or 0)


class NetworkHistory:
    """The last ``maxlen`` ticks of network-wide aggregates (mean and sum of each KPI)."""

    def __init__(self, maxlen: int = 2000, kpis: Sequence[str] = schema.KPIS) -> None:
        check_range("maxlen", maxlen, 1)
        self.kpis = tuple(kpis)
        self._rows: deque[dict[str, object]] = deque(maxlen=maxlen)

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def maxlen(self) -> int:
        return self._rows.maxlen or 0

    def __call__(self, scored: ScoredBatch) -> None:
        names = set(scored.columns)
        kpis = [k for k in self.kpis if k in names]
        n = scored.n_rows
        values = np.empty((n, len(kpis)))
        for j, kpi in enumerate(kpis):  # column by column: no intermediate DataFrame
            values[:, j] = scored.values(kpi)
        row: dict[str, object] = {"timestamp": scored.timestamp, "tick": scored.tick}
        if not n:
            means, sums = np.full(len(kpis), np.nan), np.zeros(len(kpis))
        elif np.isnan(values).any():
            # a KPI blank in every row (a layer not launched yet, a counter the OSS
            # dropped): NaN, without np.nanmean's RuntimeWarning in the notebook each tick
            sums = np.nansum(values, axis=0)
            counts = np.count_nonzero(~np.isnan(values), axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                means = np.where(counts > 0, sums / counts, np.nan)
        else:  # a validated batch has no NaN: numpy's nan-functions would copy it twice
            sums = values.sum(axis=0)
            means = sums / n
        for i, kpi in enumerate(kpis):
            row[f"{kpi}_mean"] = float(means[i])
            row[f"{kpi}_sum"] = float(sums[i])
        flags = scored.values(schema.IS_ANOMALY, bool)
        row["n_anomalies"] = int(np.count_nonzero(flags))
        row["n_rows"] = n
        score = scored.values(schema.SCORE)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all NaN: NaN, as pandas' mean
            row["score_mean"] = float(np.nanmean(score)) if n else np.nan
        # Sectors whose alert episode is still open on a normal tick (orange on the map).
        row["n_recovering"] = (_count_equal(scored.column(schema.STATE), RECOVERING)
                               if schema.STATE in names else 0)
        row["model_version"] = int(scored.model_version)
        self._rows.append(row)

    @property
    def last_row(self) -> dict[str, object] | None:
        """The newest tick's aggregates (what a store commits with the tick)."""
        return self._rows[-1] if self._rows else None

    def load(self, frame: pd.DataFrame) -> None:
        """Append ticks read back from a store (its ``ticks()`` columns), oldest first."""
        columns = [c for c in self.frame(last=0).columns if c != "flag_rate"]
        self._rows.extend(frame.reindex(columns=columns).to_dict("records"))

    def frame(self, last: int | None = None) -> pd.DataFrame:
        """One row per tick, oldest first; only the ``last`` ticks when given.

        ``flag_rate`` is ``n_anomalies / n_rows``. Asking for ``last`` builds only those
        rows, so a chart showing a short window does not pay for the whole history.
        """
        columns = ["timestamp", "tick"]
        for kpi in self.kpis:
            columns += [f"{kpi}_mean", f"{kpi}_sum"]
        columns += ["n_anomalies", "n_rows", "score_mean", "n_recovering", "model_version"]
        if last is not None:
            check_range("last", last, 0)
        skip = 0 if last is None else max(len(self._rows) - int(last), 0)
        out = pd.DataFrame(list(islice(self._rows, skip, None)), columns=columns)
        out["flag_rate"] = out["n_anomalies"] / out["n_rows"].clip(lower=1)
        return out


@dataclass
class RingState:
    """:class:`SectorHistory`'s ring as plain arrays (a checkpoint part)."""

    values: np.ndarray  # [k, sectors, kpis + score] float32
    flags: np.ndarray  # [k, sectors] bool
    times: np.ndarray  # [k] int64 ns
    written: int

    @classmethod
    def empty(cls) -> RingState:
        return cls(np.zeros((0, 0, 0), np.float32), np.zeros((0, 0), bool),
                   np.zeros(0, np.int64), 0)


class SectorHistory:
    """Each sector's last ``k`` ticks: KPIs + score as float32, plus the anomaly flag.

    Storage is ``values[k, sectors, kpis + 1]`` and the flags as bits, ``flags[k,
    sectors / 8]`` (a bool a flag held 9.2 MB at 100k sectors x 96 ticks, bits 1.2 MB); a
    tick writes one ring row. A sector absent from a tick holds NaN there and is left out
    on read.
    """

    def __init__(
        self,
        k: int = 96,
        kpis: Sequence[str] = schema.KPIS,
        index: SectorIndex | None = None,
    ) -> None:
        check_range("k", k, 1)
        self.k = int(k)
        self.kpis = tuple(kpis)
        self.index = index if index is not None else SectorIndex()
        n_fields = len(self.kpis) + 1
        self._values = np.full((self.k, 0, n_fields), np.nan, dtype=np.float32)
        self._flags = np.zeros((self.k, 0), dtype=np.uint8)  # bits, np.packbits' order
        self._times = np.full(self.k, np.iinfo(np.int64).min, dtype=np.int64)
        self._written = 0  # ticks written so far

    @property
    def nbytes(self) -> int:
        return self._values.nbytes + self._flags.nbytes + self._times.nbytes

    def __call__(self, scored: ScoredBatch) -> None:
        frame = scored.batch_frame
        pos = self.index.column_positions(frame, schema.SECTOR)  # known without conversion
        n = len(self.index)
        self._grow(n)
        row = self._written % self.k
        fields = [*self.kpis, schema.SCORE]
        block = np.full((len(frame), len(fields)), np.nan, dtype=np.float32)
        names = set(scored.columns)
        for j, name in enumerate(fields):
            if name in names:
                block[:, j] = scored.values(name)  # float64 -> float32 as astype rounds
        flags = scored.values(schema.IS_ANOMALY, bool)
        if len(pos) == n and n and pos[0] == 0 and (pos[1:] > pos[:-1]).all():
            # every sector, in index order (a live tick): one contiguous copy, no scatter
            self._values[row, :n] = block
            self._values[row, n:] = np.nan
            packed = np.packbits(flags)  # the last byte's spare bits are 0
            self._flags[row, :len(packed)] = packed
            self._flags[row, len(packed):] = 0
        else:
            self._values[row] = np.nan
            self._values[row, pos] = block
            bits = np.zeros(self._values.shape[1], dtype=bool)
            bits[pos] = flags
            self._flags[row] = np.packbits(bits)
        self._times[row] = pd.Timestamp(scored.timestamp).value
        self._written += 1

    def _grow(self, n: int) -> None:
        """Room for ``n`` sectors (capacity doubles). A sector new to the ring is absent
        (NaN) from the ticks already written; a ring row not yet written is left as the
        OS's zero pages (a tick writes its whole row before anything reads it), so a
        young stream's ring is resident only as far as it has been written."""
        size = self._values.shape[1]
        if size >= n:
            return
        cap = max(n, 2 * size, 16)
        done = min(self._written, self.k)
        values = np.zeros((self.k, cap, self._values.shape[2]), dtype=np.float32)
        values[:done, :size] = self._values[:done]
        values[:done, size:] = np.nan
        flags = np.zeros((self.k, _bytes(cap)), dtype=np.uint8)
        flags[:done, :self._flags.shape[1]] = self._flags[:done]  # a sector keeps its bit
        self._values, self._flags = values, flags

    def _bits(self, ticks: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """The flags of sectors ``pos`` at ring rows ``ticks`` (ticks x sectors, bool)."""
        held = self._flags[np.ix_(ticks, pos >> 3)]
        return ((held >> (7 - (pos & 7)).astype(np.uint8)) & 1).astype(bool)

    def ring_state(self) -> RingState:
        """The ring as data (what a checkpoint keeps, so a drill-down survives a restart)."""
        flags = np.unpackbits(self._flags, axis=1, count=self._values.shape[1]).view(bool)
        return RingState(self._values, flags, self._times, self._written)

    def load_ring(self, state: RingState) -> bool:
        """Take a checkpoint's ring back if it fits this history (same depth and KPIs)."""
        k, _, fields = state.values.shape if state.values.ndim == 3 else (0, 0, 0)
        if k != self.k or fields != len(self.kpis) + 1 or state.flags.shape[0] != k:
            return False
        self._values = state.values.astype(np.float32)
        self._flags = np.packbits(state.flags.astype(bool), axis=1)
        self._times, self._written = state.times.astype(np.int64), int(state.written)
        return True

    def sector(self, sector_id: object) -> pd.DataFrame:
        """That sector's retained ticks, oldest first: timestamp, KPIs, score, is_anomaly."""
        p = self.index.position_of(sector_id)
        if p < 0:
            raise KeyError(f"unknown sector_id {sector_id!r}: not seen in this stream")
        n = min(self._written, self.k)
        order = (np.arange(self._written - n, self._written)) % self.k
        values = self._values[order, p] if p < self._values.shape[1] else None
        columns = ["timestamp", *self.kpis, schema.SCORE, schema.IS_ANOMALY]
        if values is None or n == 0:
            return pd.DataFrame(columns=columns)
        present = ~np.isnan(values).all(axis=1)
        # float32 kept, read back as the number written (99.34, not 99.339996): through
        # each value's shortest float32 text, one vectorised numpy pass
        out = pd.DataFrame(values[present].astype(str).astype(np.float64),
                           columns=[*self.kpis, schema.SCORE])
        out.insert(0, "timestamp", pd.to_datetime(self._times[order][present], utc=True))
        out[schema.IS_ANOMALY] = self._bits(order, np.array([p]))[:, 0][present]
        return out.reset_index(drop=True)

    def aggregate(self, sector_ids: object) -> pd.DataFrame:
        """Per-tick aggregates of a subset of sectors over the retained ticks, oldest
        first: timestamp, ``<kpi>_mean``, n_anomalies, n_rows (what ``NetworkHistory``
        gives for the whole network; a dashboard filtered to a province charts this).
        Unknown ids are ignored; one vectorised reduction over ``[ticks, subset, kpis]``."""
        pos = self.index.lookup(np.asarray(list(sector_ids), dtype=object))
        pos = np.unique(pos[(pos >= 0) & (pos < self._values.shape[1])])
        n = min(self._written, self.k)
        order = np.arange(self._written - n, self._written) % self.k
        columns = ["timestamp", *(f"{k}_mean" for k in self.kpis), "n_anomalies", "n_rows"]
        if n == 0:
            return pd.DataFrame(columns=columns)
        # ticks x subset x kpis, copying only the subset (not the whole ring)
        block = self._values[np.ix_(order, pos, np.arange(len(self.kpis)))]
        present = ~np.isnan(block).all(axis=2)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: NaN, no noise
            means = np.nanmean(block, axis=1) if len(pos) else np.full((n, len(self.kpis)),
                                                                       np.nan)
        out = pd.DataFrame(means.astype(np.float64), columns=columns[1:1 + len(self.kpis)])
        out.insert(0, "timestamp", pd.to_datetime(self._times[order], utc=True))
        out["n_anomalies"] = (self._bits(order, pos) & present).sum(axis=1)
        out["n_rows"] = present.sum(axis=1)
        return out[out["n_rows"] > 0].reset_index(drop=True) if len(pos) else out.iloc[:0]


def _bytes(sectors: int) -> int:
    """Bytes of one ring row's flags (8 sectors a byte)."""
    return (sectors + 7) // 8
