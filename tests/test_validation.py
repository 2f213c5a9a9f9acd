"""The stream-time batch validator: each documented rule, its counters, and its cost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.errors import KpiInputError
from telecom_nb.sources.validation import BLANK, BatchValidator

T0 = pd.Timestamp("2026-01-05 10:00", tz="UTC")
STEP = pd.Timedelta("15min")


def batch(tick: int = 0, sectors=("a", "b", "c"), **kpis) -> pd.DataFrame:
    n = len(sectors)
    values = {k: [10.0 + i for i in range(n)] for k in schema.KPIS}
    values.update({k: list(v) for k, v in kpis.items()})
    return pd.DataFrame({"timestamp": T0 + tick * STEP, "sector_id": list(sectors), **values})


@pytest.fixture
def validator() -> BatchValidator:
    return BatchValidator(schema.KPIS)


def test_clean_batch_passes_with_zero_counters(validator):
    out = validator.validate(batch())
    assert out.report["rows"] == 3 and out.report["new_sectors"] == 3
    assert all(v == 0 for k, v in out.report.items() if k not in ("rows", "new_sectors"))
    assert out.frame[BLANK].tolist() == [False] * 3
    assert out.frame["province"].eq(schema.UNKNOWN_PROVINCE).all()
    assert out.frame["lat"].isna().all()
    assert validator.last_timestamp == T0
    assert validator.totals["batches"] == 1 and validator.totals["rows"] == 3


def test_input_batch_is_not_modified(validator):
    raw = batch(payload_mb=[np.nan, -1.0, 5.0])
    copy = raw.copy()
    validator.validate(raw)
    pd.testing.assert_frame_equal(raw, copy)


def test_not_a_dataframe_and_missing_columns_are_rejected(validator):
    with pytest.raises(KpiInputError, match="must be a pandas DataFrame, got list"):
        validator.validate([1, 2])
    with pytest.raises(KpiInputError, match=r"lacks column.*'prb_pct'"):
        validator.validate(batch().drop(columns="prb_pct"))
    with pytest.raises(KpiInputError, match=r"lacks column.*'timestamp'"):
        validator.validate(batch().drop(columns="timestamp"))
    assert validator.totals["rejected"] == 3 and validator.totals["batches"] == 0


def test_missing_sector_column_is_one_series_and_extra_columns_kept(validator):
    raw = batch(sectors=("x",)).drop(columns="sector_id").assign(note="hello")
    out = validator.validate(raw)
    assert out.frame["sector_id"].tolist() == [schema.SINGLE_SERIES_ID]
    assert out.frame["note"].tolist() == ["hello"]


def test_duplicate_columns_rejected_and_odd_objects_coerced(validator):
    twice = pd.concat([batch(), batch()[["prb_pct"]]], axis=1)
    with pytest.raises(KpiInputError, match=r"duplicate column name.*prb_pct"):
        validator.validate(twice)
    lists = batch().astype({"prb_pct": object})
    lists["prb_pct"] = [[1], [2], [3]]
    out = validator.validate(lists)
    assert out.report["coerced"] == 3 and out.report["blank"] == 3
    assert out.frame["prb_pct"].isna().all()


def test_empty_batch_is_rejected(validator):
    with pytest.raises(KpiInputError, match="empty batch"):
        validator.validate(batch().iloc[:0])


def test_mixed_timestamps_are_rejected_naming_them(validator):
    raw = batch()
    raw.loc[2, "timestamp"] = T0 + STEP
    with pytest.raises(KpiInputError, match=r"mixed timestamps.*2026-01-05 10:00.*10:15"):
        validator.validate(raw)


def test_late_and_repeated_batches_are_rejected_and_stream_continues(validator):
    validator.validate(batch(tick=2))
    with pytest.raises(KpiInputError, match=r"late batch: 2026-01-05 10:15 is not after .*10:30"):
        validator.validate(batch(tick=1))
    with pytest.raises(KpiInputError, match="late batch"):
        validator.validate(batch(tick=2))
    out = validator.validate(batch(tick=3))  # the stream keeps running
    assert out.report["rows"] == 3
    assert validator.totals["rejected"] == 2 and validator.totals["batches"] == 2


def test_timestamps_naive_text_and_unparseable(validator):
    naive = batch().assign(timestamp=pd.Timestamp("2026-01-05 10:00"))
    assert validator.validate(naive).frame["timestamp"].iloc[0] == T0
    text = batch(tick=1).assign(timestamp="2026-01-05T13:45+03:30")
    assert validator.validate(text).frame["timestamp"].iloc[0] == T0 + STEP
    bad = batch(tick=2).assign(timestamp="soon")
    with pytest.raises(KpiInputError, match=r"unreadable timestamp.*'soon'"):
        validator.validate(bad)


def test_wrong_dtype_kpi_is_coerced_and_counted(validator):
    raw = batch(payload_mb=["1.5", "oops", "3"])
    out = validator.validate(raw)
    assert out.frame["payload_mb"].dtype == np.float64
    assert out.report["coerced"] == 1
    assert out.report["blank"] == 1  # the coerced NaN is then a blank
    assert out.frame["payload_mb"].tolist()[::2] == [1.5, 3.0]
    assert np.isnan(out.frame["payload_mb"].iloc[1])
    assert any("payload_mb: 1" in m for m in out.messages)


def test_blank_values_stay_blank_nothing_invented(validator):
    # a ratio with no attempts has no value: not the sector's last one, nor a median
    validator.validate(batch(tick=0, payload_mb=[100.0, 200.0, 300.0]))
    validator.validate(batch(tick=1, sectors=("c",), payload_mb=[333.0]))
    out = validator.validate(batch(tick=2, payload_mb=[np.nan, np.inf, -np.inf]))
    assert out.frame["payload_mb"].isna().all() and len(out.frame) == 3
    assert out.report["blank"] == 3
    assert out.frame[BLANK].tolist() == [True, True, True]
    assert out.frame["throughput_mbps"].notna().all()
    assert any("3 missing/infinite KPI value(s) kept blank" in m for m in out.messages)


def test_blanks_of_a_new_sector_stay_blank(validator):
    out = validator.validate(
        batch(payload_mb=[np.nan, 4.0, 8.0], throughput_mbps=[np.nan, np.nan, np.inf])
    )
    assert out.frame["payload_mb"].tolist()[1:] == [4.0, 8.0]
    assert np.isnan(out.frame["payload_mb"].iloc[0])
    assert out.frame["throughput_mbps"].isna().all()
    assert out.report["blank"] == 4
    assert out.frame[BLANK].tolist() == [True, True, True]


def test_percentages_and_negative_volumes_are_clipped(validator):
    out = validator.validate(batch(
        prb_pct=[-5.0, 50.0, 130.0], availability_pct=[100.5, 99.0, 0.0],
        payload_mb=[-1.0, 0.0, 1.0], throughput_mbps=[-0.5, 2.0, 3.0],
    ))
    assert out.frame["prb_pct"].tolist() == [0.0, 50.0, 100.0]
    assert out.frame["availability_pct"].tolist() == [100.0, 99.0, 0.0]
    assert out.frame["payload_mb"].tolist() == [0.0, 0.0, 1.0]
    assert out.frame["throughput_mbps"].tolist() == [0.0, 2.0, 3.0]
    assert out.report["clipped"] == 5


def test_generic_kpis_are_not_clipped():
    out = BatchValidator(["value"]).validate(
        pd.DataFrame({"timestamp": [T0], "value": [-7.0]})
    )
    assert out.frame["value"].tolist() == [-7.0] and out.report["clipped"] == 0


def test_duplicate_sector_rows_keep_last(validator):
    validator.validate(batch(tick=0))
    raw = batch(tick=1, sectors=("a", "b", "a", "d", "d"),
                payload_mb=[1.0, 2.0, 3.0, 4.0, 5.0])
    out = validator.validate(raw)
    assert out.frame["sector_id"].tolist() == ["b", "a", "d"]
    assert out.frame["payload_mb"].tolist() == [2.0, 3.0, 5.0]
    assert out.report["duplicates"] == 2
    assert list(out.frame.index) == [0, 1, 2]


def test_new_and_missing_sectors_are_counted(validator):
    first = validator.validate(batch(tick=0, sectors=("a", "b", "c")))
    assert first.report["new_sectors"] == 3 and first.report["missing_sectors"] == 0
    out = validator.validate(batch(tick=1, sectors=("a", "d")))
    assert out.report["new_sectors"] == 1 and out.report["missing_sectors"] == 2
    assert validator.n_sectors == 4 and list(validator.sectors) == ["a", "b", "c", "d"]
    assert validator.totals["new_sectors"] == 4


def test_rows_without_sector_id_are_dropped(validator):
    raw = batch(sectors=("a", None, "c"))
    out = validator.validate(raw)
    assert out.frame["sector_id"].tolist() == ["a", "c"]
    assert out.report["dropped_rows"] == 1


def test_rejected_batch_leaves_state_unchanged(validator):
    validator.validate(batch(tick=0, payload_mb=[1.0, 2.0, 3.0]))
    bad = batch(tick=1, sectors=("a", "z", "c"), payload_mb=[9.0, 9.0, 9.0])
    bad.loc[1, "timestamp"] = T0 + 5 * STEP
    with pytest.raises(KpiInputError):
        validator.validate(bad)
    assert validator.n_sectors == 3 and validator.last_timestamp == T0
    assert validator.last_values()["payload_mb"].tolist() == [1.0, 2.0, 3.0]


def test_reset_forgets_everything(validator):
    validator.validate(batch(tick=3))
    validator.reset()
    assert validator.last_timestamp is None and validator.n_sectors == 0
    assert validator.validate(batch(tick=0)).report["new_sectors"] == 3


def test_same_sector_order_reuses_lookup_but_stays_correct(validator):
    validator.validate(batch(tick=0, sectors=("a", "b"), payload_mb=[1.0, 2.0]))
    validator.validate(batch(tick=1, sectors=("a", "b"), payload_mb=[3.0, 4.0]))
    validator.validate(batch(tick=2, sectors=("b", "a"), payload_mb=[5.0, 6.0]))
    assert validator.last_values()["payload_mb"].tolist() == [6.0, 5.0]  # rows a, b
    validator.validate(batch(tick=3, sectors=("a", "b"), payload_mb=[7.0, np.nan]))
    assert validator.last_values()["payload_mb"].tolist()[0] == 7.0
    assert np.isnan(validator.last_values()["payload_mb"].iloc[1])


def test_a_live_batch_is_read_without_series_and_other_dtypes_still_coerced(validator,
                                                                             monkeypatch):
    """A live batch's float64 KPIs and UTC time are read as arrays (no ``frame[name]``,
    ~40 us each under pandas 3); other dtypes still take the Series path, same values."""
    validator.validate(batch())
    reads: list[object] = []
    getitem = pd.DataFrame.__getitem__

    def counted(self, key):
        reads.append(key)
        return getitem(self, key)

    monkeypatch.setattr(pd.DataFrame, "__getitem__", counted)
    out = validator.validate(batch(1))
    assert not {schema.TIMESTAMP, *schema.KPIS} & {k for k in reads if isinstance(k, str)}
    assert out.values[:, 0].tolist() == [10.0, 11.0, 12.0]
    mixed = batch(2).astype({schema.KPIS[0]: "int64", schema.KPIS[1]: "float32",
                             schema.KPIS[2]: "Float64"})
    mixed[schema.KPIS[3]] = ["1.5", "x", None]
    out = validator.validate(mixed)
    assert out.values[:, :3].tolist() == [[10.0] * 3, [11.0] * 3, [12.0] * 3]
    assert np.array_equal(out.values[:, 3], [1.5, np.nan, np.nan], equal_nan=True)
    assert out.report["coerced"] == 1
    with pytest.raises(KpiInputError, match="late batch"):  # the array path is still ordered
        validator.validate(batch(2))
