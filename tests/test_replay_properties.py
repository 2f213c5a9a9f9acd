"""Property: any table of the right shape loads/validates to finite or blank (NaN, never
±inf) KPIs, or a KpiInputError.

Never another exception: a user with a messy file must get a message, not a traceback.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telecom_nb import schema
from telecom_nb.errors import KpiInputError
from telecom_nb.sources.replay import ReplaySource
from telecom_nb.sources.tables import load_table
from telecom_nb.sources.validation import BatchValidator

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

kpi_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.floats(min_value=-10, max_value=110),
    st.sampled_from(["n/a", "", "oops", "12.5", None]),
)
timestamps = st.one_of(
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2040, 1, 1)),
    st.sampled_from(["2026-01-05 10:00", "2026-01-05T10:15+03:30", "garbage", None]),
)
sector_ids = st.one_of(st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 3), st.none())


@st.composite
def tables(draw: st.DrawFn, all_kpis: bool = False) -> pd.DataFrame:
    n = draw(st.integers(0, 25))
    kpis = list(schema.KPIS) if all_kpis else draw(
        st.lists(st.sampled_from(schema.KPIS), min_size=1, max_size=4, unique=True)
    )
    if all_kpis and draw(st.booleans()):  # one network time per batch, as streams send
        stamps = [draw(timestamps)] * n
    else:
        stamps = draw(st.lists(timestamps, min_size=n, max_size=n))
    columns: dict[str, list] = {"timestamp": stamps}
    if draw(st.booleans()):
        columns["sector_id"] = draw(st.lists(sector_ids, min_size=n, max_size=n))
    for kpi in kpis:
        if draw(st.booleans()):
            columns[kpi] = draw(st.lists(kpi_values, min_size=n, max_size=n))
        else:  # a clean float column, as most real files have
            columns[kpi] = draw(st.lists(
                st.floats(allow_nan=True, allow_infinity=True), min_size=n, max_size=n
            ))
    return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})


def finite_or_blank(frame: pd.DataFrame, kpis: list[str]) -> bool:
    """Finite or blank: a missing value stays NaN (no value invented), ±inf never passes."""
    return not bool(np.isinf(frame[kpis].to_numpy(dtype=float)).any())


@SETTINGS
@given(tables())
def test_any_table_loads_replays_and_validates_to_finite_or_blank_or_kpi_error(table):
    try:
        source = ReplaySource(table)
    except KpiInputError:
        return
    frame = source.frame
    assert not np.isinf(frame[source.kpis].to_numpy(dtype=float)).any()
    assert frame["timestamp"].is_monotonic_increasing
    assert not frame.duplicated(["timestamp", "sector_id"]).any()
    validator = BatchValidator(source.kpis)
    for raw in source:
        out = validator.validate(raw)  # replayed batches are never late nor mixed
        assert finite_or_blank(out.frame, source.kpis)
        assert out.frame["sector_id"].is_unique
    assert validator.totals["batches"] == source.n_batches


@SETTINGS
@given(st.lists(tables(all_kpis=True), min_size=1, max_size=4))
def test_any_batch_sequence_validates_to_finite_or_blank_or_kpi_error(batches):
    validator = BatchValidator(schema.KPIS)
    for raw in batches:
        try:
            out = validator.validate(raw)
        except KpiInputError:
            continue
        assert finite_or_blank(out.frame, list(schema.KPIS))
        percents = out.frame[list(schema.PERCENT_KPIS)].to_numpy()
        assert ((percents >= 0) & (percents <= 100) | np.isnan(percents)).all()
    assert validator.totals["batches"] + validator.totals["rejected"] == len(batches)


@SETTINGS
@given(tables())
def test_any_table_written_as_csv_loads_or_raises_kpi_error(tmp_path_factory, table):
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    table.to_csv(path, index=False)
    try:
        loaded = load_table(path)
    except KpiInputError:
        return
    assert not np.isinf(loaded.frame[loaded.kpis].to_numpy(dtype=float)).any()
    assert loaded.report["rows_loaded"] == len(loaded.frame) <= loaded.report["rows_read"]
