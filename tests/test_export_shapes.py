"""Export shapes our generators never wrote (walk41): percent signs in values, cell ids
with leading zeros, 3GPP object-class columns, dd/mm dates with no day above 12, a
15-minute and an hourly file stacked, exports joined by ``cat``, a skipped DST hour
written anyway (walk42: kept as the hour after), KPI names in Spanish/Portuguese/French."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.errors import KpiInputError
from telecom_nb.sources.ingest import load_source
from telecom_nb.sources.kpiinfo import bad_direction
from telecom_nb.sources.spec import SitesSpec, SourceSpec
from telecom_nb.sources.values import ungrouped


def export(
    cells: list[str],
    start: str = "2026-06-01",
    periods: int = 48,
    freq: str = "h",
    fmt: str = "%Y-%m-%d %H:%M",
) -> pd.DataFrame:
    """Rows per period then cell, one time column, two KPIs."""
    stamps = pd.date_range(start, periods=periods, freq=freq)
    rng = np.random.default_rng(2293)
    n = len(stamps) * len(cells)
    return pd.DataFrame(
        {
            "Start Time": np.repeat(stamps.strftime(fmt), len(cells)),
            "Cell": np.tile(cells, len(stamps)),
            "CSSR (%)": np.round(99.5 - rng.exponential(0.2, n), 2),
            "Drop Rate (%)": np.round(rng.exponential(0.2, n), 3),
        }
    )


def spec(path: Path, **kw) -> SourceSpec:
    return SourceSpec(path=path, **{"timestamp": "Start Time", "sector": "Cell", **kw})


def test_percent_signs_in_values_are_the_numbers_shown():
    assert ungrouped(pd.Series(["99.5%", "1,234.5 %", "NIL", None])).tolist()[:2] == [99.5, 1234.5]
    assert ungrouped(pd.Series(["97,5%", "99,25 %"])).tolist() == [97.5, 99.25]


def test_a_kpi_written_with_percent_signs_is_a_kpi(tmp_path):
    table = export(["A", "B"])
    table["CSSR (%)"] = table["CSSR (%)"].map(lambda v: f"{v}%")
    table.to_csv(tmp_path / "e.csv", index=False)
    loaded = load_source(spec(tmp_path / "e.csv"))
    assert "CSSR (%)" in loaded.kpis  # was "not numeric", silently left out
    assert loaded.frame["CSSR (%)"].between(90, 100).all()


def test_cell_ids_with_leading_zeros_keep_them_and_join_the_sites(tmp_path):
    cells = ["00123", "00124", "01125"]
    export(cells).to_csv(tmp_path / "e.csv", index=False)
    pd.DataFrame(
        {"Cell": cells, "Latitude": [40.1, 40.2, 40.3], "Longitude": [-3.1, -3.2, -3.3]}
    ).to_csv(tmp_path / "s.csv", index=False)
    loaded = load_source(spec(tmp_path / "e.csv", sites=SitesSpec(tmp_path / "s.csv")))
    assert sorted(loaded.frame[schema.SECTOR].unique()) == cells  # not "123"
    assert loaded.frame[schema.LAT].notna().all()


def test_object_class_columns_are_identifiers_not_kpis(tmp_path):
    table = export(["A", "B"]).assign(ManagedElement=1001, EUtranCellFDD=7)
    table.to_csv(tmp_path / "e.csv", index=False)
    loaded = load_source(spec(tmp_path / "e.csv"))
    assert loaded.kpis == ["CSSR (%)", "Drop Rate (%)"]
    assert loaded.skipped_columns["ManagedElement"] == "identifier"


def test_dd_mm_dates_with_no_day_above_12_are_read_by_the_shorter_span(tmp_path):
    export(["A", "B"], periods=24 * 10, fmt="%d/%m/%Y %H:%M").to_csv(
        tmp_path / "e.csv", index=False
    )
    loaded = load_source(spec(tmp_path / "e.csv", timezone="Europe/Madrid"))
    local = loaded.local_timestamps()
    assert (local.dt.month == 6).all() and local.dt.day.max() == 10  # not Jan..Oct 6
    assert any("read day-first: that reading spans 10 day(s)" in m for m in loaded.messages)


def test_a_15_minute_and_an_hourly_file_stacked_is_one_line(tmp_path):
    export(["A", "B"], periods=96, freq="15min").to_csv(tmp_path / "q15.csv", index=False)
    export(["A", "B"], periods=24).to_csv(tmp_path / "h1.csv", index=False)
    with pytest.raises(
        KpiInputError,
        match=r"q15.csv is every 15 min but h1.csv every 1 h: "
        r"one source holds one reporting period",
    ):
        load_source(spec((tmp_path / "q15.csv", tmp_path / "h1.csv")))


def test_exports_joined_by_cat_repeat_their_header_which_is_not_data(tmp_path):
    table = export([f"C{i}" for i in range(5)])
    text = "".join(part.to_csv(index=False) for _, part in table.groupby("Start Time"))
    (tmp_path / "all.csv").write_text(text)  # 47 header lines in 287: 16 %
    loaded = load_source(spec(tmp_path / "all.csv"))
    c = loaded.counters
    assert c.rows_loaded == len(table) and c.rows_header == 47 and c.rows_bad_time == 0
    assert loaded.frame["CSSR (%)"].dtype == float


def test_a_skipped_dst_hour_written_beside_its_hour_after_is_not_a_loss(tmp_path):
    """24 rows on a 23-hour day: 02:00 read with the offset before the change is 03:00's
    instant, whose on-clock row is kept; the file loads (no exit 2), the note names the
    day and the fixed-offset fix for a clock without daylight saving."""
    export(["A", "B"], start="2026-03-29", periods=24).to_csv(tmp_path / "e.csv", index=False)
    loaded = load_source(spec(tmp_path / "e.csv", timezone="Europe/Madrid"))
    c = loaded.counters
    assert c.rows_dst_gap == 2 and c.rows_loaded == 46 and c.rows_dst_shifted == 0
    note = next(m for m in loaded.messages if "the zone skips" in m)
    assert "row 5: '2026-03-29 02:00'" in note and "fixed offset" in note


def test_a_skipped_quarter_hour_of_a_late_switching_clock_is_kept_as_the_hour_after(tmp_path):
    """A tool that moves its clock an hour late writes 02:00-02:45 and skips 03:00-03:45:
    every row is loaded, 02:15 as 03:15 local (01:15 UTC), and counted as such."""
    table = export(["A", "B"], periods=24, freq="15min")
    utc = pd.date_range("2026-03-28 22:00", periods=24, freq="15min", tz="UTC")
    wall = pd.Series(np.repeat(utc.tz_convert("Europe/Madrid").tz_localize(None), 2))
    late = ((wall >= "2026-03-29 03:00") & (wall < "2026-03-29 04:00")).to_numpy()
    table["Start Time"] = (wall - pd.to_timedelta(late * 3600, unit="s")).dt.strftime(
        "%Y-%m-%d %H:%M")
    table.to_csv(tmp_path / "q.csv", index=False)
    loaded = load_source(spec(tmp_path / "q.csv", timezone="Europe/Madrid"))
    c = loaded.counters
    assert c.rows_loaded == 48 and c.rows_dropped == 0 and c.rows_dst_shifted == 8
    a = loaded.frame.loc[loaded.frame[schema.SECTOR] == "A", schema.TIMESTAMP]
    assert a.diff().dropna().eq(pd.Timedelta("15min")).all()  # one even series in UTC
    assert (a.dt.strftime("%H:%M") == "01:15").sum() == 1
    assert any("read 8 row(s) at wall times the zone skips (on 2026-03-29)" in m
               for m in loaded.messages)


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("Taxa de Sucesso RRC (%)", "down"),
        ("Taxa de Queda (%)", "up"),
        ("Tasa de éxito RRC (%)", "down"),
        ("Tasa de caída (%)", "up"),
        ("Indisponibilidad (s)", "up"),
        ("Disponibilité (%)", "down"),
        ("Tráfico DL (MB)", "both"),
    ],
)
def test_kpi_names_in_other_languages_give_their_bad_direction(name, bad):
    assert bad_direction(name) == bad


def test_rows_told_apart_by_a_granularity_column_name_it(tmp_path):
    quarter = export(["A", "B", "C"], periods=96, freq="15min").assign(**{"Granularity Period": 15})
    hourly = export(["A", "B", "C"], periods=24).assign(**{"Granularity Period": 60})
    pd.concat([quarter, hourly]).to_csv(tmp_path / "e.csv", index=False)
    with pytest.raises(
        KpiInputError,
        match=r"20.0%.*rows of one time and sector differ in 'Granularity Period' \(15, 60\)",
    ):
        load_source(spec(tmp_path / "e.csv"))


def test_an_object_path_sector_id_finds_its_cell_in_the_inventory(tmp_path):
    paths = [
        f"S1/Cell:eNodeB Function Name=S1, Local Cell ID={i}, Cell Name=S1_{i}, eNodeB ID=101"
        for i in range(3)
    ]
    export(paths).to_csv(tmp_path / "e.csv", index=False)
    pd.DataFrame(
        {
            "Cell Name": ["S1_0", "S1_1", "S1_2"],
            "Latitude": [40.1, 40.2, 40.3],
            "Longitude": [-3.1, -3.2, -3.3],
        }
    ).to_csv(tmp_path / "s.csv", index=False)
    loaded = load_source(spec(tmp_path / "e.csv", sites=SitesSpec(tmp_path / "s.csv")))
    assert loaded.sites_missing == [] and loaded.frame[schema.LAT].notna().all()
    assert set(loaded.frame[schema.SECTOR]) == set(paths)  # the export's ids stay
    assert any("found by a part of their object path" in m for m in loaded.messages)


def test_kpis_named_like_ids_are_kpis_when_their_values_are_measurements(tmp_path):
    cells = ["A", "B", "C"]
    table = export(cells)
    n = len(table)
    table["Interference Index"] = np.round(np.random.default_rng(2321).normal(-105, 3, n), 2)
    table["Site Code"] = np.tile([101, 102, 103], n // 3)  # whole, one per cell: an id
    table["Sector Number"] = np.tile([1.0, 2.0, 3.0], n // 3)  # whole floats: an id too
    table["Antenna Key"] = np.tile([0.5, 1.5, 2.5], n // 3)  # fractional but fixed per cell
    table["TAC"] = np.tile([7.5, 7.5, 8.5], n // 3)  # an exact id name stays an id
    table.to_csv(tmp_path / "e.csv", index=False)
    loaded = load_source(spec(tmp_path / "e.csv"))
    assert "Interference Index" in loaded.kpis  # was skipped as an "identifier"
    for column in ("Site Code", "Sector Number", "Antenna Key", "TAC"):
        assert loaded.skipped_columns[column] == "identifier", column


@pytest.mark.parametrize("name", ["Région", "REGION", "Província", "Provincia", "Governorate"])
def test_a_province_column_in_other_spellings_is_the_province(tmp_path, name):
    table = export(["A", "B"]).assign(**{name: "Île-de-France"})
    table.to_csv(tmp_path / "e.csv", index=False)
    assert set(load_source(spec(tmp_path / "e.csv")).frame[schema.PROVINCE]) == {"Île-de-France"}
    pd.DataFrame(
        {"Cell": ["A", "B"], "LAT": [48.8, 48.9], "LON": [2.3, 2.4], name: ["Bretagne"] * 2}
    ).to_csv(tmp_path / "s.csv", index=False)
    export(["A", "B"]).to_csv(tmp_path / "e.csv", index=False)
    loaded = load_source(spec(tmp_path / "e.csv", sites=SitesSpec(tmp_path / "s.csv")))
    assert set(loaded.frame[schema.PROVINCE]) == {"Bretagne"}


def test_a_named_kpi_with_no_values_is_kept_blank_with_a_note(tmp_path):
    table = export(["A", "B"]).assign(**{"VoLTE Drops": np.nan, "Vendor": "Huawei"})
    table.to_csv(tmp_path / "e.csv", index=False)
    loaded = load_source(spec(tmp_path / "e.csv", kpis=["CSSR (%)", "VoLTE Drops"]))
    assert loaded.kpis == ["CSSR (%)", "VoLTE Drops"]
    assert loaded.frame["VoLTE Drops"].isna().all()
    assert "KPI 'VoLTE Drops' has no values in this export" in loaded.messages
    with pytest.raises(KpiInputError, match="every KPI named has no values"):
        load_source(spec(tmp_path / "e.csv", kpis=["VoLTE Drops"]))
    with pytest.raises(KpiInputError, match="'Vendor' has no numeric value"):  # text: a typo
        load_source(spec(tmp_path / "e.csv", kpis=["CSSR (%)", "Vendor"]))


def test_stacked_files_number_their_rows_once(tmp_path, monkeypatch):
    """Each row's file number is one pass over the stacked rows, shared by the row checks
    and the one-cadence check (it was computed twice per load)."""
    from telecom_nb.sources import ingest, time_order

    calls = []
    original = time_order.file_numbers

    def counted(ends):
        calls.append(len(ends))
        return original(ends)

    monkeypatch.setattr(time_order, "file_numbers", counted)
    monkeypatch.setattr(ingest, "file_numbers", counted)
    for day in (1, 2):
        export(["A", "B"], start=f"2026-06-0{day}", periods=24).to_csv(
            tmp_path / f"d{day}.csv", index=False)
    loaded = load_source(spec((tmp_path / "d1.csv", tmp_path / "d2.csv")))
    assert loaded.counters.rows_loaded == 96 and calls == [2]


def test_a_semicolon_export_with_thousands_dots_reads_every_number(tmp_path):
    """``3.194,1`` beside ``659,9`` and ``1.234`` in one column of a ``;`` export (German
    locale): each is the number shown (``659,9`` was missing, ``1.234`` read as 1.234)."""
    table = export(["A", "B"], periods=3)
    shown = ["3.194,1", "659,9", "1.234", "12.345,25", "0,125", "7"]
    table["DL Volumen (MB)"] = shown
    table.to_csv(tmp_path / "de.csv", sep=";", index=False)
    loaded = load_source(spec(tmp_path / "de.csv"))
    assert loaded.counters.values_missing == 0
    got = loaded.frame.sort_values([schema.TIMESTAMP, schema.SECTOR])["DL Volumen (MB)"]
    assert got.tolist() == [3194.1, 659.9, 1234.0, 12345.25, 0.125, 7.0]


def test_a_totals_row_named_in_the_cell_column_is_a_footer_not_a_loss(tmp_path):
    """NetAct-style: ``,Total,<sums>`` (time blank, ``Total`` as the cell) closing a one-hour
    export of 12 cells: a footer line, not 1 of 13 data rows lost (exit 2)."""
    table = export([f"C{i}" for i in range(12)], periods=1)
    total = pd.DataFrame({"Start Time": [""], "Cell": ["Total"],
                          "CSSR (%)": [table["CSSR (%)"].mean()], "Drop Rate (%)": [0.0]})
    pd.concat([table, total]).to_csv(tmp_path / "h.csv", index=False)
    loaded = load_source(spec(tmp_path / "h.csv"))
    c = loaded.counters
    assert c.rows_loaded == 12 and c.rows_footer == 1 and c.rows_bad_time == 0


def test_a_date_and_an_integer_hour_column_read_every_hour(tmp_path):
    """``Date`` + ``Hour`` (0-23 as a number, as a spreadsheet report writes it): hours
    0-9 were unreadable ('2026-06-01 7'), 10 of 24 rows dropped and exit 2."""
    table = export(["A", "B"], periods=24)
    stamps = pd.to_datetime(table.pop("Start Time"))
    table.insert(0, "Hour", stamps.dt.hour)
    table.insert(0, "Date", stamps.dt.strftime("%Y-%m-%d"))
    table.to_csv(tmp_path / "dh.csv", index=False)
    loaded = load_source(spec(tmp_path / "dh.csv", timestamp=["Date", "Hour"]))
    assert loaded.counters.rows_loaded == 48 and loaded.counters.timestamps == 24
    assert "Hour" not in loaded.kpis


def test_the_check_report_says_which_loaded_rows_needed_a_dst_decision(tmp_path):
    """ENM-style 15-minute export across the fall-back night (02:00-02:45 written twice per
    cell, rows by time then cell): every row loads, and ``--check`` says how many times
    were read in order (it said nothing of them)."""
    from telecom_nb.cli.source_args import load_notes

    utc = pd.date_range("2026-10-24 22:00", periods=24, freq="15min", tz="UTC")
    wall = utc.tz_convert("Europe/Stockholm").strftime("%Y-%m-%d %H:%M")
    table = export(["A", "B"], periods=24, freq="15min")
    table["Start Time"] = np.repeat(wall, 2)
    table.to_csv(tmp_path / "enm.csv", index=False)
    loaded = load_source(spec(tmp_path / "enm.csv", timezone="Europe/Stockholm"))
    assert loaded.counters.rows_loaded == 48 and loaded.counters.timestamps == 24
    rows = next(line for line in load_notes(loaded) if line.startswith("rows: "))
    assert "loaded: 16 at a wall time the clock repeated" in rows


def test_cell_ids_padded_with_spaces_are_the_same_cells(tmp_path):
    """A report that pads its second day's cell names ('C01  ') made six cells of three,
    each one's second day a new sector with no history; a blank id is a missing id."""
    table = export(["A", "B", "C"], periods=48)
    table.loc[72:, "Cell"] = table.loc[72:, "Cell"] + "  "
    table.loc[5, "Cell"] = "   "
    table.to_csv(tmp_path / "p.csv", index=False)
    loaded = load_source(spec(tmp_path / "p.csv"))
    assert loaded.counters.sectors == 3 and loaded.counters.rows_missing_sector == 1
    assert sorted(loaded.frame[schema.SECTOR].unique()) == ["A", "B", "C"]
