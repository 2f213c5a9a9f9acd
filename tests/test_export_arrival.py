"""Issue 11: an export as it arrives: many files, encodings, title and footer lines, vendor
null tokens, Excel. Fixtures are written here, never committed binaries."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telecom_nb.cli.parser import build_parser
from telecom_nb.cli.source_args import check_report, source_spec
from telecom_nb.engine.monitor import Monitor  # (imported by the suite anyway: its cost)
from telecom_nb.errors import KpiInputError
from telecom_nb.sources.ingest import load_source
from telecom_nb.sources.spec import SourceSpec

CELLS = ("Zürich_1", "Zürich_2", "Genève_3")
PREAMBLE = ("Report Name: Cell KPI hourly\nStart Time: 2026-04-04 00:00:00\n"
            "End Time: 2026-04-06 23:00:00\n\n")


def export(days: int = 3, seed: int = 0) -> pd.DataFrame:
    """Hourly rows of three cells over ``days`` days, Date and Time apart, period then cell."""
    rng = np.random.default_rng(seed)
    stamps = pd.date_range("2026-04-04", periods=24 * days, freq="h")
    n = len(stamps) * len(CELLS)
    return pd.DataFrame({
        "Date": np.repeat(stamps.strftime("%Y-%m-%d"), len(CELLS)),
        "Time": np.repeat(stamps.strftime("%H:%M"), len(CELLS)),
        "Cell Name": np.tile(CELLS, len(stamps)),
        "Drop Rate (%)": rng.gamma(1, 0.2, n).round(4),
        "DL Volume (GB)": rng.gamma(2, 1.5, n).round(3),
    })


def spec(path, **kw) -> SourceSpec:
    return SourceSpec(path=path, timestamp=("Date", "Time"), sector="Cell Name", **kw)


def write(path: Path, frame: pd.DataFrame, *, encoding: str = "utf-8", sep: str = ",",
          preamble: str = "", footer: str = "") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        fh.write(preamble)
        frame.to_csv(fh, index=False, sep=sep, lineterminator="\n")
        fh.write(footer)
    return path


def by_day(frame: pd.DataFrame, folder: Path, **kw) -> list[Path]:
    folder.mkdir(exist_ok=True)
    return [write(folder / f"cell_kpi_{day.replace('-', '')}.csv", part, **kw)
            for day, part in frame.groupby("Date", sort=True)]


def same_rows(a, b) -> None:
    cols = ["timestamp", "sector_id", "Drop Rate (%)", "DL Volume (GB)"]
    pd.testing.assert_frame_equal(a.frame[cols], b.frame[cols])


# --------------------------------------------------------------------------- many files


def test_a_glob_a_folder_and_a_list_load_like_the_single_file(tmp_path):
    frame = export()
    whole = load_source(spec(write(tmp_path / "all.csv", frame)))
    files = by_day(frame, tmp_path / "days")
    for path in (tmp_path / "days" / "*.csv", tmp_path / "days", tuple(files)):
        loaded = load_source(spec(path))
        same_rows(loaded, whole)
        assert loaded.counters.files == 3 and loaded.counters.rows_dropped == 0
        assert loaded.file_rows == {f.name: 72 for f in files}
        assert any("rows per file: cell_kpi_20260404.csv 72" in m for m in loaded.messages)


def test_name_order_is_natural_and_a_period_exported_twice_is_redelivered(tmp_path):
    frame = export(days=2)
    folder = tmp_path / "hours"
    folder.mkdir()
    stamps = frame["Date"] + frame["Time"]
    for i, (_, part) in enumerate(frame.groupby(stamps, sort=True)):
        write(folder / f"h_{i}.csv", part)  # h_10 after h_9, not after h_1
    last = frame[stamps == stamps.iloc[-1]].assign(**{"DL Volume (GB)": 999.0})
    write(folder / "h_48.csv", last)  # the last hour again, exported later
    # 2 % of the rows are periods a later file exported again: counted, not a loss (the
    # period is loaded, from the later file), so no allow_drops is needed
    loaded = load_source(spec(folder))
    c = loaded.counters
    assert c.files == 49 and c.rows_redelivered == 3 and c.rows_duplicate == 0
    assert c.rows_loaded == len(frame) and c.rows_dropped == 3
    assert any("exported again in a later file" in m and "h_47.csv row 1: " in m
               for m in loaded.messages)
    assert (loaded.frame["DL Volume (GB)"].tail(3) == 999.0).all()  # the later file's rows
    assert list(loaded.file_rows)[:3] == ["h_0.csv", "h_1.csv", "h_2.csv"]
    assert "(37 more)" in loaded.messages[1]  # files listed up to 12, the rest summed


def test_a_kpi_missing_from_one_file_is_blank_there_and_named(tmp_path):
    frame = export()
    files = by_day(frame, tmp_path / "d")
    day2 = frame[frame["Date"] == "2026-04-05"].drop(columns=["DL Volume (GB)"])
    write(files[1], day2)
    loaded = load_source(spec(tmp_path / "d"))
    assert loaded.kpis == ["Drop Rate (%)", "DL Volume (GB)"]
    assert loaded.frame["DL Volume (GB)"].isna().sum() == 72 == loaded.counters.values_missing
    note = next(m for m in loaded.messages if m.startswith("column 'DL Volume (GB)'"))
    assert "missing from 1 of 3 files (cell_kpi_20260405.csv): their 72 row(s)" in note


def test_a_file_without_the_sector_column_or_unreadable_is_one_line_naming_it(tmp_path):
    frame = export()
    files = by_day(frame, tmp_path / "d")
    write(files[2], frame.drop(columns=["Cell Name"]).head(5))
    with pytest.raises(KpiInputError, match=r"cell_kpi_20260406.csv has no column 'Cell Name'"
                       r" \(mapped as sector\), which the other files have"):
        load_source(spec(tmp_path / "d"))
    files[2].write_bytes(b"")
    with pytest.raises(KpiInputError, match=r"^cell_kpi_20260406.csv: the file is empty"):
        load_source(spec(tmp_path / "d"))
    files[2].write_bytes(b"PK\x03\x04\x00\x00binary\x00" * 50)  # a workbook named .csv
    with pytest.raises(KpiInputError, match=r"^cell_kpi_20260406.csv: not a text file"):
        load_source(spec(tmp_path / "d"))
    with pytest.raises(KpiInputError, match=r"nothing\*.csv: the pattern matches no file"):
        load_source(spec(tmp_path / "d" / "nothing*.csv"))


def test_source_toml_takes_a_glob_or_a_list_and_the_cli_several_paths(tmp_path):
    frame = export()
    by_day(frame, tmp_path / "exports")
    (tmp_path / "source.toml").write_text(
        'path = "exports/*.csv"\ntimestamp = ["Date", "Time"]\nsector = "Cell Name"\n')
    assert load_source(tmp_path / "source.toml").counters.rows_loaded == len(frame)
    (tmp_path / "list.toml").write_text(
        'path = ["exports/cell_kpi_20260404.csv", "exports/cell_kpi_20260405.csv"]\n'
        'timestamp = ["Date", "Time"]\nsector = "Cell Name"\n')
    assert load_source(tmp_path / "list.toml").counters.rows_loaded == 144
    files = sorted(str(p) for p in (tmp_path / "exports").iterdir())
    args = build_parser().parse_args(["detect", *files[:2], "--source",
                                      str(tmp_path / "source.toml"), "--check"])
    report = "\n".join(check_report(load_source(source_spec(args))))
    assert "rows: 144 read = 144 loaded + 0 dropped; 2 file(s)" in report
    args = build_parser().parse_args(["detect", str(tmp_path / "exports" / "*.csv"),
                                      "--timestamp-col", "Date,Time", "--sector-col",
                                      "Cell Name", "--encoding", "latin-1"])
    loaded = load_source(source_spec(args))  # a quoted glob on the command line
    assert loaded.spec.encoding == "latin-1" and loaded.counters.rows_loaded == len(frame)


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(("encoding", "sep", "said"), [
    ("utf-8-sig", ",", None), ("utf-16", "\t", "read as UTF-16 (BOM)"),
    ("cp1252", ",", "not UTF-8; read as cp1252"), ("cp1252", ";", "not UTF-8; read as cp1252"),
])
def test_bom_utf16_and_legacy_files_keep_the_cell_names(tmp_path, encoding, sep, said):
    frame = export(days=1)
    loaded = load_source(spec(write(tmp_path / "e.csv", frame, encoding=encoding, sep=sep)))
    assert set(loaded.frame["sector_id"]) == set(CELLS)  # "Zürich_1", never "ZÃ¼rich_1"
    assert loaded.counters.rows_loaded == 72
    notes = [m for m in loaded.messages if "e.csv: " in m and "UTF" in m]
    assert (said is None and not notes) or (said is not None and said in notes[0])


def test_a_legacy_byte_late_in_the_file_is_still_read_and_said(tmp_path):
    frame = export()  # the sample (64 KiB) is plain ASCII; the cp1252 byte comes later
    frame["Cell Name"] = frame["Cell Name"].str.replace("ü", "u").str.replace("è", "e")
    frame = pd.concat([frame] * 12, ignore_index=True)
    frame.loc[len(frame) - 1, "Cell Name"] = "Zürich_9"
    path = write(tmp_path / "late.csv", frame, encoding="cp1252")
    assert path.stat().st_size > 70_000
    loaded = load_source(spec(path, allow_drops=True))
    assert "Zürich_9" in set(loaded.frame["sector_id"])
    assert any("not UTF-8; read as cp1252" in m for m in loaded.messages)


def test_encoding_can_be_forced_and_a_bad_name_is_one_line(tmp_path):
    frame = export(days=1)
    frame["Cell Name"] = frame["Cell Name"].map(dict(zip(CELLS, ["Москва_1", "Омск_2",
                                                                 "Москва_3"], strict=True)))
    path = write(tmp_path / "e.csv", frame, encoding="cp1251")
    assert "Москва_3" in set(load_source(spec(path, encoding="cp1251")).frame["sector_id"])
    assert "Москва_3" not in set(load_source(spec(path)).frame["sector_id"])  # guessed cp1252
    with pytest.raises(KpiInputError, match="encoding 'utf-9' is not a known codec name"):
        spec(path, encoding="utf-9")
    path.write_bytes(frame.to_csv(index=False).encode("utf-16-le"))  # UTF-16 without a BOM
    assert load_source(spec(path)).counters.rows_loaded == 72


# --------------------------------------------------------------------------- title, footer


def test_title_lines_are_skipped_and_footer_lines_dropped_under_their_own_reason(tmp_path):
    frame = export(days=1).assign(**{"Local Cell ID": 7})
    footer = "Total,,,0.5,123.4\nGenerated by U2000 V200R021 at 2026-04-05 01:00\n"
    path = write(tmp_path / "prs.csv", frame, preamble=PREAMBLE, footer=footer)
    loaded = load_source(spec(path))
    assert loaded.frame["Local Cell ID"].dtype == "int64"  # as if the footer were not there
    c = loaded.counters
    assert c.rows_loaded == 72 and c.rows_footer == 2 and c.rows_read == 74
    assert c.lines_above_header == 4 and c.rows_bad_time == 0
    assert any("skipped 4 line(s) above the header (line 5): 'Report Name: Cell KPI hourly'"
               in m for m in loaded.messages)
    assert any("row 73: 'Total', row 74: 'Generated by U2000" in m for m in loaded.messages)


def test_a_bad_time_at_the_end_with_a_cell_is_data_not_a_footer(tmp_path):
    frame = export(days=1)
    frame.loc[len(frame) - 1, "Time"] = "xx:yy"
    loaded = load_source(spec(write(tmp_path / "e.csv", frame), allow_drops=True))
    assert loaded.counters.rows_footer == 0 and loaded.counters.rows_bad_time == 1


# --------------------------------------------------------------------------- null tokens


def test_vendor_null_tokens_are_missing_values_not_text(tmp_path):
    frame = export(days=1).astype({"Drop Rate (%)": object})
    tokens = ["NIL", "N/A", "/0", "#DIV/0!", "-", "--", "null", "", "nil"]
    frame.loc[: 2 * len(tokens) * 3 - 1, "Drop Rate (%)"] = tokens * 6  # 54 of 72: mostly null
    frame.loc[70, "Drop Rate (%)"] = "error"
    loaded = load_source(spec(write(tmp_path / "e.csv", frame)))
    c = loaded.counters
    assert "Drop Rate (%)" in loaded.kpis  # still a KPI though mostly null
    assert c.values_missing == 55 and c.values_non_numeric == 1
    assert c.values_null_token == 54 - 6 * 3  # NA-like tokens pandas reads as NaN itself
    assert any(m.startswith("KPI 'Drop Rate (%)': 36 vendor null(s)") for m in loaded.messages)


# --------------------------------------------------------------------------- round trip


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
       sep=st.sampled_from([",", ";", "\t"]), title=st.integers(0, 4),
       parts=st.integers(1, 4), footer=st.booleans())
def test_any_layout_of_the_same_rows_loads_the_same_frame(tmp_path_factory, encoding, sep,
                                                          title, parts, footer):
    frame = export(days=2)
    whole = load_source(spec(write(tmp_path_factory.mktemp("w") / "x.csv", frame)))
    folder = tmp_path_factory.mktemp("p")
    lines = "".join(f"Title line {i}: value\n" for i in range(title))
    end = "Total\n" if footer else ""
    for i, part in enumerate(np.array_split(np.arange(len(frame)), parts)):
        write(folder / f"part{i}.csv", frame.iloc[part], encoding=encoding, sep=sep,
              preamble=lines, footer=end)
    loaded = load_source(spec(folder / "part*.csv"))
    same_rows(loaded, whole)
    assert loaded.counters.rows_footer == (parts if footer else 0)
    assert loaded.counters.lines_above_header == title * parts


# --------------------------------------------------------------------------- Excel


def test_an_xlsx_export_with_a_title_row_loads(tmp_path):
    pytest.importorskip("openpyxl")
    frame = export(days=1)
    path = tmp_path / "kpi.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        pd.DataFrame({"a": ["Other sheet"]}).to_excel(xl, sheet_name="Info", index=False)
        frame.to_excel(xl, sheet_name="Cell KPI", index=False, startrow=2)
    loaded = load_source(spec(path, sheet="Cell KPI"))
    assert loaded.counters.rows_loaded == 72 and loaded.counters.lines_above_header == 2
    same_rows(loaded, load_source(spec(write(tmp_path / "k.csv", frame))))
    with pytest.raises(KpiInputError, match=r"kpi\.xlsx: no sheet named 'Nope'"):
        load_source(spec(path, sheet="Nope"))


def test_monitor_from_source_reads_a_folder_of_delivered_files(tmp_path):
    frame = export()
    by_day(frame, tmp_path / "exports", encoding="utf-16", sep="\t", preamble=PREAMBLE)
    (tmp_path / "source.toml").write_text(
        'path = "exports"\ntimestamp = ["Date", "Time"]\nsector = "Cell Name"\n'
        'timezone = "Europe/Zurich"\n')
    monitor = Monitor.from_source(tmp_path / "source.toml", detector="robust_z", interval=0)
    loaded = monitor.source.loaded
    assert loaded.counters.rows_loaded == len(frame) and loaded.counters.files == 3
    assert set(monitor.sectors["sector_id"]) == set(CELLS)
    assert list(monitor.kpis) == ["Drop Rate (%)", "DL Volume (GB)"]


def test_title_lines_padded_by_a_spreadsheet_and_rows_ending_in_a_separator(tmp_path):
    frame = export(days=1)
    text = frame.to_csv(index=False, lineterminator=",\n")  # every row ends with a comma
    padded = "".join(line + ",,,,\n" for line in PREAMBLE.splitlines())
    path = tmp_path / "padded.csv"
    path.write_text(padded + text.replace("DL Volume (GB),\n", "DL Volume (GB)\n", 1))
    loaded = load_source(spec(path))
    assert loaded.counters.rows_loaded == 72 and loaded.counters.lines_above_header == 4


def test_a_last_column_blank_in_every_row_does_not_hide_the_header(tmp_path):
    frame = export(days=1).assign(Comment=np.nan)  # "...,1.234," on every data line
    path = write(tmp_path / "c.csv", frame, preamble=PREAMBLE)
    loaded = load_source(spec(path))
    assert loaded.counters.rows_loaded == 72 and loaded.counters.lines_above_header == 4


def test_many_files_layout_notes_are_one_line_per_kind(tmp_path):
    """Hour files (more than the report lists) with title lines: one line says how many
    files had them, not one line per file; every file's rows still load."""
    frame = export(days=1)
    folder = tmp_path / "hours"
    folder.mkdir()
    for hour, part in frame.groupby("Time", sort=True):
        encoding = "utf-16" if hour < "03:00" else "utf-8"
        write(folder / f"kpi_{hour.replace(':', '')}.csv", part, encoding=encoding,
              sep="\t" if encoding == "utf-16" else ",", preamble=PREAMBLE)
    loaded = load_source(spec(folder))
    assert loaded.counters.rows_loaded == len(frame)
    notes = [m for m in loaded.messages if "files:" in m]
    assert any(m.startswith("24 of 24 files: skipped 4 line(s) above the header")
               for m in notes), notes
    assert any(m.startswith("3 of 24 files: read as UTF-16 (BOM)") for m in notes), notes
    assert not any(m.startswith("kpi_0000.csv:") for m in loaded.messages)
