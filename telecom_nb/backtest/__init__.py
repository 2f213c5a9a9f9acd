"""Backtesting months of a national network: whole provinces per partition, on Dask.

``from telecom_nb.backtest import backtest`` (or ``telecom_nb.backtest(...)`` once this
package is imported: the module is callable, so the short spelling the CLI's
documentation uses works) scores a partitioned Parquet dataset by partitions of whole
groups, in this process (``engine="local"``) or on a Dask cluster (``engine="dask"``), with
the same answer. See README, "Backtesting on Dask".
"""

from __future__ import annotations

import sys
import types
from typing import Any

from telecom_nb.backtest.partition import PartitionJob, PartitionReport, score_partition
from telecom_nb.backtest.plan import Partition, pack
from telecom_nb.backtest.run import BacktestResult, backtest

__all__ = ["BacktestResult", "Partition", "PartitionJob", "PartitionReport", "backtest",
           "pack", "score_partition"]


class _CallableModule(types.ModuleType):
    """``telecom_nb.backtest(path, out, ...)`` is :func:`backtest` (a module can't be
    called otherwise, and the package and its function share one name)."""

    def __call__(self, *args: Any, **kwargs: Any) -> BacktestResult:
        return backtest(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
