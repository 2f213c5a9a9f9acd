"""Scratch: what a rule tried offline adds to a saved result's flags.

The issue-11 probes (``hour27/rules.py``, ``season_sweep.py``, ``two_hour.py``,
``surge27/runs.py``) each flag more rows of an ``operator_quality.py --save`` result and
ask the same question: the evaluation with those rows flagged too, and which fault kinds
gained events.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.evaluation.metrics import evaluate


def with_rule(df: pd.DataFrame, base, extra: np.ndarray) -> tuple[object, dict[str, int]]:
    """(the evaluation with ``extra`` rows flagged beside the result's own flags, events
    gained per fault kind against ``base`` = ``evaluate(df)``; kinds without a change left
    out)."""
    flags = df[schema.IS_ANOMALY].to_numpy(bool) | extra
    ev = evaluate(df.assign(**{schema.IS_ANOMALY: flags}))
    kinds = {k: s.events_found - base.per_kind[k].events_found
             for k, s in ev.per_kind.items()
             if s.events_found != base.per_kind[k].events_found}
    return ev, kinds
