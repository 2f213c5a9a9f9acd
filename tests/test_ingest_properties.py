"""Property: any time value (text, huge/negative ints, floats, garbage) loads or raises
KpiInputError, never a pandas traceback; and every row is loaded or counted."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telecom_nb.errors import KpiInputError
from telecom_nb.sources.ingest import load_source
from telecom_nb.sources.spec import SourceSpec
from telecom_nb.sources.timeparse import parse_times

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])

time_values = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),  # beyond int64 both ways
    st.integers(min_value=19_000_101, max_value=21_001_231),  # YYYYMMDD-ish
    st.integers(min_value=190_001_010_000, max_value=210_012_312_359),  # YYYYMMDDHHMM-ish
    st.integers(min_value=19_000_101_000_000, max_value=21_001_231_235_959),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)),
    st.text(max_size=20),
    st.sampled_from(["10:45", "2026-04-04 10:00", "04/13/2026 10:00", "13/04/2026 10:00",
                     "2026-04-04T10:00+03:30", "25:99", "", "nan", "1e400", None]),
)


columns = st.lists(time_values, min_size=1, max_size=30)


@SETTINGS
@given(values=columns, unit=st.sampled_from([None, "s", "ms"]),
       fmt=st.sampled_from([None, "%Y%m%d%H%M%S", "%d/%m/%Y %H:%M"]))
def test_parse_times_raises_only_kpi_input_error(values, unit, fmt):
    if unit and fmt:
        fmt = None
    series = pd.Series(values, dtype=object)
    try:
        parsed = parse_times(series, column="t", time_unit=unit, time_format=fmt)
    except KpiInputError as exc:
        assert "\n" not in str(exc)
        return
    assert len(parsed.utc) == len(series) == len(parsed.bad)
    assert parsed.utc[~parsed.bad].notna().all()


@SETTINGS
@given(values=columns, zone=st.sampled_from(["UTC", "Asia/Tehran", "Europe/Berlin"]),
       allow=st.booleans(), homogeneous=st.booleans())
def test_load_source_loads_or_raises_one_line_and_counts_every_row(tmp_path_factory, values,
                                                                   zone, allow, homogeneous):
    if homogeneous:  # real files have one kind per column: all ints, or all text
        values = [v for v in values if isinstance(v, int)] or values
    path = tmp_path_factory.mktemp("p") / "export.csv"
    n = len(values)
    pd.DataFrame({"t": pd.Series(values, dtype=object), "cell": ["a", "b"] * (n // 2)
                  + ["a"] * (n % 2), "kpi": range(n)}).to_csv(path, index=False)
    n = len(pd.read_csv(path))  # text with line breaks can make more CSV rows
    spec = SourceSpec(path=path, timestamp="t", sector="cell", timezone=zone,
                      allow_drops=allow)
    try:
        loaded = load_source(spec)
    except KpiInputError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("export.csv: ")
        return
    c = loaded.counters
    assert c.rows_read == n == c.rows_loaded + c.rows_dropped == len(loaded.frame) + c.rows_dropped
    assert allow or c.rows_dropped - c.rows_footer <= 0.01 * n  # a footer line is not data
    stamps = loaded.frame["timestamp"]
    assert str(stamps.dt.tz) == "UTC" and stamps.is_monotonic_increasing
    assert stamps.dt.year.between(1899, 2200).all()  # never 2609, never out of bounds
