"""``telecom-nb detect`` / ``evaluate`` on operator-style exports, end to end.

Each ingest form goes through the CLI as a user would type it; the output is checked for
the rows, the clock and the KPI choice, and the error cases for one line with the cause.
"""

from __future__ import annotations

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
def scored(folder: Path) -> Path:
    out = folder / "scored.parquet"
    assert main(["detect", "--source", str(folder / "source.toml"), "--out", str(out),
                 "--quiet"]) == 0
    return out


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


def test_detect_prints_what_was_loaded_and_no_sort_warning(folder: Path, tmp_path, capsys):
    code, _, err = run(["detect", "--source", folder / "source.toml", "--out",
                        tmp_path / "o.csv"], capsys)
    assert code == 0, err
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
    code, _, err = run(["detect", "--source", folder / "source.toml", "--timezone", "UTC",
                        "--out", out, "--quiet"], capsys)
    assert code == 0, err
    first = pd.read_parquet(out)[schema.TIMESTAMP].min()
    assert first == pd.Timestamp("2026-04-04 00:00", tz="UTC")


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
    code, _, err = run(["detect", "--source", folder / "source.toml", "--exclude",
                        "Avg Connected Users,UL Traffic Volume (GB)", "--out",
                        tmp_path / "o.csv"], capsys)
    assert code == 0, err
    summary = next(line for line in err.splitlines() if "KPIs:" in line)
    assert "Avg Connected Users" not in summary and "DL Traffic Volume (GB)" in summary
    assert "'Avg Connected Users' (excluded" in err
    code, _, err = run(["detect", "--source", folder / "source.toml", "--kpis",
                        "Cell Availability (%)", "--out", tmp_path / "o2.csv"], capsys)
    assert code == 0, err
    assert set(pd.read_csv(tmp_path / "o2.csv")[schema.TOP_KPI].dropna()) <= {
        "Cell Availability (%)"}


def test_a_label_column_is_not_a_kpi_and_is_kept(folder: Path, tmp_path, capsys):
    export = pd.read_csv(folder / "export.csv")
    export["Is Anomaly"] = (np.arange(len(export)) % 50 == 0).astype(int)
    src = tmp_path / "with_label.csv"
    export.to_csv(src, index=False)
    out = tmp_path / "o.csv"
    code, _, err = run(["detect", src, "--timestamp-col", "Date,Time", "--sector-col",
                        "Cell Name", "--timezone", TEHRAN, "--out", out], capsys)
    assert code == 0, err
    assert "'Is Anomaly' (label-like 0/1 column)" in err
    result = pd.read_csv(out)
    assert "Is Anomaly" in result.columns and "Is Anomaly" not in set(result[schema.TOP_KPI])


def test_sites_missing_are_reported(folder: Path, tmp_path, capsys):
    sites = pd.read_csv(folder / "sites.csv")
    sites.iloc[3:].to_csv(tmp_path / "sites.csv", index=False)
    code, _, err = run(["detect", "--source", folder / "source.toml", "--sites",
                        tmp_path / "sites.csv", "--out", tmp_path / "o.parquet"], capsys)
    assert code == 0, err
    assert "3 without a site in sites.csv" in err
    result = pd.read_parquet(tmp_path / "o.parquet")
    assert result[schema.LAT].isna().any() and len(result) == len(
        pd.read_csv(folder / "export.csv"))


@pytest.fixture(scope="module")
def lossy(folder: Path) -> tuple[Path, int, int]:
    """The export with 5 % of its Time cells blank: those rows cannot be placed in time."""
    export = pd.read_csv(folder / "export.csv")
    blank = np.arange(len(export)) % 20 == 7
    export.loc[blank, "Time"] = np.nan
    path = folder / "lossy.csv"
    export.to_csv(path, index=False)
    return path, len(export), int(blank.sum())


def test_more_than_one_percent_lost_is_exit_2_with_the_cause(folder, lossy, tmp_path, capsys):
    path, _, _ = lossy
    code, _, err = run(["detect", path, "--source", folder / "source.toml", "--out",
                        tmp_path / "o.csv"], capsys)
    err = one_line_error(code, err)
    assert "lossy.csv" in err and "5.0%" in err and "'Date' + 'Time'" in err
    assert "--allow-drops" in err
    assert not (tmp_path / "o.csv").exists()


def test_allow_drops_loads_the_rest_and_counts(folder, lossy, tmp_path, capsys):
    path, total, dropped = lossy
    out = tmp_path / "o.csv"
    code, _, err = run(["detect", path, "--source", folder / "source.toml", "--allow-drops",
                        "--out", out], capsys)
    assert code == 0, err
    assert f"{total:,} read = {total - dropped:,} loaded + {dropped:,} dropped" in err
    assert f"{dropped:,} no readable time" in err
    assert len(pd.read_csv(out)) == total - dropped
    code, _, err = run(["detect", path, "--source", folder / "source.toml", "--allow-drops",
                        "--on-bad-rows", "error", "--out", out], capsys)
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
    small = make_sample(tmp_path, cells=6, weeks=0.16)  # 27 h: the seed baseline refits every tick
    scored = tmp_path / "scored.parquet"
    assert main(["detect", "--source", str(small / "source.toml"), "--out", str(scored),
                 "--quiet"]) == 0
    args = ["evaluate", scored, "--labels", small / "labels.csv", "--source",
            small / "source.toml", "--json", "--quiet"]
    code, out, err = run([*args, "--skip", "1D"], capsys)
    assert code == 0, err
    skipped = json.loads(out)
    full = json.loads(run([*args, "--no-baseline"], capsys)[1])
    stamps = pd.read_parquet(scored)[schema.TIMESTAMP]
    assert skipped["rows"] == int((stamps >= stamps.min() + pd.Timedelta("1D")).sum())
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
