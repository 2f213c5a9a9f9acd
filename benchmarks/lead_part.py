"""Scratch helper: which part of the forest detector's score led each scored row.

The score is a max over parts (``IsolationForestDetector.part_scores``: the forest, the
max over features in tail units, run, area, persistence, rates, drift...; then the direct
novelty and level-shift parts); a false alarm's cure depends on which of them raised it.
:func:`trace_parts` wraps a detector's ``_score_features`` and records, per scored row,
the leading part's name and its value (the same computations again: a replay with it costs
about twice the scoring). Rows come out in the order the replay scores them (time, stable),
which :func:`attach` maps back onto the table. Not a test; used by ``operator_quality.py
--parts``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb import schema


def trace_parts(det) -> list[pd.DataFrame]:
    """Wrap ``det._score_features``; the returned list fills with one frame per scored
    batch (``lead_part``, ``lead_value``)."""
    record: list[pd.DataFrame] = []
    orig = det._score_features

    def wrapped(x, index, fitted=None, routine=None, silence=None, **kwargs):
        scores = orig(x, index, fitted, routine, silence, **kwargs)  # e.g. explain_from
        f = fitted or det._fitted
        lead = np.full(len(x), "", dtype=object)
        value = np.zeros(len(x))
        if f is not None:
            parts = det.part_scores(f.model, x)  # what the raw score is the max of
            names = list(parts)
            stack = np.vstack([np.asarray(parts[n], dtype=float) for n in names])
            best = np.nanargmax(np.nan_to_num(stack, nan=-np.inf), axis=0)
            lead = np.asarray(names, dtype=object)[best]
            value = f.calibrator(stack[best, np.arange(len(x))])
            if getattr(f.model, "views", None) is not None:  # read beside the records
                views = f.model.views(f.model.base(x))
                lead = np.where(views > value, "views", lead)
                value = np.maximum(value, views)
            for name in ("novelty", "shift"):
                direct = (
                    det._record_score(f.model, x)
                    if name == "novelty"
                    else det._shift_score(f.model, x)
                )
                if direct is not None:
                    wins = direct > value
                    lead = np.where(wins, name, lead)
                    value = np.where(wins, direct, value)
            if silence is not None:  # the zero-run record enters the score as a record does
                wins = np.asarray(silence, dtype=float) > value
                lead = np.where(wins, "silence", lead)
                value = np.where(wins, silence, value)
        record.append(pd.DataFrame({"lead_part": lead, "lead_value": value}))
        return scores

    det._score_features = wrapped
    return record


def attach(table: pd.DataFrame, scored: pd.DataFrame, record: list[pd.DataFrame]) -> pd.DataFrame:
    """``scored`` with the traced columns, mapped back from the replay's time order
    (the scored rows sorted by timestamp, stable; rows the validator dropped or rejected
    read ``unscored``); unchanged when the counts still differ."""
    if not record:
        return scored
    traced = pd.concat(record, ignore_index=True)
    rows = np.arange(len(table))
    if len(traced) != len(table) and schema.STATE in scored:
        # rows the validator dropped or rejected were never scored (state ""): the traced
        # rows are the scored ones, not the table's first (nab_leads put them there)
        rows = np.flatnonzero(scored[schema.STATE].to_numpy(dtype=object) != "")
    if len(traced) != len(rows):
        print(f"  parts: {len(traced)} traced rows for {len(rows)} scored; not attached")
        return scored
    stamps = pd.DatetimeIndex(table[schema.TIMESTAMP]).asi8[rows]
    order = rows[np.argsort(stamps, kind="stable")]
    out = scored.copy()
    for column in traced:
        taken = np.asarray(
            traced[column].to_numpy(dtype=object if column == "lead_part" else float)
        )
        values = np.full(
            len(table), "unscored" if taken.dtype == object else np.nan, dtype=taken.dtype
        )
        values[order] = taken
        out[column] = values
    return out
