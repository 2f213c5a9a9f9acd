"""``telecom-nb detect`` / ``evaluate`` on operator-style exports, end to end.

Each ingest form goes through the CLI as a user would type it; the output is checked for
the rows, the clock and the KPI choice, and the error cases for one line with the cause.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sample_export import make_sample

from telecom_nb import schema
from telecom_nb.cli import main

TEHRAN = "Asia/Tehran"


def run(args: list[str], capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return make_sample(tmp_path_factory.mktemp("export"))


@pytest.fixture(scope="module")
def detected(folder: Path) -> tuple[Path, str]:
    """One ``detect`` of the sample as a user runs it (not quiet): the output and stderr."""
    out = folder / "scored.parquet"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["detect", "--source", str(folder / "source.toml"), "--out", str(out)])
    assert code == 0, err.getvalue()
    return out, err.getvalue()


@pytest.fixture(scope="module")
def scored(detected: tuple[Path, str]) -> Path:
    return detected[0]


def check(args: list, capsys) -> tuple[int, str, str]:
    """``detect --check``: the load's report on stdout, no detection, no output file."""
    return run(["detect", "--check", *args], capsys)


def one_line_error(code: int, err: str) -> str:
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def test_source_toml_date_time_zone_and_sites(folder: Path, scored: Path, capsys):
    export = pd.read_csv(folder / "export.csv")
    result = pd.read_parquet(scored)
    assert len(result) == len(export)  # no row lost
    assert str(result[schema.TIMESTAMP].dt.tz) == "UTC"
    assert str(result["local_time"].dt.tz) == TEHRAN
    first = result.sort_values(schema.TIMESTAMP).iloc[0]
    # 2026-04-04 00:00 on the Tehran wall clock (UTC+03:30) is 20:30 UTC the day before
    assert first[schema.TIMESTAMP] == pd.Timestamp("2026-04-03 20:30", tz="UTC")
    assert first["local_time"].strftime("%Y-%m-%d %H:%M") == "2026-04-04 00:00"
    assert result[schema.LAT].notna().all() and result[schema.PROVINCE].ne("unknown").all()
    for col in schema.SCORED_COLUMNS:
        assert col in result.columns


def test_detect_prints_what_was_loaded_and_no_sort_warning(detected):
    _, err = detected
    assert "rows: " in err and "read = " in err and "cadence: 1 h" in err
    assert "time zone: Asia/Tehran" in err and "not KPIs: 'eNodeB Name'" in err
    assert "sorted" not in err and "order" not in err  # sorted by cell is normal input
    assert "written + 0 dropped" in err


def test_flags_alone_give_the_same_scores_as_the_toml(folder: Path, scored: Path, tmp_path,
                                                       capsys):
    out = tmp_path / "flags.parquet"
    code, _, err = run(["detect", folder / "export.csv", "--timestamp-col", "Date,Time",
                        "--timezone", TEHRAN, "--sector-col", "Cell Name",
                        "--sites", folder / "sites.csv", "--out", out, "--quiet"], capsys)
    assert code == 0, err
    a, b = pd.read_parquet(scored), pd.read_parquet(out)
    assert a[schema.TIMESTAMP].equals(b[schema.TIMESTAMP])
    np.testing.assert_allclose(a[schema.SCORE], b[schema.SCORE])


def test_timezone_flag_overrides_the_toml(folder: Path, tmp_path, capsys):
    out = tmp_path / "utc.parquet"
    code, report, err = check(["--source", folder / "source.toml", "--timezone", "UTC",
                               "--out", out], capsys)
    assert code == 0, err
    assert not out.exists() and not err  # --check writes nothing and detects nothing
    span = next(line for line in report.splitlines() if line.startswith("time span: "))
    # the first row on both clocks: the wall clock is now UTC
    assert span.startswith("time span: 2026-04-04 00:00+00:00 to ")
    assert "(UTC); 2026-04-04 00:00 to " in span and span.endswith(" UTC")
    assert "time zone: UTC" in report


