"""Operator exports via SourceSpec/load_source: time forms, zones, KPI choice, sites, losses."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.errors import KpiInputError
from telecom_nb.sources.ingest import load_source
from telecom_nb.sources.kpiinfo import infer_kpi_info
from telecom_nb.sources.replay import ReplaySource
from telecom_nb.sources.spec import KpiSpec, SitesSpec, SourceSpec
from telecom_nb.sources.tables import load_table

CELLS = ("100001A_L1800", "100001B_L1800", "100002A_L2600")


def export(n_cells: int = 3, hours: int = 48, start: str = "2026-04-04", freq: str = "h",
           seed: int = 0) -> pd.DataFrame:
    """A small PM export: sorted by cell then time, local wall clock, Date and Time apart."""
    rng = np.random.default_rng(seed)
    stamps = pd.date_range(start, periods=hours, freq=freq)
    cells = [f"10000{i}A_L1800" for i in range(n_cells)]
    n = n_cells * hours
    return pd.DataFrame({
        "Date": np.tile(stamps.strftime("%Y-%m-%d"), n_cells),
        "Time": np.tile(stamps.strftime("%H:%M"), n_cells),
        "eNodeB Name": np.repeat([f"ENB_{i}" for i in range(n_cells)], hours),
        "Cell Name": np.repeat(cells, hours),
        "Cell ID": np.repeat(np.arange(n_cells) + 256, hours),
        "TAC": 1201,
        "E-RAB Drop Rate (%)": rng.gamma(1, 0.2, n),
        "DL Traffic Volume (GB)": rng.gamma(2, 1.5, n),
        "Unusual": rng.integers(0, 2, n),
    })


def spec(path: Path, **kw) -> SourceSpec:
    defaults = {"timestamp": ("Date", "Time"), "sector": "Cell Name"}
    return SourceSpec(path=path, **{**defaults, **kw})


def write(tmp_path: Path, frame: pd.DataFrame, name: str = "export.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


# --------------------------------------------------------------------------- time forms


def test_date_and_time_columns_are_joined(tmp_path):
    loaded = load_source(spec(write(tmp_path, export())))
    c = loaded.counters
    assert c.rows_read == c.rows_loaded == 144 and c.rows_dropped == 0
    assert c.timestamps == 48 and c.sectors == 3
    assert loaded.frame[schema.TIMESTAMP].iloc[0] == pd.Timestamp("2026-04-04", tz="UTC")
    assert loaded.cadence == pd.Timedelta("1h")


def test_time_of_day_column_alone_is_an_error_saying_how_to_join(tmp_path):
    with pytest.raises(KpiInputError) as err:
        load_source(spec(write(tmp_path, export()), timestamp="Time"))
    assert str(err.value) == (
        "export.csv: column 'Time' holds only times of day: join it with the date column, "
        'e.g. timestamp = ["Date", "Time"]'
    )


def test_date_alone_is_refused_with_the_cause(tmp_path):
    with pytest.raises(KpiInputError) as err:
        load_source(spec(write(tmp_path, export()), timestamp="Date"))
    text = str(err.value)
    assert "138 of 144 rows (95.8%) would be dropped" in text
    assert "is the time of day in another column?" in text and "\n" not in text


def test_time_only_in_load_table_too(tmp_path):
    path = write(tmp_path, export()[["Time", "Cell Name", "DL Traffic Volume (GB)"]])
    from telecom_nb.sources.tables import ColumnMapping

    with pytest.raises(KpiInputError, match="holds only times of day"):
        load_table(path, ColumnMapping(timestamp="Time", sector="Cell Name"))


@pytest.mark.parametrize(("fmt", "digits"), [("%Y%m%d%H%M%S", 14), ("%Y%m%d%H%M", 12)])
def test_compact_integers_are_dates_not_epoch_milliseconds(tmp_path, fmt, digits):
    table = export(hours=24, freq="5min")
    stamps = pd.to_datetime(table["Date"] + " " + table["Time"])
    table["Start"] = stamps.dt.strftime(fmt).astype("int64")
    assert len(str(table["Start"][0])) == digits
    loaded = load_source(spec(write(tmp_path, table), timestamp="Start"))
    assert loaded.frame[schema.TIMESTAMP].min() == pd.Timestamp("2026-04-04", tz="UTC")
    assert loaded.cadence == pd.Timedelta("5min")
    # The old loader (CLI path) reads them as dates as well.
    assert load_table(table.assign(timestamp=table["Start"])).frame[
        schema.TIMESTAMP].dt.year.eq(2026).all()


def test_compact_days(tmp_path):
    table = pd.DataFrame({"Day": [20260404, 20260405, 20260406], "v": [1.0, 2.0, 3.0]})
    loaded = load_source(SourceSpec(path=write(tmp_path, table), timestamp="Day"))
    assert loaded.cadence == pd.Timedelta("1D")
    assert loaded.frame[schema.SECTOR].eq(schema.SINGLE_SERIES_ID).all()


@pytest.mark.parametrize("unit", ["s", "ms"])
def test_epoch_numbers_with_time_unit(tmp_path, unit):
    base = pd.Timestamp("2026-04-04", tz="UTC").value // (10**9 if unit == "s" else 10**6)
    step = 3600 if unit == "s" else 3_600_000
    table = pd.DataFrame({"t": base + step * np.arange(5), "v": np.arange(5.0)})
    loaded = load_source(SourceSpec(path=write(tmp_path, table), timestamp="t", time_unit=unit,
                                    timezone="Asia/Tehran"))
    # Epoch numbers are instants: the zone does not move them.
    assert loaded.frame[schema.TIMESTAMP].iloc[0] == pd.Timestamp("2026-04-04", tz="UTC")


def test_explicit_day_first_format(tmp_path):
    table = export(hours=24)
    table["Date"] = pd.to_datetime(table["Date"]).dt.strftime("%d/%m/%Y")
    path = write(tmp_path, table)
    loaded = load_source(spec(path, time_format="%d/%m/%Y %H:%M"))
    assert loaded.frame[schema.TIMESTAMP].dt.month.eq(4).all()
    month_first = load_source(spec(path))  # 04/04 is ambiguous: said, not silent
    assert any("day-first or month-first" in m for m in month_first.messages)


def test_day_first_is_recognised_from_the_data(tmp_path):
    table = export(hours=24 * 14)
    table["Date"] = pd.to_datetime(table["Date"]).dt.strftime("%d/%m/%Y")
    loaded = load_source(spec(write(tmp_path, table)))
    assert loaded.counters.rows_dropped == 0
    assert loaded.frame[schema.TIMESTAMP].dt.month.isin([4]).all()


def test_bad_format_string_is_one_line(tmp_path):
    with pytest.raises(KpiInputError, match=r"time_format '%Q' cannot be used"):
        load_source(spec(write(tmp_path, export()), time_format="%Q"))


# --------------------------------------------------------------------------- zones


def test_naive_local_times_are_stored_as_utc_and_the_zone_kept(tmp_path):
    loaded = load_source(spec(write(tmp_path, export()), timezone="Asia/Tehran"))
    first = loaded.frame[schema.TIMESTAMP].iloc[0]
    assert first == pd.Timestamp("2026-04-03 20:30", tz="UTC")  # UTC+03:30
    assert str(loaded.timezone) == "Asia/Tehran"
    assert loaded.local_timestamps().iloc[0].strftime("%Y-%m-%d %H:%M") == "2026-04-04 00:00"


def test_bad_timezone_names_the_value(tmp_path):
    with pytest.raises(KpiInputError, match=r"timezone 'Asia/Tehrn' is not an IANA"):
        spec(tmp_path / "x.csv", timezone="Asia/Tehrn")


def test_dst_repeated_hour_is_resolved_by_order_and_skipped_hour_counted(tmp_path):
    # Tehran kept DST until 2022: 2021-09-21 23:00-24:00 happened twice, and on
    # 2021-03-22 the clock jumped from 00:00 to 01:00.
    stamps = ["2021-09-21 22:30", "2021-09-21 23:30", "2021-09-21 23:30", "2021-09-22 00:30"]
    table = pd.DataFrame({"t": stamps * 2, "cell": ["a"] * 4 + ["b"] * 4, "v": 1.0})
    loaded = load_source(SourceSpec(path=write(tmp_path, table), timestamp="t", sector="cell",
                                    timezone="Asia/Tehran"))
    assert loaded.counters.rows_dropped == 0 and loaded.counters.times_dst_ambiguous == 4
    a = loaded.frame[loaded.frame[schema.SECTOR] == "a"][schema.TIMESTAMP]
    assert a.diff().dropna().eq(pd.Timedelta("1h")).all()  # 19:00, 20:00, 21:00, 22:00 UTC

    gap = pd.DataFrame({"t": ["2021-03-21 23:30", "2021-03-22 00:30"], "v": [1.0, 2.0]})
    path = write(tmp_path, gap, "gap.csv")  # 00:30 never happened: read as 01:30 (+04:30)
    loaded = load_source(SourceSpec(path=path, timestamp="t", timezone="Asia/Tehran"))
    assert loaded.counters.rows_dst_shifted == 1 and loaded.counters.rows_loaded == 2
    assert loaded.frame[schema.TIMESTAMP].dt.strftime("%H:%M").tolist() == ["20:00", "21:00"]


def test_times_with_offsets_are_not_moved_by_the_zone(tmp_path):
    table = pd.DataFrame({"t": ["2026-04-04T03:30:00+03:30", "2026-04-04T04:30:00+03:30"],
                          "v": [1.0, 2.0]})
    loaded = load_source(SourceSpec(path=write(tmp_path, table), timestamp="t",
                                    timezone="Asia/Tehran"))
    assert loaded.frame[schema.TIMESTAMP].iloc[0] == pd.Timestamp("2026-04-04", tz="UTC")


# --------------------------------------------------------------------------- KPIs


def test_default_kpis_skip_ids_and_the_label_column_and_say_why(tmp_path):
    loaded = load_source(spec(write(tmp_path, export())))
    assert loaded.kpis == ["E-RAB Drop Rate (%)", "DL Traffic Volume (GB)"]
    assert loaded.skipped_columns["Unusual"] == "label-like 0/1 column"
    assert loaded.skipped_columns["Cell ID"] == "identifier"
    assert loaded.skipped_columns["TAC"] == "identifier"
    assert any("'Unusual' (label-like 0/1 column)" in m for m in loaded.messages)
    assert "Unusual" in loaded.frame  # kept as an extra column, not a KPI


def test_exclude_and_kpis(tmp_path):
    path = write(tmp_path, export())
    loaded = load_source(spec(path, exclude=["E-RAB Drop Rate (%)"]))
    assert loaded.kpis == ["DL Traffic Volume (GB)"]
    named = load_source(spec(path, kpis=["Unusual", "DL Traffic Volume (GB)"]))
    assert named.kpis == ["Unusual", "DL Traffic Volume (GB)"]
    with pytest.raises(KpiInputError, match=r"column 'DL Trafic' not found.*did you mean"):
        load_source(spec(path, exclude=["DL Trafic"]))
    with pytest.raises(KpiInputError, match=r"kpis \(the KPI columns\) or exclude, not both"):
        spec(path, kpis=["a"], exclude=["b"])


def test_a_kpi_section_of_an_excluded_column_or_a_misspelt_one(tmp_path):
    """walknb42: excluding a column the spec also describes was an error ("describes a
    column that is not a KPI") though --exclude on the same file worked; a misspelt section
    was reported as a column the export maps."""
    path = write(tmp_path, export())
    drop = "E-RAB Drop Rate (%)"
    loaded = load_source(spec(path, exclude=[drop], kpi={drop: KpiSpec(label="Drops")}))
    assert loaded.kpis == ["DL Traffic Volume (GB)"]
    with pytest.raises(KpiInputError, match=r"'E-RAB Drop Rate \[%\]' not found \(mapped as "
                       r"KPI by a \[kpi\] section of the source spec\).*did you mean"):
        load_source(spec(path, kpi={"E-RAB Drop Rate [%]": KpiSpec(bad="up")}))


def test_binary_kpi_without_a_label_name_stays_a_kpi(tmp_path):
    table = export().assign(**{"Cell Available": 1})
    assert "Cell Available" in load_source(spec(write(tmp_path, table))).kpis


@pytest.mark.parametrize(("name", "label", "unit", "bad"), [
    ("E-RAB Drop Rate (%)", "E-RAB Drop Rate", "%", "up"),
    ("RRC Setup Success Rate (%)", "RRC Setup Success Rate", "%", "down"),
    ("E-RAB Setup Failure Rate (%)", "E-RAB Setup Failure Rate", "%", "up"),
    ("Avg DL User Throughput (Mbps)", "Avg DL User Throughput", "Mbps", "down"),
    ("DL Traffic Volume (GB)", "DL Traffic Volume", "GB", "both"),
    ("Latency (ms)", "Latency", "ms", "up"),
    ("Cell Availability %", "Cell Availability", "%", "down"),
    ("Cell Unavailability Time (s)", "Cell Unavailability Time", "s", "up"),
    ("CSSR", "CSSR", "", "down"),
    ("Avg Connected Users", "Avg Connected Users", "", "both"),
    ("payload_mb", "payload", "MB", "both"),
    ("availability_pct", "availability", "%", "down"),
    # NetAct names end in the counter or KPI id: it was read as the unit (an axis in
    # 'M8013C17', and HO SR's '%' lost); Nokia's 'DR' (drop ratio) is bad when it rises
    ("pmRrcConnEstabSucc (M8013C17)", "pmRrcConnEstabSucc (M8013C17)", "", "both"),
    ("Intra eNB HO SR [%] (LTE_5043a)", "Intra eNB HO SR (LTE_5043a)", "%", "down"),
    ("E-RAB DR RAN (LTE_5025h)", "E-RAB DR RAN (LTE_5025h)", "", "up"),
    # Huawei PRS: the counter id before the unit (walk43: shown 'L.Thrp.bits.DL(1526728261)')
    ("L.Thrp.bits.DL(1526728261) (kbit)", "L.Thrp.bits.DL (1526728261)", "kbit", "both"),
])
def test_kpi_info_from_the_name(name, label, unit, bad):
    info = infer_kpi_info(name)
    assert (info.label, info.unit, info.bad) == (label, unit, bad)


def test_kpi_info_from_the_toml_wins(tmp_path):
    path = write(tmp_path, export())
    (tmp_path / "source.toml").write_text(
        'path = "export.csv"\ntimestamp = ["Date", "Time"]\nsector = "Cell Name"\n'
        '[kpi."DL Traffic Volume (GB)"]\nlabel = "Traffic"\nbad = "down"\n'
    )
    info = load_source(tmp_path / "source.toml").kpi_info
    assert info["DL Traffic Volume (GB)"].label == "Traffic"
    assert info["DL Traffic Volume (GB)"].unit == "GB" and info["DL Traffic Volume (GB)"].bad \
        == "down"
    assert info["E-RAB Drop Rate (%)"].bad == "up"
    assert path.exists()


# --------------------------------------------------------------------------- toml


def test_toml_paths_are_relative_to_the_toml_file(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write(data, export())
    pd.DataFrame({"Cell Name": ["100000A_L1800"], "LAT": [35.7], "Long": [51.4],
                  "Region": ["Tehran"]}).to_csv(data / "sites.csv", index=False)
    toml = tmp_path / "conf" / "source.toml"
    toml.parent.mkdir()
    toml.write_text('path = "../data/export.csv"\ntimestamp = ["Date", "Time"]\n'
                    'sector = "Cell Name"\ntimezone = "Asia/Tehran"\n'
                    'sites = "../data/sites.csv"\nallow_drops = false\n')
    loaded = load_source(toml)
    assert loaded.spec.path == toml.parent / "../data/export.csv"
    assert loaded.counters.sectors_without_site == 2


@pytest.mark.parametrize(("text", "message"), [
    ('path = "e.csv"\ntimstamp = "t"\n',
     "source.toml: unknown key 'timstamp'; did you mean 'timestamp'?"),
    ('path = "e.csv"\n[kpi."x"]\nbadd = "up"\n', "source.toml: unknown key 'kpi.\"x\".badd'"),
    ('path = "e.csv"\n[sites]\npath = "s.csv"\nlattitude = "y"\n',
     "source.toml: unknown key 'sites.lattitude'"),
    ('path = "e.csv"\nallow_drops = "yes"\n', "allow_drops must be true or false"),
    ('timestamp = "t"\n', "missing key 'path'"),
    ('path = "e.csv"\ntimezone = "Mars/Base"\n', "timezone 'Mars/Base' is not an IANA"),
    ('path = "e.csv"\ntime_unit = "h"\n', "time_unit must be one of"),
    ('path = "e.csv"\n[kpi."x"]\nbad = "sideways"\n', "bad must be one of up, down, both"),
    ("path = \n", "source.toml: not valid TOML"),
])
def test_bad_toml_is_one_line_naming_file_and_key(tmp_path, text, message):
    toml = tmp_path / "source.toml"
    toml.write_text(text)
    with pytest.raises(KpiInputError) as err:
        SourceSpec.from_toml(toml)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert str(err.value).startswith("source.toml: ")


# --------------------------------------------------------------------------- sites


def test_sites_are_joined_and_missing_sites_listed_and_kept(tmp_path):
    table = export(n_cells=4)
    path = write(tmp_path, table)
    cells = sorted(table["Cell Name"].unique())
    pd.DataFrame({
        "Site ID": [1, 1, 2], "Cell Name": cells[:3], "Latitude": [35.7, 35.7, 29.6],
        "Longitude": [51.4, 51.4, 52.5], "Azimuth": [0, 120, 240],
        "Province": ["Tehran", "Tehran", "Fars"],
    }).to_parquet(tmp_path / "sites.parquet")
    loaded = load_source(spec(path, sites=SitesSpec(tmp_path / "sites.parquet")))
    frame = loaded.frame.set_index(schema.SECTOR)
    assert frame.loc[cells[2], "province"].iloc[0] == "Fars"
    assert frame.loc[cells[1], "azimuth"].iloc[0] == 120.0
    assert frame.loc[cells[0], "site"].iloc[0] == "1"
    assert loaded.sites_missing == [cells[3]] and loaded.counters.sectors_without_site == 1
    assert frame.loc[cells[3], "lat"].isna().all()
    assert frame.loc[cells[3], "province"].eq(schema.UNKNOWN_PROVINCE).all()
    assert any("1 of 4 sector(s) are not in sites.parquet" in m and cells[3] in m
               for m in loaded.messages)
    assert loaded.counters.rows_loaded == len(table)


def test_sites_without_coordinates_name_the_columns(tmp_path):
    pd.DataFrame({"Cell Name": ["a"], "Province": ["Fars"]}).to_csv(tmp_path / "s.csv",
                                                                    index=False)
    with pytest.raises(KpiInputError, match=r"s\.csv: column 'lat' not found"):
        load_source(spec(write(tmp_path, export()), sites=SitesSpec(tmp_path / "s.csv")))


def test_coordinates_inside_the_export_are_used(tmp_path):
    table = export().assign(LAT=35.7, LONGITUDE=51.4, Province="Tehran")
    loaded = load_source(spec(write(tmp_path, table)))
    assert loaded.frame["lat"].eq(35.7).all() and loaded.frame["lon"].eq(51.4).all()
    assert loaded.frame["province"].eq("Tehran").all()
    assert "LAT" not in loaded.kpis and "LONGITUDE" not in loaded.kpis


# --------------------------------------------------------------------------- losses


def test_every_row_is_loaded_or_counted(tmp_path):
    table = export(n_cells=3, hours=200)
    table.loc[5, "Time"] = "25:99"  # unreadable
    table.loc[7, "Cell Name"] = np.nan
    table = pd.concat([table, table.iloc[[10]]], ignore_index=True)  # one duplicate
    loaded = load_source(spec(write(tmp_path, table)))
    c = loaded.counters
    assert (c.rows_bad_time, c.rows_missing_sector, c.rows_duplicate) == (1, 1, 1)
    assert c.rows_read == c.rows_loaded + c.rows_dropped == len(table)
    assert any("dropped 1 row(s), no readable time" in m and "25:99" in m
               for m in loaded.messages)


def test_periods_with_no_row_at_all_are_counted_and_named(tmp_path):
    """An OSS collection gap drops no row, so only the calendar shows it."""
    table = export(n_cells=3, hours=48)
    gap = table["Time"].isin(["05:00", "06:00"]) & (table["Date"] == "2026-04-05")
    loaded = load_source(spec(write(tmp_path, table[~gap]), timezone="Asia/Tehran"))
    assert loaded.counters.periods_empty == 2 and loaded.counters.rows_dropped == 0
    assert any("2 period(s) of 1 h with no row at all" in m and "2026-04-05 05:00 Asia/Tehran" in m
               for m in loaded.messages)
    whole = load_source(spec(write(tmp_path, table, "whole.csv")))
    assert whole.counters.periods_empty == 0
    assert not any("no row at all" in m for m in whole.messages)


def test_more_than_one_percent_lost_raises_unless_allowed(tmp_path):
    table = export(n_cells=3, hours=100)
    table.loc[:9, "Time"] = "later"  # 10 of 300 rows: 3.3 %
    path = write(tmp_path, table)
    with pytest.raises(KpiInputError) as err:
        load_source(spec(path))
    text = str(err.value)
    assert text.startswith("export.csv: 10 of 300 rows (3.3%) would be dropped, no readable "
                           "time in 'Date' + 'Time' (row 1: '2026-04-04 later'")
    assert "allow_drops = true" in text and "\n" not in text
    loaded = load_source(spec(path, allow_drops=True))
    assert loaded.counters.rows_bad_time == 10 and loaded.counters.rows_loaded == 290


def test_wrong_sector_column_names_the_cause(tmp_path):
    table = export(n_cells=3, hours=100)
    with pytest.raises(KpiInputError, match=r"300 rows but only 100 distinct timestamps for "
                                            r"1 sector\(s\).*is 'TAC' not one id per cell"):
        load_source(spec(write(tmp_path, table), sector="TAC"))
    with pytest.raises(KpiInputError, match=r"no sector column: which column names the cell\?"):
        load_source(SourceSpec(path=tmp_path / "export.csv", timestamp=("Date", "Time")))


def test_sorted_by_cell_is_normal_no_warning_no_message(tmp_path):
    path = write(tmp_path, export(n_cells=4, hours=100))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = load_source(spec(path))
        table = load_table(_as_mapped(tmp_path, path))
    assert not any("order" in m or "earlier" in m for m in loaded.messages + table.messages)
    assert loaded.frame[schema.TIMESTAMP].is_monotonic_increasing
    assert table.report["rows_reordered"] > 0  # still counted, not reported


def _as_mapped(tmp_path: Path, path: Path) -> Path:
    """The same export with the default column names of load_table."""
    table = pd.read_csv(path)
    table["timestamp"] = table.pop("Date") + " " + table.pop("Time")
    table["sector_id"] = table.pop("Cell Name")
    out = tmp_path / "mapped.csv"
    table.to_csv(out, index=False)
    return out


def test_backwards_rows_within_a_sector_are_reported(tmp_path):
    path = _as_mapped(tmp_path, write(tmp_path, export(n_cells=2, hours=10)))
    table = pd.read_csv(path)
    table = pd.concat([table.iloc[[3]], table.drop(index=3)])
    loaded = load_table(table)
    assert any("earlier than their sector's previous row" in m for m in loaded.messages)


def test_replay_from_source_streams_the_export(tmp_path):
    path = write(tmp_path, export(n_cells=3, hours=24))
    source = ReplaySource.from_source(spec(path, timezone="Asia/Tehran"))
    assert source.n_batches == 24 and source.step == pd.Timedelta("1h")
    assert source.loaded is not None and source.loaded.cadence == pd.Timedelta("1h")
    batch = source.next_batch()
    assert len(batch) == 3 and batch[schema.TIMESTAMP].nunique() == 1
