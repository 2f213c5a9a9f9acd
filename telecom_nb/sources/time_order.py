"""A loaded export put in (time, sector) order, and what its calendar says: the cadence,
the periods with no row, the distinct times.

Kept apart from :mod:`~telecom_nb.sources.ingest` because this is where a load's memory
peaks (issue 12): every step here works on int codes and int64 nanoseconds, never on a
Python object per row, and the sort moves one column at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.errors import KpiInputError


@dataclass
class TimeOrder:
    """What the sort learned about the rows, so the counts need no second pass."""

    n_sectors: int
    cadence: pd.Timedelta | None
    periods_empty: int
    first_empty: int | None  # ns, UTC
    timestamps: int
    change: PeriodChange | None = None  # the reporting period changes inside the export


@dataclass(frozen=True)
class PeriodChange:
    """One export whose reporting period changes (an OSS reconfigured from 15 minutes to
    an hour): the step before and after, and the last time (ns, UTC) of the first."""

    before: pd.Timedelta
    after: pd.Timedelta
    last_before: int

    def says(self, cadence: pd.Timedelta | None, periods_empty: int, zone: str) -> str:
        """The load report's line, in the network's local time."""
        local = pd.Timestamp(self.last_before, tz="UTC").tz_convert(zone)
        every = human_step(cadence) if cadence is not None else "?"
        return (f"the reporting period changes from {human_step(self.before)} to "
                f"{human_step(self.after)} after {local:%Y-%m-%d %H:%M} {zone}: read as one "
                f"series every {every}, {periods_empty:,} period(s) with no row; load each "
                "part as its own source")


def put_in_order(frame: pd.DataFrame) -> tuple[pd.DataFrame, TimeOrder]:
    """``frame`` sorted by time then sector string (untouched when already in that order,
    as an export often is), with its calendar counts."""
    # sector codes in the strings' order: the same sort without a Python string per row
    sectors, names = pd.factorize(frame[schema.SECTOR], sort=True)
    sectors = sectors.astype(np.int32)  # kept for the cadence below (4 bytes a row)
    stamps = instants(frame[schema.TIMESTAMP])
    order = np.lexsort((sectors, stamps))
    if not (order[1:] > order[:-1]).all():
        frame = taken(frame, order)
        sectors, stamps = sectors[order], stamps[order]
    del order
    frame = frame.reset_index(drop=True)
    cadence = sector_cadence(frame, stamps=stamps, codes=sectors)
    del sectors
    times = stamps[np.r_[True, stamps[1:] != stamps[:-1]]] if len(stamps) else stamps
    periods_empty, first_empty = empty_periods(times, cadence)
    return frame, TimeOrder(n_sectors=len(names), cadence=cadence,
                            periods_empty=periods_empty, first_empty=first_empty,
                            timestamps=len(times), change=period_change(times))


def taken(frame: pd.DataFrame, order: np.ndarray) -> pd.DataFrame:
    """``frame.iloc[order]`` a column at a time, each source column dropped once taken:
    the whole-table copy beside the table was a load's peak (issue 12)."""
    columns = {}
    for column in list(frame.columns):
        columns[column] = frame.pop(column).array.take(order)
    return pd.DataFrame(columns, copy=False)


def instants(stamps: pd.Series) -> np.ndarray:
    """tz-aware timestamps as int64 nanoseconds (NaT as the minimum), without objects."""
    return stamps.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").view(np.int64)


