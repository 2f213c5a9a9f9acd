"""Row and event metrics, and the side-by-side report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import precision_recall_fscore_support

from telecom_nb.errors import KpiInputError
from telecom_nb.evaluation.metrics import evaluate
from telecom_nb.evaluation.report import format_comparison

T = pd.date_range("2024-03-01", periods=8, freq="15min", tz="UTC")


def table(rows: list[tuple[str, int, str, bool]]) -> pd.DataFrame:
    """(sector, tick, fault, flagged) rows, shuffled so that order must not matter."""
    df = pd.DataFrame(rows, columns=["sector_id", "tick", "fault", "is_anomaly"])
    df["timestamp"] = T[df["tick"].to_numpy()]
    return df.drop(columns="tick").sample(frac=1.0, random_state=3).reset_index(drop=True)


# Sector a: outage on ticks 1-3 (flagged at 2 -> delay 1), normal 4, outage 5-6 (missed),
#           then congestion on tick 7 (flagged -> delay 0).
# Sector b: congestion on ticks 0-1 (flagged at 0 -> delay 0), then outage 2-4 (flagged at 4
#           -> delay 2); a false alarm at tick 6.
ROWS = [
    ("a", 0, "", False), ("a", 1, "outage", False), ("a", 2, "outage", True),
    ("a", 3, "outage", True), ("a", 4, "", False), ("a", 5, "outage", False),
    ("a", 6, "outage", False), ("a", 7, "congestion", True),
    ("b", 0, "congestion", True), ("b", 1, "congestion", False), ("b", 2, "outage", False),
    ("b", 3, "outage", False), ("b", 4, "outage", True), ("b", 5, "", False),
    ("b", 6, "", True), ("b", 7, "", False),
]


def test_hand_worked_example():
    ev = evaluate(table(ROWS))
    # 11 faulty rows (a: 1,2,3,5,6,7; b: 0-4); 6 flagged, 5 of them faulty (a2, a3, a7,
    # b0, b4) and 1 FP (b6).
    assert (ev.rows, ev.positives, ev.flagged, ev.tp, ev.fp, ev.fn) == (16, 11, 6, 5, 1, 6)
    assert ev.precision == pytest.approx(5 / 6)
    assert ev.recall == pytest.approx(5 / 11)
    assert ev.f1 == pytest.approx(2 * (5 / 6) * (5 / 11) / (5 / 6 + 5 / 11))
    # Episodes: a-outage(1-3) found d=1, a-outage(5-6) missed, a-congestion(7) found d=0,
    # b-congestion(0-1) found d=0, b-outage(2-4) found d=2 -> 4/5 found, delays 1,0,0,2.
    assert (ev.n_events, ev.events_found) == (5, 4)
    assert ev.event_recall == pytest.approx(0.8)
    assert ev.median_delay_ticks == pytest.approx(0.5)
    outage = ev.per_kind["outage"]
    assert (outage.n_events, outage.events_found, outage.rows) == (3, 2, 8)
    assert outage.event_recall == pytest.approx(2 / 3)
    assert outage.row_recall == pytest.approx(3 / 8)
    assert outage.median_delay_ticks == pytest.approx(1.5)
    cong = ev.per_kind["congestion"]
    assert (cong.n_events, cong.event_recall, cong.row_recall, cong.median_delay_ticks) == (
        2, 1.0, pytest.approx(2 / 3), 0.0)


def test_episode_boundaries_kind_change_and_sector_change():
    # Same kind across two sectors at adjacent rows is two episodes; a kind change is a new
    # episode; within a sector, order is by timestamp even if rows are shuffled.
    rows = [("a", 6, "outage", False), ("a", 7, "outage", False),
            ("b", 0, "outage", True), ("b", 1, "congestion", False), ("b", 2, "congestion", True)]
    ev = evaluate(table(rows))
    assert ev.n_events == 3 and ev.events_found == 2
    assert ev.per_kind["congestion"].median_delay_ticks == 1.0


def test_json_form_is_safe_and_has_the_required_keys():
    rows = [("a", 0, "outage", False), ("a", 1, "", False)]
    ev = evaluate(table(rows))
    d = ev.as_dict()
    assert {"precision", "recall", "f1", "event_recall", "median_delay_ticks",
            "per_kind"} <= set(d)
    assert d["median_delay_ticks"] is None
    assert d["per_kind"]["outage"]["median_delay_ticks"] is None
    json.dumps(d, allow_nan=False)


def test_no_faults_at_all():
    ev = evaluate(table([("a", 0, "", True), ("a", 1, "", False)]))
    assert (ev.n_events, ev.event_recall, ev.recall, ev.precision, ev.per_kind) == (
        0, 0.0, 0.0, 0.0, {})
    json.dumps(ev.as_dict(), allow_nan=False)


def test_missing_columns_name_the_column():
    df = table(ROWS)
    with pytest.raises(KpiInputError, match="'fault'"):
        evaluate(df.drop(columns="fault"))
    with pytest.raises(KpiInputError, match="'is_anomaly'"):
        evaluate(df.drop(columns="is_anomaly"))
    df["is_anomaly"] = df["is_anomaly"].astype(object)
    df.loc[3, "is_anomaly"] = None
    with pytest.raises(KpiInputError, match="missing value at row 3"):
        evaluate(df)


def _big(sectors: int, ticks: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = sectors * ticks
    fault = np.full(n, "", dtype=object)
    for _ in range(sectors * 4):
        s, t, length = rng.integers(sectors), rng.integers(ticks - 20), rng.integers(1, 20)
        fault[s * ticks + t : s * ticks + t + length] = rng.choice(["outage", "congestion"])
    return pd.DataFrame({
        "timestamp": np.tile(pd.date_range("2024-01-01", periods=ticks, freq="15min",
                                           tz="UTC"), sectors),
        "sector_id": np.repeat([f"s{i:04d}" for i in range(sectors)], ticks),
        "fault": fault,
        "is_anomaly": ((fault != "") & (rng.random(n) < 0.3)) | (rng.random(n) < 0.01),
    }).sample(frac=1.0, random_state=seed)


def test_row_metrics_agree_with_sklearn():
    df = _big(50, 200)
    ev = evaluate(df)
    p, r, f, _ = precision_recall_fscore_support(
        df["fault"] != "", df["is_anomaly"], average="binary")
    assert (ev.precision, ev.recall, ev.f1) == pytest.approx((p, r, f))


def test_500_sectors_by_1000_ticks():
    ev = evaluate(_big(500, 1000))  # its cost: benchmarks/unit_costs.py
    assert ev.rows == 500_000 and ev.n_events > 1000


def test_format_comparison_side_by_side():
    ours = evaluate(table(ROWS))
    flipped = table(ROWS)
    flipped["is_anomaly"] = ~flipped["is_anomaly"]
    text = format_comparison({"ours (iforest)": ours, "seed baseline": evaluate(flipped)})
    lines = text.splitlines()
    assert "ours (iforest)" in lines[0] and "seed baseline" in lines[0]
    assert "fault: outage" in text and "fault: congestion" in text
    event_line = next(line for line in lines if line.startswith("event recall"))
    assert "80.0%" in event_line
    assert format_comparison({}) == "(no results)"
