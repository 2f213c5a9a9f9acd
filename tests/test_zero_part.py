"""A few series' exact-zero state reads on its KPIs' own null (zero_part.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.zero_part import zero_state_rows

KPIS = ("traffic", "users", "prb", "mcs")


def _cells(days: int = 4, seed: int = 0) -> pd.DataFrame:
    """Two 5-minute cells with a daily rhythm and noise; no zero anywhere."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-03-02", periods=days * 288, freq="5min", tz="UTC")
    hours = (ts.hour + ts.minute / 60.0).to_numpy()
    frames = []
    for c in range(2):
        load = 1.0 + 0.6 * np.sin(2 * np.pi * (hours - 8) / 24)
        traffic = rng.gamma(6.0, load / 6.0)
        frames.append(pd.DataFrame({
            schema.TIMESTAMP: ts, schema.SECTOR: f"cell{c}", "traffic": traffic,
            "users": rng.poisson(30 * load).astype(float) + 1.0,
            "prb": np.clip(40 * traffic + rng.normal(0, 3, len(ts)), 1, 100),
            "mcs": np.clip(20 + rng.normal(0, 1.5, len(ts)), 3, 28)}))
    return pd.concat(frames).sort_values(schema.TIMESTAMP, kind="stable").reset_index(drop=True)


def test_zero_state_rows_need_two_kpis_at_exactly_zero():
    raw = np.array([[0.0, 0.0, 5.0], [0.0, 1.0, 2.0], [np.nan, 0.0, 0.0], [1e-9, 0.0, 3.0]])
    assert zero_state_rows(raw).tolist() == [True, False, True, False]
    assert not zero_state_rows(np.zeros((3, 1))).any()  # one series: one KPI, no state


def test_an_outage_at_exact_zero_reads_its_max_units_part_not_the_combined_null():
    """A cell that never showed zeros goes to zero on every KPI for two hours: each row
    scores at least its max-units part's own ``-log10 p`` (before, the combined score's null
    read that raw score on its deep shoulder, lower)."""
    frame = _cells()
    det = make_detector("iforest", kpis=list(KPIS), n_estimators=30)
    history = frame[frame[schema.TIMESTAMP] < frame[schema.TIMESTAMP].iloc[-1]
                    - pd.Timedelta("3h")]
    det.score_stream(history.reset_index(drop=True))
    assert det.is_ready
    ticks = frame[schema.TIMESTAMP].iloc[len(history):].unique()[:24]  # two hours
    outage = []
    for t in ticks:
        batch = frame[frame[schema.TIMESTAMP] == t].copy()
        batch.loc[batch[schema.SECTOR] == "cell0", list(KPIS)] = 0.0
        scored = det.score(batch)
        view = det.features_.view(batch)
        parts = det.part_scores(det._fitted.model, det._features_of(view))
        cell0 = (batch[schema.SECTOR] == "cell0").to_numpy()
        outage.append((np.asarray(scored.score)[cell0], parts["max_z"][cell0]))
        det.learn(batch)
    score = np.concatenate([s for s, _ in outage])
    own = np.concatenate([m for _, m in outage])
    assert (own > 5).all()  # the KPIs' own null: far out
    assert (score >= own - 1e-9).all()
    assert (score[1:] >= 3).all()  # every row of the outage, not its first only


def test_a_state_the_series_has_shown_at_that_hour_is_no_zero_part_news():
    """A cell's third maintenance night at its hours, longer than its two before (known to
    neither the count nor the length of zero_state's rule), is not read on the max-units
    part's own null (a few series' maintenance paged on every such row); the same state in
    the afternoon, at hours that never held zeros, is."""
    frame = _cells()
    ts = frame[schema.TIMESTAMP]
    cell0 = frame[schema.SECTOR] == "cell0"
    for day in (1, 2):  # 02:00-03:00
        start = ts.min() + pd.Timedelta(days=day, hours=2)
        night = cell0 & (ts >= start) & (ts < start + pd.Timedelta("1h"))
        frame.loc[night, list(KPIS)] = 0.0
    det = make_detector("iforest", kpis=list(KPIS), n_estimators=30)
    third = ts.min() + pd.Timedelta(days=3, hours=2)
    det.score_stream(frame[ts < third].reset_index(drop=True))
    assert det.is_ready
    flags = []
    for t in ts[(ts >= third) & (ts < third + pd.Timedelta("2h"))].unique():
        batch = frame[frame[schema.TIMESTAMP] == t].copy()
        batch.loc[batch[schema.SECTOR] == "cell0", list(KPIS)] = 0.0
        zeros = det._zero_view(det.features_.view(batch))
        flags.append(False if zeros is None else bool(zeros.any()))
        det.learn(batch)
    assert not any(flags)
    day = frame[ts == third + pd.Timedelta(hours=12)].copy()
    day.loc[day[schema.SECTOR] == "cell0", list(KPIS)] = 0.0
    zeros = det._zero_view(det.features_.view(day))
    assert zeros is not None
    assert zeros.tolist() == (day[schema.SECTOR] == "cell0").tolist()