def sector_cadence(frame: pd.DataFrame, *, stamps: np.ndarray | None = None,
                   codes: np.ndarray | None = None) -> pd.Timedelta | None:
    """Median step between consecutive rows of the same sector (None: no sector repeats);
    the caller's ``stamps`` (ns) and sector ``codes`` spare two passes, and rows in time
    order are grouped by a stable sort of the codes alone (~60 B a row was a load's end)."""
    stamps = instants(frame[schema.TIMESTAMP]) if stamps is None else stamps
    codes = pd.factorize(frame[schema.SECTOR])[0] if codes is None else codes
    if (stamps[1:] >= stamps[:-1]).all():  # each sector's rows stay in time order
        order = np.argsort(codes, kind="stable")
    else:
        order = np.lexsort((stamps, codes))
    steps, grouped = np.diff(stamps[order]), codes[order]
    del order
    steps = steps[(grouped[1:] == grouped[:-1]) & (steps > 0)]
    return pd.Timedelta(int(np.median(steps)), unit="ns") if steps.size else None


def empty_periods(times: np.ndarray, step: pd.Timedelta | None) -> tuple[int, int | None]:
    """Periods of ``step`` between the first and last of the distinct sorted ``times`` (ns)
    that hold no row: how many, and the first one (ns). An OSS collection gap loses every
    cell's rows of a period; no row is dropped, so only the calendar shows it."""
    if step is None or len(times) < 2:
        return 0, None
    gaps = np.diff(times)
    missing = np.maximum(gaps // step.value - 1, 0)  # a gap of k steps holds k - 1 periods
    hit = np.flatnonzero(missing)
    if not hit.size:
        return 0, None
    return int(missing.sum()), int(times[hit[0]] + step.value)


def period_change(times: np.ndarray, share: float = 0.9) -> PeriodChange | None:
    """The one point where the step between the distinct sorted ``times`` (ns) changes for
    good (each side's commonest step holding ``share`` of its gaps), or None. Read as one
    cadence, the coarser part's periods were "collection gaps" (or the finer part's
    extra rows)."""
    gaps = np.diff(times)
    if gaps.size < 8:
        return None
    chunk = max(4, gaps.size // 5)
    first, last = _commonest(gaps[:chunk]), _commonest(gaps[-chunk:])
    if first == last or first <= 0 or last <= 0:
        return None
    at = int(np.flatnonzero(gaps == first)[-1]) + 1  # the first gap of the later part
    if (gaps[:at] == first).mean() < share or (gaps[at:] == last).mean() < share:
        return None
    return PeriodChange(pd.Timedelta(int(first), unit="ns"), pd.Timedelta(int(last), unit="ns"),
                        int(times[at]))


def _commonest(gaps: np.ndarray) -> int:
    """The gap most of ``gaps`` are (the smallest of equally common ones)."""
    values, counts = np.unique(gaps, return_counts=True)
    return int(values[np.argmax(counts)])


def human_step(step: pd.Timedelta) -> str:
    """``1 h``, ``15 min`` or ``30 s``: a cadence as a person writes it."""
    seconds = int(step.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{step.total_seconds():g} s"


def file_numbers(ends: np.ndarray) -> np.ndarray:
    """Each row's file number in a stack of files (``ends``: one past each file's last row)."""
    return np.repeat(np.arange(len(ends)), np.diff(ends, prepend=0))


def one_cadence(stamps: pd.Series, files: np.ndarray, names: list[str], name: str) -> None:
    """One line when stacked files report different periods (a 15-minute and an hourly
    export of one network): their rows would collide at every hour and the hourly values
    replace quarter-hours. Each file's step is the median gap between its distinct times;
    files of a single time (one file per period) say nothing. ``files``: each row's file
    number (:func:`file_numbers`, read once by the caller)."""
    frame = pd.DataFrame({"f": files, "t": instants(stamps)})
    frame = frame[stamps.notna().to_numpy()].drop_duplicates().sort_values(["f", "t"])
    steps = frame.groupby("f")["t"].diff()
    steps = steps[steps > 0].groupby(frame["f"]).median()
    if steps.nunique() > 1:
        first, other = steps.idxmin(), steps.idxmax()
        raise KpiInputError(
            f"{name}: {names[first]} is every {human_step(pd.Timedelta(steps[first]))} but "
            f"{names[other]} every {human_step(pd.Timedelta(steps[other]))}: one source holds "
            "one reporting period; load each as its own source")
