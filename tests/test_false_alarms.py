"""The false-alarm classifier of ``benchmarks/false_alarms.py`` on a hand-made judged table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.false_alarms import classify
from telecom_nb import schema


def _judged() -> pd.DataFrame:
    """Two sectors of one site and one elsewhere, 30-minute rows for two days: sector a has
    a labelled fault 10:00-11:30 on day 1; flags at 13:00 on a (after it), 9:00 on b (the
    same site, before it), 12:00-13:00 on c (three rows, one episode, no fault near)."""
    times = pd.date_range("2026-03-02", periods=96, freq="30min", tz="UTC")
    rows = []
    for sector, site in (("a", "S1"), ("b", "S1"), ("c", "S2")):
        rows.append(pd.DataFrame({schema.TIMESTAMP: times, schema.SECTOR: sector, "site": site}))
    out = pd.concat(rows, ignore_index=True)
    local = out[schema.TIMESTAMP].dt.strftime("%H:%M")
    a, b, c = (out[schema.SECTOR] == s for s in "abc")
    day1 = out[schema.TIMESTAMP] < times[48]
    out[schema.FAULT] = np.where(a & day1 & local.between("10:00", "11:30"), "interference", "")
    flag = ((a & day1 & (local == "13:00")) | (b & day1 & (local == "09:00"))
            | (c & day1 & local.between("12:00", "13:00")))
    out[schema.IS_ANOMALY] = flag | (out[schema.FAULT] != "")
    out[schema.TOP_KPI] = np.where(out[schema.IS_ANOMALY], "RRC Setup SR (%)", "")
    return out


def test_flagged_unlabelled_rows_are_classed_by_their_distance_from_faults():
    fa = classify(_judged(), "UTC")
    assert len(fa) == 5  # the fault's own rows are no false alarms
    by = fa.set_index(schema.SECTOR if schema.SECTOR in fa else "sector")
    assert by.loc["a", "own"] == "after <6h" and by.loc["a", "own_since"] == 1.5
    assert by.loc["a", "own_kind"] == "interference"
    assert by.loc["b", "own"] == "none" and by.loc["b", "site"] == "before <6h"
    assert by.loc["b", "near"] == "site before <6h"
    assert (by.loc["c", "near"] == "site none").all()
    assert fa.loc[fa["sector"] == "c", "episode"].nunique() == 1  # consecutive rows: one
    assert fa["episode"].nunique() == 3
    assert (fa["part"] == "?").all()  # saved without --parts