def test_check_reports_the_source_toml_load(folder: Path, capsys):
    code, report, err = check(["--source", folder / "source.toml"], capsys)
    assert code == 0, err
    assert "source: " in report and "(source.toml)" in report
    assert "time span: 2026-04-04 00:00+03:30 to " in report  # Tehran's wall clock
    assert "(Asia/Tehran); 2026-04-03 20:30 to " in report  # the same instant in UTC
    assert "KPI 'E-RAB Drop Rate (%)': bad when it rises; shown as 'E-RAB drop rate (%)'" \
        in report
    assert "KPI 'Avg Connected Users': bad either way; shown as 'Connected users'" in report
    assert check(["--source", folder / "source.toml", "-q"], capsys)[1:] == ("", "")
    code, _, err = run(["detect", "--source", folder / "source.toml"], capsys)
    assert "--out" in one_line_error(code, err) and "--check" in err


def test_compact_integer_times(tmp_path: Path, capsys):
    stamps = pd.date_range("2026-04-04", periods=48, freq="h")
    rows = [{"Start Time": int(t.strftime("%Y%m%d%H%M%S")), "Cell": f"C{c}",
             "Traffic (GB)": 5.0 + c + (t.hour % 6), "CSSR (%)": 99.5}
            for t in stamps for c in range(4)]
    src = tmp_path / "compact.csv"
    pd.DataFrame(rows).to_csv(src, index=False)
    out = tmp_path / "o.csv"
    code, _, err = run(["detect", src, "--timestamp-col", "Start Time", "--sector-col", "Cell",
                        "--timezone", TEHRAN, "--out", out], capsys)
    assert code == 0, err
    result = pd.read_csv(out)
    assert len(result) == 48 * 4
    assert result["local_time"].iloc[0].startswith("2026-04-04 00:00:00+03:30")


def test_exclude_and_kpis_choose_the_kpi_columns(folder: Path, tmp_path, capsys):
    code, report, err = check(["--source", folder / "source.toml", "--exclude",
                               "Avg Connected Users,UL Traffic Volume (GB)"], capsys)
    assert code == 0, err
    summary = next(line for line in report.splitlines() if "KPIs:" in line)
    assert "Avg Connected Users" not in summary and "DL Traffic Volume (GB)" in summary
    assert "'Avg Connected Users' (excluded" in report
    code, _, err = run(["detect", "--source", folder / "source.toml", "--kpis",
                        "Cell Availability (%)", "--out", tmp_path / "o2.csv"], capsys)
    assert code == 0, err
    assert set(pd.read_csv(tmp_path / "o2.csv")[schema.TOP_KPI].dropna()) <= {
        "Cell Availability (%)"}


@pytest.fixture(scope="module")
def lossy(folder: Path) -> tuple[Path, int, int]:
    """The export with 5 % of its Time cells blank: those rows cannot be placed in time."""
    export = pd.read_csv(folder / "export.csv")
    blank = np.arange(len(export)) % 20 == 7
    export.loc[blank, "Time"] = np.nan
    path = folder / "lossy.csv"
    export.to_csv(path, index=False)
    return path, len(export), int(blank.sum())


@pytest.fixture(scope="module")
def odd_run(folder: Path, lossy) -> tuple[str, pd.DataFrame]:
    """One ``detect`` (three tests read it) of the lossy export with a 0/1 label column
    added, ``--allow-drops``, and a site inventory missing its first 3 cells."""
    export = pd.read_csv(lossy[0])
    export["Is Anomaly"] = (np.arange(len(export)) % 50 == 0).astype(int)
    export.to_csv(src := folder / "odd.csv", index=False)
    pd.read_csv(folder / "sites.csv").iloc[3:].to_csv(sites := folder / "odd_sites.csv",
                                                      index=False)
    out, err = folder / "odd.parquet", io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main([str(a) for a in ["detect", src, "--source", folder / "source.toml",
                                      "--sites", sites, "--allow-drops", "--out", out]])
    assert code == 0, err.getvalue()
    return err.getvalue(), pd.read_parquet(out)


def test_a_label_column_is_not_a_kpi_and_is_kept(odd_run):
    err, result = odd_run
    assert "'Is Anomaly' (label-like 0/1 column)" in err
    assert "Is Anomaly" in result.columns and "Is Anomaly" not in set(result[schema.TOP_KPI])


