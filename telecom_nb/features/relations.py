"""KPI relations that break in faults: log ratios of two KPIs.

Throughput per PRB falls when a cell degrades at the same load; payload per
availability point falls when a cell serves less while "up". Each ratio is
normal relative to its own sector baseline (see ``seasonal``), so the relation,
not the absolute level, is what gets judged.
"""

from __future__ import annotations

import itertools

import numpy as np

from telecom_nb.features.scaling import signed_log1p
from telecom_nb.schema import AVAILABILITY, PAYLOAD, PRB, THROUGHPUT

#: Pairs (numerator, denominator) used when all the schema's KPIs are present.
SCHEMA_RELATIONS: tuple[tuple[str, str], ...] = (
    (THROUGHPUT, PRB),  # throughput per PRB: radio efficiency
    (PAYLOAD, PRB),  # volume per PRB: load vs carried traffic
    (PAYLOAD, AVAILABILITY),  # payload vs availability
)


def default_relations(kpis: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The schema's relations among ``kpis``, else consecutive pairs of a generic KPI list."""
    schema = tuple((a, b) for a, b in SCHEMA_RELATIONS if a in kpis and b in kpis)
    if schema:
        return schema
    return tuple(itertools.pairwise(kpis))


def relation_name(pair: tuple[str, str]) -> str:
    return f"{pair[0]}/{pair[1]}"


def relation_values(
    raw: np.ndarray,
    kpis: tuple[str, ...],
    pairs: tuple[tuple[str, str], ...],
    offsets: np.ndarray | None = None,
    *,
    logged: dict[int, np.ndarray] | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """rows x pairs: log((c_a+|a|)/(c_b+|b|)) with sign kept (up to a constant); NaN where
    an input is missing. ``offsets``: per KPI its ``c`` (None: 1 each, ``log1p``), a load's
    in its own units (:mod:`~telecom_nb.features.relation_offsets`).

    Each KPI's signed log is taken once, however many pairs it is in (PRB and payload are
    in two each). ``logged``: KPI column -> its signed ``log1p`` already at hand (the scaled
    KPIs, :func:`~telecom_nb.features.scaling.scale_kpis`: the same bits), used where that
    KPI's ``c`` is 1. ``out``: rows x pairs to write into (a column block of a wider array).
    """
    if out is None:
        out = np.empty((raw.shape[0], len(pairs)))
    logs: dict[int, np.ndarray] = {}

    def log_of(i: int) -> np.ndarray:
        if i not in logs:
            c = 1.0 if offsets is None else offsets[i]
            if logged is not None and i in logged and c == 1.0:
                logs[i] = logged[i]  # x / 1 is x: log((1 + |x|) / 1) as the scaled KPI
            else:  # log((c + |x|) / c); log1p itself where c is 1
                logs[i] = signed_log1p(raw[:, i] if offsets is None else raw[:, i] / c)
        return logs[i]

    for j, (a, b) in enumerate(pairs):
        np.subtract(log_of(kpis.index(a)), log_of(kpis.index(b)), out=out[:, j])
    return out


def relation_weights(
    kpis: tuple[str, ...], pairs: tuple[tuple[str, str], ...]
) -> np.ndarray:
    """pairs x kpis: a broken relation speaks half for each of its KPIs."""
    w = np.zeros((len(pairs), len(kpis)))
    for j, (a, b) in enumerate(pairs):
        w[j, kpis.index(a)] = 0.5
        w[j, kpis.index(b)] = 0.5
    return w
