"""KPI sources: the simulator, replay of recorded tables and operator exports, the validator."""

from telecom_nb.sources.base import Source
from telecom_nb.sources.ingest import LoadCounters, LoadedSource, load_source
from telecom_nb.sources.kpiinfo import KpiInfo, infer_kpi_info
from telecom_nb.sources.replay import ReplaySource
from telecom_nb.sources.simulator import KpiSimulator
from telecom_nb.sources.spec import KpiSpec, SitesSpec, SourceSpec
from telecom_nb.sources.tables import ColumnMapping, LoadedTable, load_table
from telecom_nb.sources.validation import BatchValidator, ValidatedBatch

__all__ = [
    "BatchValidator",
    "ColumnMapping",
    "KpiInfo",
    "KpiSimulator",
    "KpiSpec",
    "LoadCounters",
    "LoadedSource",
    "LoadedTable",
    "ReplaySource",
    "SitesSpec",
    "Source",
    "SourceSpec",
    "ValidatedBatch",
    "infer_kpi_info",
    "load_source",
    "load_table",
]
