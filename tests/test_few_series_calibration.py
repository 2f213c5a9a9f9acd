"""One series' score null: its deep tail, not only its shoulder."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.calibration import SEEN_FLOOR
from telecom_nb.detectors.retrain_jobs import POOLED_SERIES


def _bursty(seed: int = 0, days: int = 10) -> pd.DataFrame:
    """One 5-minute series: a daily rhythm, heavy-tailed noise and slow wander, no fault."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-03-02", periods=days * 288, freq="5min", tz="UTC")
    hours = (ts.hour + ts.minute / 60.0).to_numpy()
    wander = np.convolve(rng.normal(0, 1, len(ts)), np.ones(24) / 24, "same")
    y = 10 + 3 * np.sin(2 * np.pi * hours / 24) + wander + rng.standard_t(3, len(ts)) * 0.5
    return pd.DataFrame({schema.TIMESTAMP: ts, schema.SECTOR: "s", "y": y})


def test_one_series_normal_rows_rarely_reach_one_in_a_thousand():
    """A clean series' rows at score >= 3 (p <= 1e-3) stay near that rate: the null's tail
    takes the 95-99 % spacing when it is heavier than the shoulder's (90-95 %)."""
    frame = _bursty()
    det = make_detector("iforest", kpis=["y"], n_estimators=30)
    score = det.score_stream(frame).score
    judged = score[3 * 288 :]
    assert (judged >= 3).mean() < 0.008  # 0.0045 here; the shoulder alone: 0.012


def test_a_pool_of_few_series_takes_no_seen_floor():
    """Three series' score null has no seen floor (the pool's excursions are other cells'
    maintenance zeros and outages, not this cell's routine); one series keeps it."""
    one = _bursty(days=2).iloc[::3]  # 15 minutes
    pool = pd.concat([one.assign(**{schema.SECTOR: f"s{i}", "y": one["y"] + i})
                      for i in range(3)]).sort_values(schema.TIMESTAMP, kind="stable")
    seen = {}
    for name, frame in (("one", one), ("pool", pool)):
        det = make_detector("iforest", kpis=["y"], n_estimators=10)
        det.score_stream(frame.reset_index(drop=True))
        seen[name] = (det._fitted.calibrator.seen_floor, det._fit_params().get(POOLED_SERIES))
    assert seen == {"one": (SEEN_FLOOR, None), "pool": (0, 3)}


def test_a_pools_shift_null_is_not_widened_by_outages_at_the_clip():
    """A pool of cells' level-shift null takes the shoulder's tail scale: 2 % of its window's
    rows are other cells' outages, their throughput shift at the clip (25), and the 95-99 %
    spacing then read a scale of ~14 (a collapse's z of 25 at ``-log10 p`` ~2: few_series
    ``lte`` seed 1891). One series keeps the heavier of the two spacings."""
    from telecom_nb.detectors.shift_part import shift_null as _shift_null

    rng = np.random.default_rng(3)
    z = np.abs(rng.normal(0, 1, (5000, 1)))
    z[rng.choice(5000, 100, replace=False)] = 25.0
    far = np.array([25.0])
    pooled = _shift_null(z, None, np.array([0]), pooled=True)[0]
    one = _shift_null(z, None, np.array([0]))[0]
    assert pooled.log_p(far)[0] > 6  # an outage-sized shift stays far
    assert pooled.log_p(np.array([2.5]))[0] < 2  # a normal hour stays normal
    assert one.log_p(far)[0] < 3  # (one series: the deep spacing, as before)


def test_the_shift_columns_rows_are_read_as_numpys_mask_and_gathers():
    """The level-shift null's rows (``|z| > 0``) and their predecessors'
    ``|nan_to_num(previous, nan=0)|``, compiled in one pass, are numpy's: signed zeros,
    NaN and infinities on either side, a wider row's column."""
    from telecom_nb.detectors.shift_part import _with_statistic

    rng = np.random.default_rng(2218)
    ref = rng.standard_t(3, size=(3000, 5))
    ref[rng.random(ref.shape) < 0.3] = 0.0
    ref[::7, 2] = -0.0
    ref[5, 2], ref[9, 2], ref[11, 2] = np.nan, np.inf, -np.inf
    previous = np.abs(rng.standard_t(3, size=ref.shape))
    previous[::5, 2] = np.nan
    previous[3, 2], previous[4, 2], previous[6, 2] = np.inf, -np.inf, -0.0
    for c in range(5):
        s = np.abs(ref[:, c])
        has = s > 0
        want = (s[has], np.abs(np.nan_to_num(previous[has, c], nan=0.0)))
        got = _with_statistic(ref, previous, c)
        assert got[0].tobytes() == want[0].tobytes()
        assert got[1].tobytes() == want[1].tobytes()
        assert _with_statistic(ref, None, c)[1] is None


def test_a_young_pools_kpis_make_one_shift_null_until_one_has_its_own():
    """A 15-minute pool of 4 cells has its first 1,000 rows with a shift statistic per KPI
    only ~2.6 days after its first (few-series ``lte15``: a day-5.4 shift read 5-7 on three
    KPIs, unscored): until one KPI has them, the KPIs' rows together make one null, read
    by each KPI with any row. One series keeps waiting."""
    from telecom_nb.detectors.shift_part import MIN_SHIFT_ROWS
    from telecom_nb.detectors.shift_part import shift_null as _shift_null

    rng = np.random.default_rng(5)
    z = np.abs(rng.normal(0, 1, (400, 4)))
    z[:, 3] = 0.0  # a KPI with no statistic yet
    columns = np.arange(4)
    young = _shift_null(z, None, columns, pooled=True)
    assert young is not None and young[3] is None
    assert young[0] is young[1] is young[2]
    assert young[0].log_p(np.array([6.0]))[0] > 4  # a shift of 6 is far
    assert young[0].log_p(np.array([2.0]))[0] < 2
    assert _shift_null(z, None, columns) is None  # one series: no null yet
    assert _shift_null(z[: MIN_SHIFT_ROWS // 4], None, columns, pooled=True) is None
    old = np.abs(rng.normal(0, 1, (MIN_SHIFT_ROWS, 2)))
    own = _shift_null(old, None, np.arange(2), pooled=True)
    assert own is not None and own[0] is not own[1]  # each KPI its own, as before
