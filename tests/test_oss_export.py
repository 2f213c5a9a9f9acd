"""The third generator's multi-RAT OSS report (``scripts/make_oss_export.py``) loads whole.

It differs from the other two generators where ingest looks: time in ``DATE_ID`` +
``HOUR_ID`` + ``MIN_ID`` or a US 12-hour clock, one block of rows per RAT, counters and
volumes written with thousands separators (``"12,345"``), ``LAC/TAC`` and ``Granularity
Period`` beside the KPIs, 2G/3G rows blank in 4G-only KPIs, a period exported twice.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from telecom_nb.evaluation.labels import apply_labels, read_labels
from telecom_nb.sources import load_source
from telecom_nb.sources.columns import skip_reason
from telecom_nb.sources.values import kpi_to_float

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
sys.path.insert(0, str(SCRIPTS))
_spec = importlib.util.spec_from_file_location("make_oss_export", SCRIPTS / "make_oss_export.py")
assert _spec is not None and _spec.loader is not None
oss = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(oss)


def make(out: Path, *extra: str) -> Path:
    assert (
        oss.main(
            [
                "--out",
                str(out),
                "--sites",
                "3",
                "--weeks",
                str(2 / 7),
                "--seed",
                "1129",
                "--fault-rate",
                "4",
                *extra,
            ]
        )
        == 0
    )
    return out


@pytest.mark.parametrize(
    "extra",
    [
        ("--time-style", "split", "--thousands"),
        ("--time-style", "ampm", "--step", "30min", "--timezone", "Asia/Karachi"),
    ],
)
def test_every_row_kpi_and_label_is_counted(tmp_path: Path, extra: tuple[str, ...]):
    folder = make(tmp_path, *extra)
    rows = len(pd.read_csv(folder / "cell_report.csv"))
    loaded = load_source(folder / "source.toml")
    c = loaded.counters
    assert c.rows_read == rows and c.rows_loaded + c.rows_dropped == rows
    assert c.rows_dropped == rows - len(loaded.frame)  # only a period exported twice
    assert set(loaded.kpis) == {name for name, _ in oss.oss_kpis.COLUMNS}
    labels = read_labels(folder / "labels.csv", spec=loaded.spec)
    labelled, _ = apply_labels(loaded.frame, labels)
    assert (labelled["fault"] != "").sum() == len(labels.frame.drop_duplicates()) > 0


def test_thousands_separators_read_as_the_same_numbers(tmp_path: Path):
    plain = load_source(make(tmp_path / "a") / "source.toml").frame
    grouped = load_source(make(tmp_path / "b", "--thousands") / "source.toml").frame
    for kpi in ("pmRrcConnEstabAtt", "DL PDCP Volume (MB)"):
        assert (grouped[kpi].to_numpy() >= 1000).any()
        np.testing.assert_array_equal(grouped[kpi].to_numpy(), plain[kpi].to_numpy())


def test_digit_groups_and_decimal_commas():
    values, odd = kpi_to_float(pd.Series(["12,345", "1,234,567.5", "-2,000", "7", None, "n/a"]))
    np.testing.assert_array_equal(values, [12345, 1234567.5, -2000, 7, np.nan, np.nan])
    assert odd == 0  # "n/a" is a vendor null token: missing, not non-numeric text
    values, _ = kpi_to_float(pd.Series(["1.234,5", "12 345,25", "1\u00a0000"]))
    np.testing.assert_array_equal(values, [1234.5, 12345.25, 1000])
    # a comma that is a decimal mark elsewhere in the column: "1,234" is not a group but
    # a decimal comma like "97,5" beside it (walk42: both were missing)
    values, odd = kpi_to_float(pd.Series(["97,5", "1,234"]))
    np.testing.assert_array_equal(values, [97.5, 1.234])
    assert odd == 0


def test_compound_identifier_names_are_not_kpis():
    ids = pd.Series([4100, 4101])
    assert skip_reason("LAC/TAC", ids) == "identifier"
    assert skip_reason("RNC/BSC", ids) == "identifier"
    assert skip_reason("TCH Drop Rate (%)", ids) is None
