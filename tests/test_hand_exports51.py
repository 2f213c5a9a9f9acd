"""Shapes from hand-written exports (walk51) that our generators never wrote: spreadsheet
day numbers as times, an inventory in degrees-minutes-seconds, a workbook with a merged
two-row header, a zipped CSV, a reporting period that changes inside one file, Persian
digits."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest

from telecom_nb.errors import KpiInputError
from telecom_nb.sources.ingest import load_source
from telecom_nb.sources.spec import SitesSpec, SourceSpec


def export(cells: list[str], start: str = "2026-03-01", periods: int = 48,
           freq: str = "h") -> pd.DataFrame:
    """Rows per period then cell: a time column, a cell column, two KPIs."""
    stamps = pd.date_range(start, periods=periods, freq=freq)
    rng = np.random.default_rng(2830)
    n = len(stamps) * len(cells)
    return pd.DataFrame({"Time": np.repeat(stamps, len(cells)),
                         "Cell": np.tile(cells, len(stamps)),
                         "CSSR (%)": np.round(99.5 - rng.exponential(0.2, n), 2),
                         "Traffic (Erl)": np.round(rng.uniform(10, 90, n), 2)})


def test_spreadsheet_day_numbers_are_times_not_epoch_seconds(tmp_path):
    """A CSV saved from a spreadsheet with the time cells in General format: ``46082.041667``
    was read as epoch seconds, every row on 1970-01-01 16:18, exit 0."""
    table = export(["A", "B"])
    stamps = table["Time"]
    table["Time"] = ((stamps - pd.Timestamp("1899-12-30")) / pd.Timedelta("1D")).round(6)
    table.to_csv(tmp_path / "e.csv", index=False)
    loaded = load_source(SourceSpec(path=tmp_path / "e.csv", timestamp="Time", sector="Cell",
                                    timezone="Asia/Tehran"))
    local = loaded.local_timestamps().dt.tz_localize(None)
    assert local.min() == stamps.min() and local.max() == stamps.max()
    assert loaded.counters.timestamps == 48 and loaded.cadence == pd.Timedelta("1h")
    assert any("spreadsheet day numbers" in m for m in loaded.messages)


def test_an_inventory_in_degrees_minutes_seconds_puts_its_cells_on_the_map(tmp_path):
    """``35°41'22.5"N`` / ``51 24 30 E`` were read as blanks: every cell of the inventory
    off the map, nothing said; a value of neither form is now counted and said."""
    export(["A", "B", "C"]).to_csv(tmp_path / "e.csv", index=False)
    pd.DataFrame({"Cell": ["A", "B", "C"], "Site ID": ["S1", "S1", "S2"],
                  "LAT": ["35°41'22.5\"N", "35°41'22.5\"N", "33 52 12 S"],
                  "LON": ["51°24'30.0\"E", "51°24'30.0\"E", "somewhere"]}
                 ).to_csv(tmp_path / "sites.csv", index=False)
    loaded = load_source(SourceSpec(path=tmp_path / "e.csv", timestamp="Time", sector="Cell",
                                    sites=SitesSpec(tmp_path / "sites.csv")))
    first = loaded.frame.groupby("sector_id")[["lat", "lon"]].first()
    assert np.allclose(first.loc["A"], [35 + 41 / 60 + 22.5 / 3600, 51 + 24.5 / 60])
    assert np.isclose(first.loc["C", "lat"], -(33 + 52 / 60 + 12 / 3600))
    assert np.isnan(first.loc["C", "lon"])
    assert loaded.counters.coords_invalid == 1
    assert any("unreadable" in m for m in loaded.messages)


def test_a_spec_built_in_code_takes_sites_and_kpi_as_a_toml_writes_them(tmp_path):
    """``SourceSpec(sites="sites.csv", kpi={"X": {"bad": "up"}})``, as a source.toml says
    it, raised AttributeError ('PosixPath' object has no attribute 'path') in the loader."""
    export(["A", "B"]).to_csv(tmp_path / "e.csv", index=False)
    pd.DataFrame({"Cell": ["A", "B"], "Latitude": [35.7, 35.8], "Longitude": [51.4, 51.5]}
                 ).to_csv(tmp_path / "sites.csv", index=False)
    for sites in (tmp_path / "sites.csv", str(tmp_path / "sites.csv"),
                  {"path": str(tmp_path / "sites.csv"), "lat": "Latitude"}):
        spec = SourceSpec(path=tmp_path / "e.csv", timestamp="Time", sector="Cell",
                          sites=sites, kpi={"Traffic (Erl)": {"bad": "down", "unit": "Erl"}})
        loaded = load_source(spec)
        assert loaded.frame["lat"].notna().all()
        assert loaded.kpi_info["Traffic (Erl)"].bad == "down"
    with pytest.raises(KpiInputError, match=r'badd'):
        SourceSpec(path=tmp_path / "e.csv", kpi={"Traffic (Erl)": {"badd": "up"}})


def test_a_workbook_with_a_merged_two_row_header_reads_its_names(tmp_path):
    """A report workbook: a title block, then group names in merged cells (``Throughput``
    over ``DL (Mbps)`` and ``UL (Mbps)``) above the KPI names. Every header row is narrower
    than the body, so the first data row was taken as the header ("column 'Time' not found;
    columns are: 2026-03-01 00:00:00, A, 99.31, ...")."""
    openpyxl = pytest.importorskip("openpyxl")
    table = export(["A", "B"], periods=6)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Cell KPI report"])
    sheet.append([])
    sheet.append(["Time", "Cell", "Accessibility", "Throughput", None])
    sheet.append([None, None, "CSSR (%)", "DL (Mbps)", "UL (Mbps)"])
    sheet.merge_cells("D3:E3")
    sheet.merge_cells("A3:A4")
    for row in table.itertuples(index=False):
        sheet.append([row[0].to_pydatetime(), row[1], row[2], row[3], row[3] / 4])
    book.save(tmp_path / "report.xlsx")
    loaded = load_source(SourceSpec(path=tmp_path / "report.xlsx", timestamp="Time",
                                    sector="Cell"))
    assert loaded.kpis == ["Accessibility CSSR (%)", "Throughput DL (Mbps)",
                           "Throughput UL (Mbps)"]
    assert loaded.counters.rows_loaded == len(table) == loaded.counters.rows_read
    assert any("header read from rows 3-4" in m for m in loaded.messages)


def test_a_zipped_export_is_read_and_a_zip_of_several_is_one_line(tmp_path):
    """OSS clients hand exports out zipped: ``export.zip`` was refused as an unsupported
    extension. Title lines and a ``;`` layout are read off the zipped file as off a CSV."""
    table = export(["A", "B"])
    text = "Report: cells\n\n" + table.to_csv(index=False, sep=";", decimal=",")
    with zipfile.ZipFile(tmp_path / "export.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export_20260301.csv", text)
    loaded = load_source(SourceSpec(path=tmp_path / "export.zip", timestamp="Time",
                                    sector="Cell"))
    assert loaded.counters.rows_loaded == len(table)
    assert np.allclose(loaded.frame.sort_values(["sector_id", "timestamp"])["CSSR (%)"],
                       table.sort_values(["Cell", "Time"])["CSSR (%)"])
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as archive:
        archive.writestr("a.csv", text)
        archive.writestr("b.csv", text)
    with pytest.raises(KpiInputError, match=r"two.zip: a zip must hold one export file.*a.csv"):
        load_source(SourceSpec(path=tmp_path / "two.zip", timestamp="Time", sector="Cell"))


@pytest.mark.parametrize("first, then", [("15min", "h"), ("h", "15min")])
def test_a_reporting_period_that_changes_inside_one_file_is_said(tmp_path, first, then):
    """15 minutes for two days, then hourly (an OSS reconfigured): the hourly part was
    reported as "213 period(s) of 15 min with no row ... a collection gap in the export?"."""
    a = export(["A", "B"], start="2026-03-01", periods=96 if first == "15min" else 24,
               freq=first)
    b = export(["A", "B"], start="2026-03-02", periods=96 if then == "15min" else 24,
               freq=then)
    pd.concat([a, b]).to_csv(tmp_path / "e.csv", index=False)
    loaded = load_source(SourceSpec(path=tmp_path / "e.csv", timestamp="Time",
                                    sector="Cell"))
    assert loaded.counters.rows_loaded == len(a) + len(b)
    said = [m for m in loaded.messages if "reporting period changes" in m]
    steps = {"15min": "15 min", "h": "1 h"}
    assert len(said) == 1 and f"from {steps[first]} to {steps[then]}" in said[0]
    assert "2026-03-02 00:00" in said[0] or "2026-03-01 23:45" in said[0]
    assert not any("collection gap" in m for m in loaded.messages)


def test_a_collection_gap_is_not_a_period_change(tmp_path):
    table = export(["A", "B"], periods=96 * 3, freq="15min")
    table[table["Time"].dt.day != 2].to_csv(tmp_path / "e.csv", index=False)
    loaded = load_source(SourceSpec(path=tmp_path / "e.csv", timestamp="Time",
                                    sector="Cell"))
    assert any("collection gap" in m for m in loaded.messages)
    assert not any("reporting period changes" in m for m in loaded.messages)


@pytest.mark.parametrize("zone, offsets, named", [
    ("Asia/Tehran", "+03:30", "Asia/Tehran"),
    ("America/St_Johns", "-03:30, -02:30", "America/St_Johns"),
])
def test_times_with_offsets_but_no_timezone_say_the_calendar_is_utc(tmp_path, zone, offsets,
                                                                   named):
    """``2026-03-01T00:00:00+03:30`` with no ``timezone``: the instants are right but the
    hours and weekdays learned and shown were UTC's, and nothing said so."""
    table = export(["A", "B"], start="2026-03-07", periods=72)
    table["Time"] = table["Time"].dt.tz_localize(zone, nonexistent="NaT")
    table = table.dropna(subset=["Time"])
    table["Time"] = table["Time"].map(lambda t: t.isoformat())
    table.to_csv(tmp_path / "e.csv", index=False)
    base = SourceSpec(path=tmp_path / "e.csv", timestamp="Time", sector="Cell")
    loaded = load_source(base)
    said = [m for m in loaded.messages if "but no timezone is set" in m]
    assert len(said) == 1 and f"({offsets})" in said[0] and named in said[0]
    assert loaded.counters.rows_loaded == len(table)
    placed = load_source(SourceSpec(
        path=tmp_path / "e.csv", timestamp="Time", sector="Cell", timezone=zone))
    assert not any("no timezone" in m for m in placed.messages)
    assert placed.frame["timestamp"].equals(loaded.frame["timestamp"])


def test_an_aware_time_column_without_a_timezone_names_its_zone(tmp_path):
    table = export(["A", "B"], periods=24)
    table["Time"] = table["Time"].dt.tz_localize("America/Sao_Paulo")
    loaded = load_source(SourceSpec(path=tmp_path / "e.parquet", timestamp="Time",
                                    sector="Cell"), data=table)
    assert any("set timezone = 'America/Sao_Paulo'" in m for m in loaded.messages)


def test_persian_digits_in_kpi_cells_are_numbers():
    """A report from a Persian-locale spreadsheet writes ``۱۲٬۳۴۵`` (Persian digits, Arabic
    thousands separator): the column was "not numeric" and left out of the KPIs."""
    from telecom_nb.sources.values import ungrouped

    assert ungrouped(pd.Series(["۱۲۳۴", "۱۲٬۳۴۵٫۶", "٩٨٫٥%", "12", None])).tolist()[:4] == [
        1234.0, 12345.6, 98.5, 12.0]


def test_an_export_with_persian_digits_keeps_the_kpi(tmp_path):
    table = export(["تهران_1", "B"], periods=24)
    digits = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    table["Users"] = np.arange(len(table)) + 1000
    table["Users"] = table["Users"].map(lambda v: f"{v:,}".translate(digits).replace(",", "٬"))
    table.to_csv(tmp_path / "e.csv", index=False)
    loaded = load_source(SourceSpec(path=tmp_path / "e.csv", timestamp="Time", sector="Cell"))
    assert "Users" in loaded.kpis
    assert sorted(loaded.frame["Users"]) == list(np.arange(len(table)) + 1000.0)


def test_an_iso_file_stacked_with_a_day_first_file_keeps_its_dates(tmp_path):
    """``day1.csv`` in ISO (``2026-03-01 00:00``) and ``day2.csv`` in ``03.03.2026 00:00``:
    the day-first reading the second needs was applied to the first too, which pandas
    reads year-day-month: March 1-3 landed on January 3, February 3 and March 3 ("1,368
    period(s) of 1 h with no row"), exit 0."""
    a, b = export(["A", "B"], periods=72), export(["A", "B"], start="2026-03-03", periods=72)
    a["Time"] = a["Time"].dt.strftime("%Y-%m-%d %H:%M")
    b["Time"] = b["Time"].dt.strftime("%d.%m.%Y %H:%M")
    a.to_csv(tmp_path / "day1.csv", index=False)
    b.to_csv(tmp_path / "day2.csv", index=False)
    loaded = load_source(SourceSpec(path=(tmp_path / "day1.csv", tmp_path / "day2.csv"),
                                    timestamp="Time", sector="Cell"))
    stamps = loaded.frame["timestamp"]
    assert stamps.min() == pd.Timestamp("2026-03-01", tz="UTC")
    assert stamps.max() == pd.Timestamp("2026-03-05 23:00", tz="UTC")
    assert loaded.counters.periods_empty == 0 and loaded.counters.timestamps == 120
    assert loaded.counters.rows_redelivered == 48


@pytest.mark.parametrize("second, names", [
    (",,%,Erl", ["CSSR (%)", "Traffic (Erl)"]),  # a units line; a unit already named kept
    (",,Setup SR (%),Volume (Erl)", ["CSSR (%) Setup SR (%)", "Traffic (Erl) Volume (Erl)"]),
])
def test_a_csv_header_over_two_lines_is_joined_not_a_row(tmp_path, second, names):
    """A second header line (units, or names under merged group cells saved from a
    workbook) was read as a data row without a time (dropped, and the 1 % rule's on a
    short file) and its names lost ('Unnamed: 3' scored as a KPI)."""
    lines = export(["A", "B"], periods=6).to_csv(index=False).splitlines()
    lines.insert(1, second)
    (tmp_path / "e.csv").write_text("\n".join(lines) + "\n")
    loaded = load_source(SourceSpec(path=tmp_path / "e.csv", timestamp="Time", sector="Cell"))
    assert loaded.kpis == names
    assert loaded.counters.rows_read == loaded.counters.rows_loaded == 12
    assert loaded.frame[names[0]].dtype == float


def test_a_merged_group_line_in_a_csv_names_the_columns_under_it(tmp_path):
    table = export(["A", "B"], periods=6)
    body = table.to_csv(index=False, header=False)
    text = "Time,Cell,Accessibility,Traffic,\n,,CSSR (%),Voice (Erl),Data (Erl)\n" + body.replace(
        "\n", ",1.5\n")
    (tmp_path / "e.csv").write_text(text)
    loaded = load_source(SourceSpec(path=tmp_path / "e.csv", timestamp="Time", sector="Cell"))
    assert loaded.kpis == ["Accessibility CSSR (%)", "Traffic Voice (Erl)", "Traffic Data (Erl)"]


def test_inventory_ids_spelled_otherwise_still_join(tmp_path):
    """The site database writes Arabic yeh/kaf (``كرج_يك_1``) where the OSS writes Persian
    ones (``کرج_یک_1``), or another case (``thr002_1``): every such cell was "not in
    sites.csv", off the map."""
    cells = ["کرج_یک_1", "THR002_1", "شیراز_1"]
    export(cells).to_csv(tmp_path / "e.csv", index=False)
    pd.DataFrame({"Cell Name": ["كرج_يك_1", "thr002_1", "شيراز_1", "THR009_1"],
                  "Latitude": [35.8, 35.7, 29.6, 35.0], "Longitude": [51.0, 51.4, 52.5, 51.0]}
                 ).to_csv(tmp_path / "sites.csv", index=False)
    loaded = load_source(SourceSpec(path=tmp_path / "e.csv", timestamp="Time", sector="Cell",
                                    sites=SitesSpec(tmp_path / "sites.csv")))
    assert loaded.sites_missing == []
    first = loaded.frame.groupby("sector_id")["lat"].first()
    assert first.to_dict() == {"THR002_1": 35.7, "شیراز_1": 29.6, "کرج_یک_1": 35.8}
    assert any("name written otherwise" in m for m in loaded.messages)


def test_two_inventory_ids_of_one_spelling_are_not_guessed(tmp_path):
    export(["abc_1"]).to_csv(tmp_path / "e.csv", index=False)
    pd.DataFrame({"Cell Name": ["ABC_1", "Abc_1"], "Latitude": [1.0, 2.0],
                  "Longitude": [1.0, 2.0]}).to_csv(tmp_path / "sites.csv", index=False)
    loaded = load_source(SourceSpec(path=tmp_path / "e.csv", timestamp="Time", sector="Cell",
                                    sites=SitesSpec(tmp_path / "sites.csv")))
    assert loaded.sites_missing == ["abc_1"]


def test_a_workbook_whose_first_sheet_is_a_summary_names_the_data_sheet(tmp_path):
    """The first sheet is a summary, the rows on 'Data': the error named the summary's
    columns and asked "did you mean 'Cells' for 'Cell'?"."""
    pytest.importorskip("openpyxl")
    with pd.ExcelWriter(tmp_path / "report.xlsx") as book:
        pd.DataFrame({"Report": ["Cell KPI"], "Cells": [2]}).to_excel(
            book, sheet_name="Summary", index=False)
        export(["A", "B"], periods=4).to_excel(book, sheet_name="Data", index=False)
    spec = SourceSpec(path=tmp_path / "report.xlsx", timestamp="Time", sector="Cell")
    with pytest.raises(KpiInputError, match="sheet 'Data' has them: set sheet = 'Data'"):
        load_source(spec)
    assert load_source(SourceSpec(
        path=tmp_path / "report.xlsx", timestamp="Time", sector="Cell", sheet="Data")
    ).counters.rows_loaded == 8


def test_solar_hijri_dates_are_read_as_the_days_they_are(tmp_path):
    """``1404/12/10 10:00`` (Iranian report tools): read as the Gregorian year 1404 every
    row was unreadable and the error suggested a time_format, which cannot help."""
    table = export(["A", "B"], start="2026-03-19", periods=72)  # across Nowruz 1405
    gregorian = table["Time"]
    known = {"2026-03-19": "1404/12/28", "2026-03-20": "1404/12/29", "2026-03-21": "1405/01/01"}
    table["Date"] = gregorian.dt.strftime("%Y-%m-%d").map(known)
    table["Hour"] = gregorian.dt.strftime("%H:%M")
    table.drop(columns="Time").to_csv(tmp_path / "e.csv", index=False)
    loaded = load_source(SourceSpec(path=tmp_path / "e.csv", timestamp=["Date", "Hour"],
                                    sector="Cell", timezone="Asia/Tehran"))
    local = loaded.local_timestamps().dt.tz_localize(None)
    assert local.min() == gregorian.min() and local.max() == gregorian.max()
    assert loaded.counters.timestamps == 72
    assert any("Solar Hijri" in m for m in loaded.messages)


def test_a_legacy_file_in_another_script_shows_its_names_in_each_code_page(tmp_path):
    """Persian cell names in Windows-1256 were read as cp1252 ('ÊåÑÇä_1') and the note only
    said "if names look wrong": now it shows what the first such name reads in each code
    page; a Western European cp1252 file keeps its plain note."""
    table = export(["تهران_1", "شيراز_2"], periods=4)  # Arabic yeh: cp1256 has no Persian one
    table.to_csv(tmp_path / "fa.csv", index=False, encoding="cp1256")
    loaded = load_source(SourceSpec(path=tmp_path / "fa.csv", timestamp="Time", sector="Cell"))
    said = [m for m in loaded.messages if "not Western European" in m]
    assert len(said) == 1 and "'تهران_1' in cp1256" in said[0]
    export(["Zürich_1", "São Paulo_2"], periods=4).to_csv(tmp_path / "de.csv", index=False,
                                                           encoding="cp1252")
    western = load_source(SourceSpec(path=tmp_path / "de.csv", timestamp="Time",
                                     sector="Cell"))
    assert sorted(western.frame["sector_id"].unique()) == ["São Paulo_2", "Zürich_1"]
    assert not any("not Western European" in m for m in western.messages)
    assert any("read as cp1252" in m for m in western.messages)


def test_a_site_database_without_cells_places_each_cell_at_its_site(tmp_path):
    """An inventory of sites (``Site ID``, ``LAT``, ``LON``), the export's cells named after
    them (``ISF01_1``, ``ISF01-2``, ``TH1234A``): the load failed, "column 'Cell' not
    found (mapped as sites sector)"."""
    export(["ISF01_1", "ISF01-2", "TH1234A", "NEW9_1"]).to_csv(tmp_path / "e.csv", index=False)
    pd.DataFrame({"Site ID": ["ISF01", "TH1234", "ISF0"], "LAT": [32.65, 35.7, 1.0],
                  "LON": [51.67, 51.4, 1.0]}).to_csv(tmp_path / "sites.csv", index=False)
    loaded = load_source(SourceSpec(path=tmp_path / "e.csv", timestamp="Time", sector="Cell",
                                    sites=SitesSpec(tmp_path / "sites.csv")))
    first = loaded.frame.groupby("sector_id")[["lat", "site"]].first()
    assert first.loc["ISF01_1"].tolist() == [32.65, "ISF01"]
    assert first.loc["ISF01-2"].tolist() == [32.65, "ISF01"]
    assert first.loc["TH1234A"].tolist() == [35.7, "TH1234"]
    assert loaded.sites_missing == ["NEW9_1"]


def test_a_site_database_in_arabic_letters_places_cells_named_in_persian(tmp_path):
    """Both at once (combo shape): sites ``كرج01`` (Arabic kaf), cells ``کرج01_1``."""
    export(["کرج01_1", "کرج01_2"]).to_csv(tmp_path / "e.csv", index=False)
    pd.DataFrame({"Site": ["كرج01"], "Lat": [35.8], "Long": [50.95]}).to_csv(
        tmp_path / "sites.csv", index=False)
    loaded = load_source(SourceSpec(path=tmp_path / "e.csv", timestamp="Time", sector="Cell",
                                    sites=SitesSpec(tmp_path / "sites.csv")))
    assert loaded.sites_missing == [] and loaded.frame["lat"].eq(35.8).all()


@pytest.mark.parametrize("name", ["Parameter", "Parameter Name", "Variable", "Statistics"])
def test_a_long_export_whose_kpi_column_is_a_parameter_is_widened(tmp_path, name):
    """``Parameter`` / ``Value`` (one row per cell, hour and KPI): exit 2, "144 of 288 rows
    would be dropped ... rows of one time and sector differ in 'Parameter'"."""
    table = export(["A", "B"], periods=12)
    table.melt(id_vars=["Time", "Cell"], var_name=name, value_name="Value").to_csv(
        tmp_path / "e.csv", index=False)
    loaded = load_source(SourceSpec(path=tmp_path / "e.csv", timestamp="Time", sector="Cell"))
    assert sorted(loaded.kpis) == ["CSSR (%)", "Traffic (Erl)"]
    assert loaded.counters.rows_loaded == 24


@pytest.mark.parametrize("fmt", ["%d-%b-%y %I.%M.%S.000000 %p", "%d%b%Y:%H:%M:%S"])
def test_database_default_time_forms_are_read(tmp_path, fmt):
    """Oracle's ``01-MAR-26 12.15.00.000000 AM`` and SAS's ``01MAR2026:00:15:00`` (an
    export pulled from the OSS database by a query): every row was unreadable."""
    table = export(["A", "B"], periods=48, freq="15min")
    stamps = table["Time"]
    table["Time"] = stamps.dt.strftime(fmt).str.upper()
    table.to_csv(tmp_path / "e.csv", index=False)
    loaded = load_source(SourceSpec(path=tmp_path / "e.csv", timestamp="Time", sector="Cell"))
    assert loaded.frame["timestamp"].dt.tz_localize(None).tolist() == sorted(stamps.tolist())


def test_a_workbook_with_a_units_row_under_its_header(tmp_path):
    """``Time, Cell, CSSR, Traffic`` then ``, , %, Erl``: the units row was a data row
    without a time, 1 of 49 rows (2 %), exit 2 under the loss rule."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Time", "Cell", "CSSR", "Traffic"])
    sheet.append([None, None, "%", "Erl"])
    for row in export(["A", "B"], periods=24).itertuples(index=False):
        sheet.append([row[0].to_pydatetime(), row[1], row[2], row[3]])
    book.save(tmp_path / "units.xlsx")
    loaded = load_source(SourceSpec(path=tmp_path / "units.xlsx", timestamp="Time",
                                    sector="Cell"))
    assert loaded.kpis == ["CSSR (%)", "Traffic (Erl)"]
    assert loaded.counters.rows_read == loaded.counters.rows_loaded == 48
    assert loaded.frame["CSSR (%)"].dtype == float
