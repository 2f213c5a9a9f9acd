"""Per-row validity flags (``sources/row_flags.py``, walk42): Huawei's ``Reliability``
(``Reliable``/``Unreliable``), ``Integrity`` (``100%``), ``Suspect`` 0/1, ``Valid`` Y/N.
An unreliable row is loaded and counted, its KPIs blank (no evidence), the flag kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from telecom_nb.sources.ingest import load_source
from telecom_nb.sources.spec import SourceSpec


def export(path: Path, **flags: list) -> Path:
    """Six hours of three cells, two KPIs, and the given flag columns (18 values each)."""
    stamps = pd.date_range("2026-06-01", periods=6, freq="h").strftime("%Y-%m-%d %H:%M")
    table = pd.DataFrame({"Start Time": np.repeat(stamps, 3), "Cell": ["A", "B", "C"] * 6,
                          "Traffic (MB)": np.arange(18) * 10.0 + 5,
                          "CSSR (%)": np.linspace(98, 99.5, 18).round(2), **flags})
    table.to_csv(path, index=False)
    return path


def load(path: Path, **kw):
    return load_source(SourceSpec(path=path, timestamp="Start Time", sector="Cell", **kw))


def test_huawei_unreliable_rows_are_loaded_blank_counted_and_keep_their_flag(tmp_path):
    flag = ["Reliable"] * 18
    flag[4] = flag[10] = "Unreliable"
    loaded = load(export(tmp_path / "prs.csv", Reliability=flag))
    c, frame = loaded.counters, loaded.frame
    assert c.rows_loaded == 18 and c.rows_dropped == 0 and c.rows_unreliable == 2
    assert loaded.kpis == ["Traffic (MB)", "CSSR (%)"]
    bad = frame["Reliability"] == "Unreliable"
    assert bad.sum() == 2 and frame.loc[bad, loaded.kpis].isna().all().all()
    assert frame.loc[~bad, loaded.kpis].notna().all().all()
    assert c.values_missing == 0  # the export's own blanks only
    assert any("2 row(s) flagged unreliable by 'Reliability'" in m for m in loaded.messages)


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [("Integrity", "100%", "87.5%"), ("Suspect", 0, 1), ("Valid", "Y", "N"),
     ("Data Validity", "true", "false"), ("SUSPECT_FLAG", "No", "Yes")],
)
def test_validity_flags_of_either_sense_are_never_kpis(tmp_path, name, good, bad):
    flag = [good] * 18
    flag[7] = bad
    loaded = load(export(tmp_path / "x.csv", **{name: flag}))
    assert name not in loaded.kpis and loaded.counters.rows_unreliable == 1
    assert loaded.frame[loaded.kpis].isna().sum().sum() == 2  # row 8's two KPIs


def test_a_flag_named_column_that_is_not_a_flag_or_a_named_kpi_is_left_alone(tmp_path):
    path = export(tmp_path / "x.csv", Integrity=np.linspace(70, 130, 18))
    assert load(path).counters.rows_unreliable == 0  # 130 is no share: not a flag
    flag = ["100%"] * 17 + ["50%"]
    named = load(export(tmp_path / "y.csv", Integrity=flag),
                 kpis=["Traffic (MB)", "Integrity"])
    assert "Integrity" in named.kpis and named.counters.rows_unreliable == 0


def _live_batches() -> list[pd.DataFrame]:
    """Three ticks of three cells as a live source yields them, a Reliability column."""
    out = []
    for t in range(3):
        out.append(pd.DataFrame({
            "timestamp": pd.Timestamp("2026-06-01", tz="UTC") + pd.Timedelta(hours=t),
            "sector_id": ["A", "B", "C"], "Traffic (MB)": [10.0, 20.0, 30.0],
            "CSSR (%)": [99.0, 98.5, 99.2],
            "Reliability": ["Reliable", "Unreliable" if t == 1 else "Reliable", "Reliable"]}))
    return out


def test_a_live_batch_reads_its_validity_flags_as_a_replay_does():
    """The live validator scored an unreliable row's incomplete counters as evidence
    (only the export's load blanked them): now both read them blank (walk43)."""
    from telecom_nb.sources.validation import BatchValidator

    validator = BatchValidator(["Traffic (MB)", "CSSR (%)"])
    batches = [validator.validate(b) for b in _live_batches()]
    frame = batches[1].frame
    assert frame.loc[1, ["Traffic (MB)", "CSSR (%)"]].isna().all()
    assert frame.loc[[0, 2], ["Traffic (MB)", "CSSR (%)"]].notna().all().all()
    assert bool(frame.loc[1, "blank"]) and batches[1].report["blank"] == 2
    assert np.isnan(batches[1].values[1]).all()
    assert any("flagged unreliable" in m for m in batches[1].messages)
    assert batches[0].report["blank"] == 0


def test_the_table_path_blanks_flagged_rows_as_the_batch_path_does():
    from telecom_nb.sources.table_validation import _loop, validate_table
    from telecom_nb.sources.validation import BatchValidator

    table = pd.concat(_live_batches(), ignore_index=True)
    kpis = ["Traffic (MB)", "CSSR (%)"]
    fast = validate_table(BatchValidator(kpis), table)
    loop = _loop(BatchValidator(kpis), table)
    assert fast.report == loop.report and fast.report["blank"] == 2
    pd.testing.assert_frame_equal(fast.frame[kpis], loop.frame[kpis])
    assert fast.frame.loc[4, kpis].isna().all()


def test_a_replay_of_a_loaded_export_reads_its_flags_no_more(tmp_path, monkeypatch):
    """The loader blanked and counted the flagged rows; a replay of its frame read and
    blanked them again (a factorize of the column every replay): now they are read once,
    at load, on both replay paths; a frame without the loader's mark is read as before,
    to the same scores."""
    from pipeline_fakes import ThresholdDetector

    from telecom_nb import schema
    from telecom_nb.detectors.base import Scores
    from telecom_nb.engine.replay import replay
    from telecom_nb.sources import row_flags

    class Streaming(ThresholdDetector):
        def score_stream(self, table: pd.DataFrame, progress: bool = False) -> Scores:
            prb = table[schema.PRB].to_numpy(dtype=float)
            return Scores(score=np.nan_to_num(prb) / 100, is_anomaly=prb > 98.9,
                          top_kpi=np.where(prb > 98.9, schema.PRB, "").astype(object))

    flag = ["Reliable"] * 18
    flag[4] = flag[10] = "Unreliable"
    path = export(tmp_path / "prs.csv", Reliability=flag)
    table = pd.read_csv(path).rename(columns={"CSSR (%)": schema.PRB})
    table.to_csv(path, index=False)
    loaded = load(path)
    assert loaded.counters.rows_unreliable == 2
    reads = []
    real = row_flags.flag_reading
    monkeypatch.setattr(row_flags, "flag_reading", lambda *a: reads.append(a) or real(*a))
    for per_batch, detector in ((False, Streaming), (True, ThresholdDetector)):
        reads.clear()
        once = replay(loaded.frame, detector(), loaded.kpis, per_batch=per_batch)
        assert not reads
        unmarked = loaded.frame.copy()
        unmarked.attrs.clear()
        again = replay(unmarked, detector(), loaded.kpis, per_batch=per_batch)
        assert reads  # the definition: an unmarked frame's flags are read by the validator
        pd.testing.assert_frame_equal(once.frame, again.frame, check_like=True)
        assert once.frame[loaded.kpis].isna().sum().sum() == 4
        said = [m for m in once.messages if m.startswith("4 blank KPI value(s)")]
        assert said and "missing/infinite" not in said[0]  # the load said none is missing