def test_sites_missing_are_reported(odd_run, lossy):
    err, result = odd_run
    assert "3 without a site in odd_sites.csv" in err
    _, total, dropped = lossy  # every loaded row is kept, with or without a site
    assert result[schema.LAT].isna().any() and len(result) == total - dropped


def test_more_than_one_percent_lost_is_exit_2_with_the_cause(folder, lossy, tmp_path, capsys):
    path, _, _ = lossy
    code, _, err = run(["detect", path, "--source", folder / "source.toml", "--out",
                        tmp_path / "o.csv"], capsys)
    err = one_line_error(code, err)
    assert "lossy.csv" in err and "5.0%" in err and "'Date' + 'Time'" in err
    assert "--allow-drops" in err
    assert not (tmp_path / "o.csv").exists()
    code, report, again = check([path, "--source", folder / "source.toml"], capsys)
    assert one_line_error(code, again) == err and not report  # --check: the same exit 2


def test_allow_drops_loads_the_rest_and_counts(folder, lossy, odd_run, tmp_path, capsys):
    path, total, dropped = lossy
    err, result = odd_run
    assert f"{total:,} read = {total - dropped:,} loaded + {dropped:,} dropped" in err
    assert f"{dropped:,} no readable time" in err
    assert len(result) == total - dropped
    out = tmp_path / "o.csv"
    code, _, err = run(["detect", path, "--source", folder / "source.toml", "--allow-drops",
                        "--on-bad-rows", "error", "--out", out], capsys)
    assert "--on-bad-rows error" in one_line_error(code, err)
    code, _, err = check([path, "--source", folder / "source.toml", "--allow-drops",
                          "--on-bad-rows", "error"], capsys)  # --check keeps the loss rule
    assert "--on-bad-rows error" in one_line_error(code, err)


@pytest.mark.parametrize("flags", [["--timestamp-col", "Datum"], ["--timezone", "Mars/Olympus"],
                                   ["--sector-col", "Cell"], ["--kpis", "Nope (%)"]])
def test_bad_recipe_is_one_line_naming_it(folder, tmp_path, capsys, flags):
    code, _, err = run(["detect", "--source", folder / "source.toml", *flags, "--out",
                        tmp_path / "o.csv"], capsys)
    assert flags[1] in one_line_error(code, err)


def test_detect_without_input_or_source(tmp_path, capsys):
    code, _, err = run(["detect", "--out", tmp_path / "o.csv"], capsys)
    assert "--source" in one_line_error(code, err)


# ------------------------------------------------------------------ --set and detectors


def test_set_a_feature_parameter_changes_the_run(folder, scored, tmp_path, capsys):
    out = tmp_path / "alpha.parquet"
    code, _, err = run(["detect", "--source", folder / "source.toml", "--set",
                        "features.seasonal.slot_alpha=0.9", "--set", "weekly=true",
                        "--out", out, "--quiet"], capsys)
    assert code == 0, err
    assert not np.allclose(pd.read_parquet(out)[schema.SCORE],
                           pd.read_parquet(scored)[schema.SCORE])


@pytest.mark.parametrize(("setting", "needles"), [
    ("features.seasonal.slot_alpha=2", ["features.seasonal.slot_alpha", "(0, 1]"]),
    ("wekly=1", ["'wekly'", "did you mean 'weekly'", "features.peers.min_peers"]),
    ("features.peers.min_peers=x", ["min_peers", "integer"]),
])
def test_bad_feature_parameter_is_one_line_before_loading(tmp_path, capsys, setting, needles):
    code, _, err = run(["detect", tmp_path / "missing.csv", "--set", setting, "--out",
                        tmp_path / "o.csv"], capsys)
    err = one_line_error(code, err)  # the parameter, not the missing file: checked first
    for needle in needles:
        assert needle in err


