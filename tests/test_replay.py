"""Loading recorded tables (mapping, repairs, bad input) and replaying them per timestamp."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.errors import KpiInputError
from telecom_nb.sources.replay import ReplaySource
from telecom_nb.sources.tables import ColumnMapping, load_table

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
NYC_TAXI = SHARED / "data" / "nab" / "data" / "realKnownCause" / "nyc_taxi.csv"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def kpi_table(n_sectors: int = 3, n_times: int = 4, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stamps = pd.date_range("2026-01-05 10:00", periods=n_times, freq="15min", tz="UTC")
    n = n_sectors * n_times
    return pd.DataFrame({
        "timestamp": np.repeat(stamps, n_sectors),
        "sector_id": np.tile([f"S{i}" for i in range(n_sectors)], n_times),
        "province": np.tile(["Tehran", "Fars", "Gilan"][:n_sectors] * (n_sectors // 3 + 1),
                            n_times)[:n],
        "lat": 35.0, "lon": 51.0,
        "payload_mb": rng.gamma(2, 50, n), "throughput_mbps": rng.gamma(2, 10, n),
        "prb_pct": rng.uniform(0, 100, n), "availability_pct": 100.0,
        "fault": "",
    })


# --------------------------------------------------------------------------- columns


def test_standard_table_keeps_schema_and_extra_columns():
    df = kpi_table()
    df["label"] = 0
    loaded = load_table(df)
    assert loaded.kpis == list(schema.KPIS)
    assert list(loaded.frame.columns[:9]) == [*schema.ID_COLUMNS, *schema.KPIS]
    assert "fault" in loaded.frame and "label" in loaded.frame
    assert str(loaded.frame["timestamp"].dt.tz) == "UTC"
    assert loaded.report["rows_read"] == loaded.report["rows_loaded"] == len(df)
    assert loaded.messages and "loaded 12 of 12 rows" in loaded.messages[0]


def test_misnamed_column_names_it_lists_columns_and_suggests(tmp_path):
    path = write(tmp_path, "k.csv", "time_stamp,cell,value\n2026-01-05 10:00,a,1\n")
    with pytest.raises(KpiInputError) as err:
        load_table(path, ColumnMapping(timestamp="timestamp", sector="cel"))
    text = str(err.value)
    assert "column 'timestamp' not found (mapped as timestamp)" in text
    assert "column 'cel' not found (mapped as sector)" in text
    assert "columns are: time_stamp, cell, value" in text
    assert "did you mean 'time_stamp'" in text and "did you mean 'cell'" in text


def test_default_names_absent_suggest_a_likely_column(tmp_path):
    path = write(tmp_path, "k.csv", "ts,cell,v\n2026-01-05 10:00,a,1\n")
    with pytest.raises(KpiInputError) as err:
        load_table(path)
    text = str(err.value)
    assert text.startswith("k.csv: column 'timestamp' not found (mapped as timestamp); "
                           "columns are: ts, cell, v")
    assert "did you mean 'ts' for 'timestamp'?" in text
    loaded = load_table(path, ColumnMapping(timestamp="ts"))
    assert loaded.frame["sector_id"].tolist() == [schema.SINGLE_SERIES_ID]
    assert any("ColumnMapping(sector='cell')" in m for m in loaded.messages)


def test_mapping_renames_to_canonical_names(tmp_path):
    path = write(tmp_path, "k.csv",
                 "when,cell,region,y,x,dl\n2026-01-05 10:00,a,Fars,29.6,52.5,3.5\n")
    mapping = ColumnMapping(timestamp="when", sector="cell", province="region", lat="y",
                            lon="x", kpis=("dl",))
    frame = load_table(path, mapping).frame
    assert list(frame.columns) == [*schema.ID_COLUMNS, "dl"]
    assert frame.loc[0, "province"] == "Fars" and frame.loc[0, "lat"] == 29.6


def test_kpi_autodetect_skips_ids_and_labels(tmp_path):
    path = write(tmp_path, "k.csv",
                 "timestamp,sector_id,lat,lon,fault,label,score,cpu,mem\n"
                 "2026-01-05 10:00,a,1,2,,0,0.5,10,20\n")
    assert load_table(path).kpis == ["cpu", "mem"]


def test_no_kpi_column_is_an_error(tmp_path):
    path = write(tmp_path, "k.csv", "timestamp,sector_id,fault\n2026-01-05 10:00,a,x\n")
    with pytest.raises(KpiInputError, match="no KPI column found"):
        load_table(path)


def test_missing_sector_province_coords_defaults(tmp_path):
    path = write(tmp_path, "k.csv", "timestamp,value\n2026-01-05 10:00,1\n2026-01-05 10:30,2\n")
    loaded = load_table(path)
    frame = loaded.frame
    assert (frame["sector_id"] == schema.SINGLE_SERIES_ID).all()
    assert (frame["province"] == schema.UNKNOWN_PROVINCE).all()
    assert frame["lat"].isna().all() and frame["lon"].isna().all()
    assert any("one series" in m for m in loaded.messages)


def test_numeric_sector_ids_become_clean_strings(tmp_path):
    path = write(tmp_path, "k.csv",
                 "timestamp,sector_id,v\n2026-01-05 10:00,101,1\n2026-01-05 10:00,,2\n"
                 "2026-01-05 10:00,102,3\n")
    loaded = load_table(path)
    assert loaded.frame["sector_id"].tolist() == ["101", "102"]
    assert loaded.report["rows_skipped_missing_sector"] == 1


# --------------------------------------------------------------------------- timestamps

BAD_TS = (
    "timestamp,sector_id,v\n2026-01-05 10:00,a,1\nyesterday,a,2\n2026-01-05 10:30,a,3\n"
    "n.a.,a,4\n"
)


def test_unparseable_timestamps_error_mode_names_rows(tmp_path):
    path = write(tmp_path, "k.csv", BAD_TS)
    with pytest.raises(KpiInputError) as err:
        load_table(path, on_bad_rows="error")
    text = str(err.value)
    assert "k.csv" in text and "'timestamp'" in text
    assert "row 2: 'yesterday'" in text and "row 4: 'n.a.'" in text


def test_unparseable_timestamps_skip_mode_counts(tmp_path):
    loaded = load_table(write(tmp_path, "k.csv", BAD_TS))
    assert loaded.report["rows_skipped_bad_timestamp"] == 2
    assert loaded.frame["v"].tolist() == [1.0, 3.0]
    assert any("skipped 2 row(s)" in m and "yesterday" in m for m in loaded.messages)


def test_all_timestamps_unparseable_is_an_error(tmp_path):
    path = write(tmp_path, "k.csv", "timestamp,v\nfoo,1\nbar,2\n")
    with pytest.raises(KpiInputError, match="no row has a readable timestamp"):
        load_table(path)


def test_timezones_naive_utc_aware_converted_epoch_seconds():
    naive = pd.DataFrame({"timestamp": pd.to_datetime(["2026-01-05 10:00"]), "v": [1.0]})
    assert load_table(naive).frame["timestamp"][0] == pd.Timestamp("2026-01-05 10:00", tz="UTC")

    tehran = pd.DataFrame({
        "timestamp": pd.to_datetime(["2026-01-05 13:30"]).tz_localize("Asia/Tehran"), "v": [1.0]
    })
    out = load_table(tehran).frame["timestamp"]
    assert str(out.dt.tz) == "UTC" and out[0] == pd.Timestamp("2026-01-05 10:00", tz="UTC")

    epoch = pd.DataFrame({"timestamp": [1767607200, 1767608100], "v": [1.0, 2.0]})
    assert load_table(epoch).frame["timestamp"][0] == pd.Timestamp("2026-01-05 10:00", tz="UTC")


def test_offset_strings_and_mixed_formats(tmp_path):
    path = write(tmp_path, "k.csv",
                 "timestamp,v\n2026-01-05T13:30:00+03:30,1\n2026-01-05 10:15:00Z,2\n"
                 "Jan 5 2026 10:30,3\n")
    stamps = load_table(path).frame["timestamp"]
    expected = pd.date_range("2026-01-05 10:00", periods=3, freq="15min", tz="UTC")
    assert list(stamps) == list(expected)


# --------------------------------------------------------------------------- KPI values


def test_non_numeric_kpi_strings_become_nan_and_are_counted(tmp_path):
    path = write(tmp_path, "k.csv",
                 "timestamp,sector_id,v,w\n2026-01-05 10:00,a,1,5\n2026-01-05 10:00,b,n/a,6\n"
                 "2026-01-05 10:00,c,oops,7\n2026-01-05 10:00,d,,8\n")
    loaded = load_table(path, ColumnMapping(kpis=("v", "w")))
    v = loaded.frame.set_index("sector_id")["v"]
    assert v["a"] == 1.0 and v[["b", "c", "d"]].isna().all()
    assert loaded.report["values_non_numeric"] == 1  # "oops"; n/a and "" are missing already
    assert loaded.report["values_blank"] == 3


def test_all_text_kpi_column_is_an_error(tmp_path):
    path = write(tmp_path, "k.csv",
                 "timestamp,sector_id,v,w\n2026-01-05 10:00,a,x,1\n2026-01-05 10:15,a,y,2\n")
    with pytest.raises(KpiInputError, match="KPI column 'v' has no numeric value"):
        load_table(path, ColumnMapping(kpis=("v", "w")))


def test_inf_becomes_nan_and_out_of_range_is_counted():
    df = kpi_table(n_sectors=3, n_times=1)
    df.loc[0, "payload_mb"] = np.inf
    df.loc[1, "throughput_mbps"] = -np.inf
    df.loc[2, "prb_pct"] = 140.0
    loaded = load_table(df)
    kpis = loaded.frame[list(schema.KPIS)].to_numpy()
    assert not np.isinf(kpis).any() and np.isnan(kpis).sum() == 2
    assert loaded.report["values_infinite"] == 2
    assert loaded.report["values_to_clip"] == 1


# --------------------------------------------------------------------------- rows


def test_duplicates_keep_last_and_unsorted_rows_are_sorted_stably(tmp_path):
    path = write(tmp_path, "k.csv",
                 "timestamp,sector_id,v\n"
                 "2026-01-05 10:15,a,1\n"
                 "2026-01-05 10:00,a,2\n"
                 "2026-01-05 10:00,b,3\n"
                 "2026-01-05 10:00,a,4\n")
    loaded = load_table(path)
    frame = loaded.frame
    assert frame["sector_id"].tolist() == ["b", "a", "a"]
    assert frame["v"].tolist() == [3.0, 4.0, 1.0]  # the later duplicate (4) wins
    assert loaded.report["duplicates_dropped"] == 1
    assert loaded.report["rows_reordered"] == 2
    assert frame["timestamp"].is_monotonic_increasing


# --------------------------------------------------------------------------- files


def test_wrong_extension_names_it(tmp_path):
    path = write(tmp_path, "k.xls", "whatever")  # .xlsx is read since issue 11; .xls is not
    with pytest.raises(KpiInputError, match=r"unsupported file extension '\.xls'"):
        load_table(path)


def test_empty_file_and_header_only(tmp_path):
    with pytest.raises(KpiInputError, match=r"empty\.csv: the file is empty"):
        load_table(write(tmp_path, "empty.csv", ""))
    with pytest.raises(KpiInputError, match="header but no data rows"):
        load_table(write(tmp_path, "head.csv", "timestamp,v\n"))


@pytest.mark.parametrize("name", ["junk.csv", "junk.parquet", "junk.csv.gz"])
def test_garbage_bytes_give_a_clear_error(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(1).bytes(4000))
    with pytest.raises(KpiInputError, match=name.replace(".", r"\.")):
        load_table(path)


def test_csv_parquet_and_gzip_round_trip(tmp_path):
    df = kpi_table(n_sectors=4, n_times=5, seed=3)
    reference = load_table(df).frame
    df.to_csv(tmp_path / "t.csv", index=False)
    df.to_parquet(tmp_path / "t.parquet")
    with gzip.open(tmp_path / "t.csv.gz", "wt") as fh:
        df.to_csv(fh, index=False)
    for name in ("t.csv", "t.parquet", "t.csv.gz"):
        frame = load_table(tmp_path / name).frame
        assert list(frame.columns) == list(reference.columns), name
        assert frame["timestamp"].equals(reference["timestamp"]), name
        assert frame["sector_id"].tolist() == reference["sector_id"].tolist(), name
        np.testing.assert_allclose(frame[list(schema.KPIS)], reference[list(schema.KPIS)])
        assert (frame["fault"] == "").all(), name


def nab_style_file(tmp_path: Path) -> Path:
    if NYC_TAXI.exists():
        return NYC_TAXI
    stamps = pd.date_range("2014-07-01", periods=500, freq="30min")
    values = (1e4 + 3e3 * np.sin(np.arange(500) / 8)).round()
    path = tmp_path / "nab.csv"
    pd.DataFrame({"timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S"), "value": values}).to_csv(
        path, index=False
    )
    return path


def test_nab_style_file_replays_as_one_series(tmp_path):
    path = nab_style_file(tmp_path)
    raw = pd.read_csv(path)
    source = ReplaySource(path)
    assert source.kpis == ["value"]
    assert source.n_batches == len(raw)
    assert source.step == pd.Timedelta("30min")
    assert source.sectors["sector_id"].tolist() == [schema.SINGLE_SERIES_ID]
    first = source.next_batch()
    assert len(first) == 1 and first.loc[0, "value"] == raw.loc[0, "value"]
    assert first.loc[0, "timestamp"] == pd.Timestamp(raw.loc[0, "timestamp"], tz="UTC")


# --------------------------------------------------------------------------- replay


def test_replay_yields_one_batch_per_timestamp_in_order():
    df = kpi_table(n_sectors=3, n_times=4).sample(frac=1, random_state=0)
    source = ReplaySource(df)
    assert source.n_batches == len(source) == 4
    assert source.step == pd.Timedelta("15min")
    assert source.report["rows_reordered"] > 0
    batches = list(source)
    assert [len(b) for b in batches] == [3, 3, 3, 3]
    stamps = [b["timestamp"].iloc[0] for b in batches]
    assert stamps == sorted(stamps) and len(set(stamps)) == 4
    assert all(b["timestamp"].nunique() == 1 for b in batches)
    assert all(list(b.index) == [0, 1, 2] for b in batches)
    assert source.next_batch() is None
    source.rewind()
    assert source.next_batch()["timestamp"].iloc[0] == stamps[0]


def test_replay_sectors_and_irregular_step():
    df = kpi_table(n_sectors=3, n_times=5)
    df = df[df["timestamp"] != df["timestamp"].unique()[2]]  # gaps 15, 30, 15 min
    source = ReplaySource(df)
    assert source.n_batches == 4
    assert source.step == pd.Timedelta("15min")  # median interval
    assert source.sectors.columns.tolist() == ["sector_id", "province", "lat", "lon"]
    assert source.sectors["sector_id"].tolist() == ["S0", "S1", "S2"]


def test_single_timestamp_has_no_step():
    source = ReplaySource(kpi_table(n_sectors=2, n_times=1))
    assert source.n_batches == 1 and source.step is None


@pytest.mark.slow
def test_million_rows_load(tmp_path):
    # Its cost is printed by benchmarks/unit_costs.py (no timed assertions in tests).
    n_sectors, n_times = 500, 2000
    rng = np.random.default_rng(0)
    stamps = pd.date_range("2026-01-01", periods=n_times, freq="15min", tz="UTC")
    n = n_sectors * n_times
    df = pd.DataFrame({
        "timestamp": np.repeat(stamps, n_sectors),
        "sector_id": np.tile([f"S{i:04d}" for i in range(n_sectors)], n_times),
        **{k: rng.random(n) * 100 for k in schema.KPIS},
    })
    path = tmp_path / "big.parquet"
    df.to_parquet(path)
    source = ReplaySource(path)
    assert source.n_batches == n_times and len(source.frame) == n


def test_input_dataframe_is_not_modified():
    df = kpi_table().sample(frac=1, random_state=1)
    df.loc[df.index[0], "payload_mb"] = np.inf
    copy = df.copy()
    load_table(df)
    pd.testing.assert_frame_equal(df, copy)


def test_mapped_column_clashing_with_a_canonical_name_is_an_error(tmp_path):
    path = write(tmp_path, "k.csv", "timestamp,cell,sector_id,v\n2026-01-05 10:00,a,b,1\n")
    with pytest.raises(KpiInputError, match=r"'cell' is mapped as 'sector_id'.*also has"):
        load_table(path, ColumnMapping(sector="cell"))


def test_bad_on_bad_rows_value_is_rejected():
    with pytest.raises(KpiInputError, match="on_bad_rows must be 'skip' or 'error'"):
        load_table(kpi_table(), on_bad_rows="ignore")


def test_epoch_numbers_stored_as_text_are_epoch_times():
    df = pd.DataFrame({"timestamp": ["1767607200", "1767608100", "1767609000"], "v": [1, 2, 3]})
    stamps = load_table(df).frame["timestamp"]
    assert list(stamps) == list(pd.date_range("2026-01-05 10:00", periods=3, freq="15min",
                                              tz="UTC"))
