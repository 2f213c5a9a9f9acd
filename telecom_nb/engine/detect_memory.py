"""The memory steps of a whole-table ``telecom-nb detect`` (issue 12), written once.

The command and bench's replay child (:func:`telecom_nb.bench.bench_replay`, whose peak
RSS is the figure issue 12 is judged by) both take them from here: written twice, line
for line, one copy could change and the bench would measure a run no user makes.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from telecom_nb.engine.compact_columns import compact
from telecom_nb.heap_trim import (
    column_block,
    release_compiler_code,
    release_freed_memory,
    return_large_blocks,
)

if TYPE_CHECKING:
    import pandas as pd

    from telecom_nb.sources.ingest import LoadedSource


def before_load() -> None:
    """Before the export is read: freed column-sized arrays go back to the OS, not to the
    heap, and the compiler's pages numba's import touched are let go."""
    return_large_blocks()
    release_compiler_code()


def take_table(loaded: LoadedSource) -> pd.DataFrame:
    """The loaded frame as the replay's table, its repeated values as codes
    (:func:`~telecom_nb.engine.compact_columns.compact`), held alone: ``loaded.frame`` is
    let go (the strings were ~60 % of a fleet's table) and the load's temporaries and
    the compiler's pages handed back before the replay's peak. From here blocks smaller
    than one of the table's columns come from the heap (:func:`~.heap_trim.column_block`):
    a wide fleet's tick matrices reuse its pages, the columns still go back to the OS.
    The objects alive by then are frozen for :func:`after_replay`'s collection (its
    caller's to call, after the replay)."""
    release_freed_memory()
    table = compact(loaded.frame)
    loaded.frame = None
    release_freed_memory()
    release_compiler_code()
    return_large_blocks(column_block(len(table)))
    _freeze_older_objects()
    return table


def after_replay() -> None:
    """Once the caller has let go of the detector and the replay's result: the reference
    cycles the detector sits in collected and the replay's freed pieces handed back,
    before the write's buffers. The collection reads only the objects made since
    :func:`take_table` (the older ones frozen there are alive: the imports' ~115k), then
    the older ones go back to the collector."""
    gc.collect()
    _thaw()
    release_freed_memory()


#: whether :func:`_freeze_older_objects` froze (a caller's own freeze is left to it)
_FROZEN = [False]


def _freeze_older_objects() -> None:
    """The objects alive before the replay (the libraries' and the package's, ~115k in a
    fresh process: none is the replay's) out of the cyclic collector's reach until
    :func:`after_replay`: its full collection took ~88 ms CPU of a 100k-row one-series
    ``detect`` walking them all, ~25 ms without them (one61). Only memory is at stake
    (a cycle among them that dies meanwhile waits for the thaw); every value the same."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        _FROZEN[0] = True


def _thaw() -> None:
    if _FROZEN[0]:
        _FROZEN[0] = False
        gc.unfreeze()
