"""How many independent draws a few series' records are among: the extremal index.

Range novelty reads a record among ``N`` rows as ``p = 1/(N+1)`` (exchangeable rows). A
slowly varying series (a machine's temperature, a disk's write ceiling) reaches its highs
in clusters of neighbouring rows, so of ``N`` rows only ``theta N`` are independent draws
of its extremes: the extremal index ``theta`` (extreme-value theory: the maximum of ``N``
rows of a stationary series is distributed as that of ``theta N`` independent ones). It is
estimated on the fit window by runs declustering: the share of the rows beyond a high
the KPI's own |seasonal z| (its top rows) whose previous row was not beyond it (``theta`` 1:
every exceedance is its own cluster; noise). The record part then reads
``-log10 p - log10(1 / theta)`` (nab48: NAB's bare records by a hair on
machine_temperature and disk_write read p over thousands of rows when they were one draw
among hundreds).
"""

from __future__ import annotations

import numpy as np

#: the exceedance quantile of |seasonal z| that the clusters are counted beyond
QUANTILE = 0.98
#: fewest exceedances for an estimate (fewer: every row a draw)
MIN_EXCEEDANCES = 20


def record_thin(window: np.ndarray, previous: np.ndarray | None,
                columns: np.ndarray) -> np.ndarray | None:
    """Per column (each novelty KPI's seasonal z in ``window``), ``log10(1 / theta)``:
    what a record's ``-log10 p`` overstates; None: no predecessors to decluster with."""
    if previous is None or not len(columns):
        return None
    z = np.abs(window[:, columns])
    zp = np.abs(previous[:, columns])
    out = np.zeros(len(columns))
    for j in range(len(columns)):  # a few series: a handful of KPIs
        ok = np.isfinite(z[:, j]) & np.isfinite(zp[:, j])
        if ok.sum() < MIN_EXCEEDANCES / (1 - QUANTILE):  # a young window: every row a draw
            continue
        zj, pj = z[ok, j], zp[ok, j]
        u = np.quantile(zj, QUANTILE)
        beyond = zj > u
        if beyond.sum() < MIN_EXCEEDANCES:  # ties at the top (a bounded KPI at its cap)
            continue
        starts = (beyond & ~(pj > u)).sum()
        out[j] = -np.log10(max(starts, 1) / beyond.sum())
    return out
