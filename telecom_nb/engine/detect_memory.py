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
    without_huge_pages,
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
    a wide fleet's tick matrices reuse its pages, the columns still go back to the OS;
    numpy's arrays stay on 4 KiB pages (:func:`~.heap_trim.without_huge_pages`)."""
    release_freed_memory()
    table = compact(loaded.frame)
    loaded.frame = None
    release_freed_memory()
    release_compiler_code()
    return_large_blocks(column_block(len(table)))
    without_huge_pages()
    return table


def after_replay() -> None:
    """Once the caller has let go of the detector and the replay's result: the reference
    cycles the detector sits in collected and the replay's freed pieces handed back,
    before the write's buffers."""
    gc.collect()
    release_freed_memory()