def test_detectors_lists_feature_parameters(capsys):
    code, out, _ = run(["detectors"], capsys)
    assert code == 0
    block = out.split("\n\n")[0]
    assert block.startswith("iforest:")
    assert "features.weekly" not in block and block.count("timezone = ") == 1  # one name each
    for name in ("contamination = 0.001", "weekly = True",
                 "features.seasonal.slot_alpha = 0.1", "features.peers.min_peers = 3",
                 "features.change.fast_alpha = 0.3"):
        assert name in block
    seed = out.split("seed:")[1]
    assert "features." not in seed  # raw KPIs: no feature parameters to list


# ------------------------------------------------------------------ evaluate --labels


def test_evaluate_with_own_labels(folder, scored, capsys):
    code, out, err = run(["evaluate", scored, "--labels", folder / "labels.csv", "--source",
                          folder / "source.toml", "--json", "--no-baseline"], capsys)
    assert code == 0, err
    report = json.loads(out)
    labels = pd.read_csv(folder / "labels.csv")
    assert report["positives"] == len(labels)  # every labelled hour landed on its row
    assert set(report["per_kind"]) == set(labels["Fault"])
    assert report["event_recall"] > 0.5 and report["precision"] > 0.2
    assert f"{len(labels):,} matched a scored row" in err


def test_evaluate_labels_in_the_wrong_zone_are_reported(folder, scored, capsys):
    code, out, err = run(["evaluate", scored, "--labels", folder / "labels.csv",
                          "--timezone", "UTC", "--json", "--no-baseline"], capsys)
    assert code == 0, err
    assert json.loads(out)["positives"] == 0  # 3.5 h off: on no hourly row
    assert "match no scored row" in err and "--timezone" in err


def test_evaluate_skip_leaves_out_the_warm_up_for_both(tmp_path, capsys):
    small = make_sample(tmp_path, cells=6, weeks=0.08)  # 13 h: the seed baseline refits every tick
    scored = tmp_path / "scored.parquet"
    assert main(["detect", "--source", str(small / "source.toml"), "--out", str(scored),
                 "--quiet"]) == 0
    args = ["evaluate", scored, "--labels", small / "labels.csv", "--source",
            small / "source.toml", "--json", "--quiet"]
    code, out, err = run([*args, "--skip", "0.25D"], capsys)
    assert code == 0, err
    skipped = json.loads(out)
    full = json.loads(run([*args, "--no-baseline"], capsys)[1])
    stamps = pd.read_parquet(scored)[schema.TIMESTAMP]
    assert skipped["rows"] == int((stamps >= stamps.min() + pd.Timedelta("6h")).sum())
    assert skipped["rows"] < full["rows"] == len(stamps)
    assert skipped["baseline"]["rows"] == skipped["rows"]
    code, _, err = run([*args, "--skip", "eventually"], capsys)
    assert "--skip" in one_line_error(code, err)


def test_calendar_names_are_one_parameter_each():
    from telecom_nb.detectors import make_detector
    from telecom_nb.detectors.param_paths import configure, param_refs

    det = make_detector("iforest")
    configure(det, {"features.weekly": False, "features__timezone": "Asia/Tehran"})
    assert det.weekly is False and det.timezone == "Asia/Tehran"  # the detector's own
    names = param_refs(det)
    assert "features.seasonal.timezone" not in names and "features.weekly" not in names


def test_skip_note_reads_the_span_and_the_network_clock():
    """walknb42: the note said 'the first 3 days 00:00:00 (warm-up); evaluating from
    2026-03-18 23:00:00+00:00' for a Warsaw export (the UTC instant of local midnight)."""
    from telecom_nb.evaluation.labels import skip_warmup

    stamps = pd.date_range("2026-03-15 23:00", periods=5 * 24, freq="h", tz="UTC")
    table = pd.DataFrame({schema.TIMESTAMP: stamps})
    kept, note = skip_warmup(table, pd.Timedelta("3D"), "Europe/Warsaw")
    assert len(kept) == 2 * 24
    assert note == ("skipped 72 row(s) of the first 3D (warm-up); evaluating from "
                    "2026-03-19 00:00 Europe/Warsaw (2026-03-18 23:00 UTC)")
    assert skip_warmup(table, pd.Timedelta("6h"))[1].endswith("from 2026-03-16 05:00 UTC")
