"""A row's load against its sector's usual load: how much traffic its ratios stand on (fleets).

A ratio of few attempts is noise its spread does not describe: a handover success rate of
a dozen night-time handovers reads 75 % for one failure, and where its hour, its peers and
its previous tick usually read 100 % (the spread at its floor) its season, peer and change
views all read the same ``x / floor`` -- two views of one KPI that "agree" without being
two evidences. On hourly worlds the rows the views part
(:mod:`~telecom_nb.detectors.views_part`) lifted over the threshold: vendor t3017 12 false,
6 of them at 0.02-0.27x their sector's usual load (handover, setup and PRB, mostly 01:00-04:00),
10 true at 1.1-6x (the one-row latency spikes it was built for among them); OSS worlds'
quiet ones a GSM cell's call drop rate or a night's setup counters.

Learned from data, no KPI names: the load is the fleet's load family
(:mod:`~telecom_nb.features.load_explained`: the KPIs whose seasonal z move together --
users, volumes, setups, PRB); a row's load level is the median over the family's KPIs it
has of its scaled value (a log: ``log1p``) minus its sector's overall level of that KPI
(the seasonal part's sector table, an EW Huber mean of all its hours): about ``ln`` of
the row's load over its sector's usual. Causal: the levels are the state before the row.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.range_novelty import lane_medians
from telecom_nb.sector_index import known_rows


def nan_median_rows(values: np.ndarray) -> np.ndarray:
    """Per row the median of its finite values, NaN for none: rows x a few family KPIs read
    as one lane of :func:`~telecom_nb.features.range_novelty.lane_medians` (an infinite
    value left out as a missing one)."""
    if values.shape[1] == 0:
        return np.full(len(values), np.nan)
    finite = np.where(np.isfinite(values), values, np.nan)
    return lane_medians(finite[:, :, None])[:, 0]


def load_level(season, family: np.ndarray, rows: np.ndarray, scaled: np.ndarray
               ) -> np.ndarray:
    """(rows,) the row's load family against its sector's usual level (see the module);
    NaN for a row without a family KPI or its sector's level (a new sector)."""
    fam = np.flatnonzero(family)
    table = season.sector_table_
    known = known_rows(rows, table.n_rows)
    if not len(fam) or not known.any():
        return np.full(len(rows), np.nan)
    r = np.where(known, rows, 0)[:, None]
    cells = (r, fam[None, :])
    usual = np.where(table.counts(cells) > 0, table.levels(cells), np.nan)
    dev = np.where(known[:, None], scaled[:, fam] - usual, np.nan)
    return nan_median_rows(dev)


def load_z(z: np.ndarray, valid: np.ndarray, family: np.ndarray) -> np.ndarray:
    """(rows,) the median seasonal z of the row's load family KPIs that have a value
    (``z``: rows x KPIs as the seasonal part gave them, before the fleet's common mode
    takes a shared shift off; ``valid``: which have a value): how far the row's load is
    from its time slot's usual, in spreads. NaN for a row without a family KPI."""
    fam = np.flatnonzero(family)
    if not len(fam):
        return np.full(len(z), np.nan)
    return nan_median_rows(np.where(valid[:, fam], z[:, fam], np.nan))
