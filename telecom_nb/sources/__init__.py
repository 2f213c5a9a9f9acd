"""KPI sources: the simulator, replay of recorded tables, and the validator every batch passes."""

from telecom_nb.sources.base import Source
from telecom_nb.sources.replay import ReplaySource
from telecom_nb.sources.simulator import KpiSimulator
from telecom_nb.sources.tables import ColumnMapping, LoadedTable, load_table
from telecom_nb.sources.validation import BatchValidator, ValidatedBatch

__all__ = [
    "BatchValidator",
    "ColumnMapping",
    "KpiSimulator",
    "LoadedTable",
    "ReplaySource",
    "Source",
    "ValidatedBatch",
    "load_table",
]
