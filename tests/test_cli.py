"""End-to-end tests of the ``telecom-nb`` command: what users and our checks run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.cli import main

SHARED_NAB = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "nab"


def run(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "sim.parquet"
    assert main(["simulate", "--sectors", "120", "--ticks", "150", "--seed", "3",
                 "--out", str(path), "--quiet"]) == 0
    return path


@pytest.fixture(scope="module")
def scored(simulated: Path) -> Path:
    out = simulated.with_name("scored.parquet")
    assert main(["detect", str(simulated), "--out", str(out), "--quiet"]) == 0
    return out


def test_simulate_writes_labelled_schema(simulated: Path):
    table = pd.read_parquet(simulated)
    assert len(table) == 120 * 150
    for col in (*schema.ID_COLUMNS, *schema.KPIS, schema.FAULT):
        assert col in table.columns
    assert str(table[schema.TIMESTAMP].dt.tz) == "UTC"
    assert (table[schema.FAULT] != "").any()


def test_simulate_csv_is_reproducible(tmp_path: Path, capsys):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for p in (a, b):
        assert run(["simulate", "--sectors", "30", "--ticks", "10", "--seed", "7",
                    "--out", str(p), "--quiet"], capsys)[0] == 0
    assert a.read_bytes() == b.read_bytes()


def test_detect_keeps_every_row_and_adds_scores(simulated: Path, scored: Path):
    before = pd.read_parquet(simulated)
    after = pd.read_parquet(scored)
    assert len(after) == len(before)
    for col in schema.SCORED_COLUMNS:
        assert col in after.columns
    assert after[schema.SCORE].notna().all()
    assert after[schema.IS_ANOMALY].dtype == bool
    flagged = after[after[schema.IS_ANOMALY]]
    assert (flagged[schema.TOP_KPI] != "").all()
    # alerts: only flagged rows raise one, and fewer rows alert than are flagged
    alerting = after[schema.ALERT_SCORE] > 0
    assert alerting.any() and (after.loc[alerting, schema.IS_ANOMALY]).all()
    assert alerting.sum() < len(flagged)


@pytest.fixture(scope="module")
def scored_day(tmp_path_factory) -> Path:
    """Three hours of 40 sectors, scored: evaluate re-runs the seed baseline (a refit a tick)."""
    folder = tmp_path_factory.mktemp("cli_day")
    assert main(["simulate", "--sectors", "40", "--ticks", "12", "--seed", "5", "--fault-rate", "3",
                 "--out", str(folder / "sim.parquet"), "--quiet"]) == 0
    assert main(["detect", str(folder / "sim.parquet"), "--out", str(folder / "scored.parquet"),
                 "--quiet"]) == 0
    return folder / "scored.parquet"


def test_evaluate_json_has_the_documented_keys_and_baseline(scored_day: Path, capsys):
    code, out, _ = run(["evaluate", str(scored_day), "--json", "--quiet"], capsys)
    assert code == 0
    report = json.loads(out)
    for key in ("precision", "recall", "f1", "event_recall", "median_delay_ticks", "per_kind"):
        assert key in report
    assert 0.0 <= report["precision"] <= 1.0
    assert "baseline" in report and "f1" in report["baseline"]


def test_evaluate_text_shows_both_detectors(scored_day: Path, capsys):
    code, out, _ = run(["evaluate", str(scored_day), "--quiet"], capsys)
    assert code == 0
    assert "seed baseline" in out and "event recall" in out


def test_detect_with_column_mapping_and_single_series(tmp_path: Path, capsys):
    stamps = pd.date_range("2026-01-01", periods=300, freq="5min")
    values = [10.0 + (i % 12) for i in range(300)]
    values[250] = 500.0
    src = tmp_path / "series.csv"
    pd.DataFrame({"time": stamps.astype(str), "load": values}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    code, _, err = run(["detect", str(src), "--out", str(out), "--timestamp-col", "time",
                        "--kpis", "load", "--detector", "robust_z", "--quiet"], capsys)
    assert code == 0, err
    result = pd.read_csv(out)
    assert len(result) == 300
    assert result[schema.SCORE].idxmax() == 250


def test_detect_misnamed_column_is_one_clear_error(simulated: Path, tmp_path: Path, capsys):
    code, _, err = run(["detect", str(simulated), "--out", str(tmp_path / "o.csv"),
                        "--timestamp-col", "time_stamp", "--quiet"], capsys)
    assert code == 2
    assert "time_stamp" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("setting", "needle"),
    [("contamination=0.9", "contamination"), ("nonsense=1", "nonsense"), ("novalue", "NAME=VALUE"),
     ("heavy_tails=maybe", "heavy_tails")],
)
def test_detect_bad_parameter_names_it(simulated, tmp_path, capsys, setting, needle):
    code, _, err = run(["detect", str(simulated), "--out", str(tmp_path / "o.csv"),
                        "--set", setting, "--quiet"], capsys)
    assert code == 2
    assert needle in err


def test_set_converts_booleans_and_none_by_trait_type():
    from telecom_nb.cli.commands import build_detector, parse_params

    def built(setting: str):
        return build_detector("robust_z", parse_params([setting]))

    assert built("heavy_tails=false").heavy_tails is False
    assert built("heavy_tails=Yes").heavy_tails is True
    assert built("heavy_tails=auto").heavy_tails is None
    assert built("threshold=none").threshold is None
    assert built("threshold=4").threshold == 4.0


def test_detect_unknown_detector_and_missing_file(tmp_path: Path, simulated: Path, capsys):
    code, _, err = run(["detect", str(simulated), "--out", str(tmp_path / "o.csv"),
                        "--detector", "magic", "--quiet"], capsys)
    assert code == 2 and "magic" in err
    code, _, err = run(["detect", str(tmp_path / "nope.csv"), "--out",
                        str(tmp_path / "o.csv"), "--quiet"], capsys)
    assert code == 2 and "nope.csv" in err


def test_bad_output_extension_fails_before_work(tmp_path: Path, capsys):
    code, _, err = run(["simulate", "--sectors", "10", "--ticks", "2",
                        "--out", str(tmp_path / "x.xlsx"), "--quiet"], capsys)
    assert code == 2 and ".parquet" in err
    assert not (tmp_path / "x.xlsx").exists()


def test_evaluate_without_ground_truth_explains(tmp_path: Path, capsys):
    src = tmp_path / "plain.csv"
    pd.DataFrame({"timestamp": ["2026-01-01T00:00Z"], "sector_id": ["a"], "payload_mb": [1.0],
                  "throughput_mbps": [1.0], "prb_pct": [1.0],
                  "availability_pct": [100.0]}).to_csv(src, index=False)
    code, _, err = run(["evaluate", str(src), "--quiet"], capsys)
    assert code == 2 and "fault" in err


def test_bench_json_shape(capsys):
    code, out, _ = run(["bench", "--sectors", "60", "--ticks", "2", "--json", "--quiet"], capsys)
    assert code == 0
    rows = json.loads(out)
    assert [r["sectors"] for r in rows] == [60]
    for key in ("simulate_ms", "score_ms", "tick_ms"):
        assert rows[0][key] > 0


def test_bench_quiet_still_prints_the_figures(capsys):
    code, out, err = run(["bench", "--sectors", "60", "--ticks", "2", "--quiet"], capsys)
    assert code == 0
    assert "60 sectors" in out and "score" in out and "%" not in err  # no progress bar


def test_bench_rejects_bad_sizes(capsys):
    code, _, err = run(["bench", "--sectors", "ten", "--quiet"], capsys)
    assert code == 2 and "--sectors" in err
    code, _, err = run(["bench", "--sectors", "60", "--series-rows", "0", "--quiet"], capsys)
    assert code == 2 and "--series-rows" in err


def test_bench_replays_one_series_at_each_size(capsys, monkeypatch):
    """The one-series line comes at each ``--series-rows`` size (a window filled or not)."""
    import telecom_nb.bench as bench

    calls = []

    def fake_replay(rows, *, one_series=False, detector="iforest"):
        calls.append((rows, one_series))
        return {"rows": rows, "one_series": one_series}

    monkeypatch.setattr(bench, "bench_replay", fake_replay)
    code, out, _ = run(["bench", "--sectors", "60", "--ticks", "1", "--replay", "500",
                        "--series-rows", "200,300", "--json", "--quiet"], capsys)
    assert code == 0
    assert calls == [(500, False), (200, True), (300, True)]
    assert [r["rows"] for r in json.loads(out)["replays"]] == [500, 200, 300]


@pytest.mark.skipif(not SHARED_NAB.is_dir(), reason="shared NAB copy not present")
def test_nab_on_a_small_nab_layout_folder(tmp_path: Path, capsys):
    rel = "realKnownCause/ec2_request_latency_system_failure.csv"
    (tmp_path / "data" / "realKnownCause").mkdir(parents=True)
    (tmp_path / "labels").mkdir()
    shutil.copy(SHARED_NAB / "data" / rel, tmp_path / "data" / rel)
    windows = json.loads((SHARED_NAB / "labels" / "combined_windows.json").read_text())
    (tmp_path / "labels" / "combined_windows.json").write_text(json.dumps({rel: windows[rel]}))
    code, out, err = run(["nab", str(tmp_path), "--detector", "robust_z", "--json", "--quiet"],
                         capsys)
    assert code == 0, err
    result = json.loads(out)
    assert result["unit"] == "alerts"
    for profile in ("standard", "reward_low_FP_rate", "reward_low_FN_rate"):
        assert -100.0 <= result[profile] <= 100.0
    code, out, err = run(["nab", str(tmp_path), "--detector", "robust_z", "--rows", "--json",
                          "--quiet"], capsys)
    assert code == 0, err
    assert json.loads(out)["unit"] == "rows"
    code, _, err = run(["nab", str(tmp_path), "--close-after", "0", "--quiet"], capsys)
    assert code == 2 and "close_after" in err


def test_python_dash_m_entry_point():
    proc = subprocess.run([sys.executable, "-m", "telecom_nb", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0
    for command in ("simulate", "detect", "evaluate", "nab", "bench"):
        assert command in proc.stdout
