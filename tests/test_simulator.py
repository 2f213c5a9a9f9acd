"""The KPI simulator: schema, reproducibility, realism and labelled faults."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.errors import ParameterError
from telecom_nb.geo import place_sectors
from telecom_nb.sources.base import Source
from telecom_nb.sources.faults import DEFAULT_FAULT_RATE, FAULT_KINDS
from telecom_nb.sources.simulator import OUTPUT_COLUMNS, KpiSimulator

KPIS = list(schema.KPIS)
LOCAL = pd.Timedelta(hours=3, minutes=30)
DAY = 96  # ticks of 15 min


def _pair(kinds=None, rate=DEFAULT_FAULT_RATE, n=300, ticks=DAY, seed=5):
    """The same simulation with and without faults (rows aligned)."""
    faulty = KpiSimulator(n, seed=seed, fault_rate=rate, fault_kinds=kinds).run(ticks)
    clean = KpiSimulator(n, seed=seed, fault_rate=0.0).run(ticks)
    return faulty, clean


def test_schema_dtypes_and_time_grid():
    sim = KpiSimulator(n_sectors=50, seed=1)
    assert isinstance(sim, Source)
    assert sim.step == pd.Timedelta("15min")
    assert sim.time == pd.Timestamp("2026-01-05T00:00Z")
    a, b = sim.next_batch(), sim.next_batch()
    assert list(a.columns) == list(OUTPUT_COLUMNS)
    assert len(a) == 50 and a[schema.SECTOR].is_unique
    assert str(a[schema.TIMESTAMP].dtype) == "datetime64[ns, UTC]"
    assert a[schema.TIMESTAMP].nunique() == 1
    assert b[schema.TIMESTAMP].iloc[0] - a[schema.TIMESTAMP].iloc[0] == sim.step
    assert sim.time == pd.Timestamp("2026-01-05T00:30Z")
    for col in (schema.SECTOR, schema.PROVINCE, schema.FAULT):
        assert pd.api.types.is_string_dtype(a[col])
    for col in (*KPIS, schema.LAT, schema.LON):
        assert a[col].dtype == np.float64
    assert a[schema.SECTOR].tolist() == sim.sectors[schema.SECTOR].tolist()
    table = KpiSimulator(20, step="1h", start="2026-03-01T05:00Z").run(5)
    stamps = table[schema.TIMESTAMP].drop_duplicates()
    assert (stamps.diff().dropna() == pd.Timedelta("1h")).all()
    assert (stamps.dt.minute == 0).all() and len(table) == 100


def test_same_seed_same_table_and_reset():
    a = KpiSimulator(200, seed=11).run(40)
    sim = KpiSimulator(200, seed=11)
    b = sim.run(40)
    pd.testing.assert_frame_equal(a, b)
    sim.reset()
    pd.testing.assert_frame_equal(sim.run(40), a)
    c = KpiSimulator(200, seed=12).run(40)
    assert not np.allclose(a[schema.PAYLOAD], c[schema.PAYLOAD])


def test_values_finite_and_in_range_even_with_many_faults():
    df = KpiSimulator(300, seed=2, fault_rate=3.0).run(DAY)
    values = df[KPIS].to_numpy()
    assert np.isfinite(values).all()
    assert (values >= 0).all()
    assert df[list(schema.PERCENT_KPIS)].le(100).all().all()
    assert (df[schema.FAULT] != "").mean() > 0.2  # the high rate really produced faults


def test_daily_and_weekly_profile():
    df = KpiSimulator(120, seed=3, fault_rate=0.0, step="30min").run(48 * 7)
    local = df[schema.TIMESTAMP].dt.tz_convert(None) + LOCAL
    clock = local.dt.strftime("%H:%M")
    evening = df.loc[clock == "21:30", schema.PAYLOAD].sum()
    night = df.loc[clock == "04:30", schema.PAYLOAD].sum()
    assert evening > 3.0 * night
    hourly = df.groupby(local.dt.hour)[schema.PAYLOAD].sum()
    assert hourly.idxmin() in (3, 4, 5) and hourly.idxmax() in (20, 21, 22, 23)
    assert 0.12 < hourly.min() / hourly.max() < 0.3
    by_day = df.groupby(local.dt.day_of_week)[schema.PAYLOAD].sum()  # Monday = 0
    assert by_day[4] < 0.95 * by_day[[0, 1, 2, 5, 6]].min()  # Friday: weekend
    assert by_day[3] < by_day[[0, 1, 2]].min()  # Thursday a bit lower


def test_load_coupling_within_sectors():
    df = KpiSimulator(150, seed=4, fault_rate=0.0).run(DAY)
    g = df.groupby(schema.SECTOR)
    prb_vs_payload = g[[schema.PAYLOAD, schema.PRB]].corr().xs(schema.PAYLOAD, level=1)
    thr_vs_prb = g[[schema.PRB, schema.THROUGHPUT]].corr().xs(schema.PRB, level=1)
    assert prb_vs_payload[schema.PRB].median() > 0.9
    assert thr_vs_prb[schema.THROUGHPUT].median() < -0.4
    # Normal PRB rarely passes 90 %; availability is ~always 100.
    assert (df[schema.PRB] > 90).mean() < 0.005
    assert (df[schema.AVAILABILITY] < 100).mean() < 0.005
    assert df[schema.AVAILABILITY].min() > 97


def test_untouched_rows_equal_clean_run_and_labels_mark_changes():
    faulty, clean = _pair(n=400)
    labelled = faulty[schema.FAULT] != ""
    assert labelled.any()
    pd.testing.assert_frame_equal(faulty.loc[~labelled, KPIS], clean.loc[~labelled, KPIS])
    changed = (faulty.loc[labelled, KPIS].to_numpy() != clean.loc[labelled, KPIS].to_numpy())
    assert changed.any(axis=1).mean() > 0.99
    assert (clean[schema.FAULT] == "").all()


def test_fault_fraction_at_default_rate():
    df = KpiSimulator(500, seed=6).run(2 * DAY)
    frac = (df[schema.FAULT] != "").mean()
    assert 0.01 <= frac <= 0.03
    assert set(df[schema.FAULT].unique()) - {""} <= set(FAULT_KINDS)


def test_fault_rate_scales_fault_fraction():
    low = (KpiSimulator(200, seed=7, fault_rate=0.05).run(DAY)[schema.FAULT] != "").mean()
    high = (KpiSimulator(200, seed=7, fault_rate=0.5).run(DAY)[schema.FAULT] != "").mean()
    assert 4 * low < high


def _only(kind, rate=2.0, ticks=DAY, n=200):
    faulty, clean = _pair(kinds=[kind], rate=rate, n=n, ticks=ticks)
    rows = faulty[schema.FAULT] == kind
    assert rows.sum() > 50, f"{kind} did not occur"
    assert set(faulty[schema.FAULT].unique()) == {"", kind}
    return faulty[rows], clean[rows]


def test_outage_signature():
    f, c = _only("outage")
    assert (f[schema.AVAILABILITY] < 50).all()
    assert (f[schema.PAYLOAD] < 0.5 * c[schema.PAYLOAD]).all()
    assert (f[schema.THROUGHPUT] <= 0.35 * c[schema.THROUGHPUT]).all()


def test_congestion_signature():
    f, c = _only("congestion")
    assert (f[schema.PRB] >= 97).all()
    assert (f[schema.THROUGHPUT] <= 0.35 * c[schema.THROUGHPUT]).all()
    assert (f[schema.AVAILABILITY] >= 97).all()
    assert (f[schema.PAYLOAD] <= 1.2 * c[schema.PAYLOAD]).all()  # plateau, no growth


def test_throughput_degradation_signature():
    f, c = _only("throughput_degradation")
    ratio = f[schema.THROUGHPUT] / c[schema.THROUGHPUT]
    assert ratio.between(0.1, 0.55).all()
    np.testing.assert_array_equal(f[schema.PAYLOAD], c[schema.PAYLOAD])
    np.testing.assert_array_equal(f[schema.PRB], c[schema.PRB])


def test_sleeping_cell_signature():
    f, c = _only("sleeping_cell")
    assert (f[schema.PAYLOAD] <= 0.021 * c[schema.PAYLOAD]).all()
    assert (f[schema.PRB] <= 1.5).all()
    assert (f[schema.AVAILABILITY] == c[schema.AVAILABILITY]).all()


def test_traffic_surge_signature():
    f, c = _only("traffic_surge")
    assert (f[schema.PAYLOAD] > c[schema.PAYLOAD]).all()
    assert (f[schema.PRB] > c[schema.PRB] - 1e-9).all()
    assert (f[schema.THROUGHPUT] < c[schema.THROUGHPUT] + 1e-9).all()
    assert (f[schema.PAYLOAD] / c[schema.PAYLOAD]).median() > 1.5


def test_gradual_degradation_gets_worse_over_the_episode():
    f, c = _only("gradual_degradation", ticks=2 * DAY, n=200)
    assert (f[schema.THROUGHPUT] <= c[schema.THROUGHPUT] + 1e-9).all()
    thr_ratio = f[schema.THROUGHPUT] / c[schema.THROUGHPUT]
    avail_loss = 100 - f[schema.AVAILABILITY]
    badness = (1 - thr_ratio) + avail_loss / 100
    # Per episode run (consecutive labelled rows of a sector): later rows are worse.
    frame = pd.DataFrame({"sector": f[schema.SECTOR], "t": f[schema.TIMESTAMP], "bad": badness})
    frame = frame.sort_values(["sector", "t"])
    new_run = (frame["sector"] != frame["sector"].shift()) | (
        frame["t"].diff() != pd.Timedelta("15min"))
    frame["run"] = new_run.cumsum()
    ends = frame.groupby("run")["bad"].agg(["first", "last", "size"])
    long = ends[ends["size"] >= 8]
    assert len(long) > 10
    assert (long["last"] > long["first"]).mean() > 0.9
    assert long["first"].median() < 0.2  # the first ticks are subtle
    assert long["last"].median() > 0.3


def test_province_event_hits_many_sectors_of_one_province_at_once():
    f, c = _only("province_event", rate=1.0, ticks=2 * DAY, n=400)
    assert (f[schema.AVAILABILITY] < 95).all()
    assert (f[schema.PAYLOAD] < c[schema.PAYLOAD]).all()
    firsts = f.sort_values(schema.TIMESTAMP).groupby(schema.SECTOR).head(1)
    starts = firsts.groupby([schema.TIMESTAMP, schema.PROVINCE]).size()
    sizes = place_sectors(400, seed=5)[schema.PROVINCE].value_counts()
    share = starts / sizes.reindex(starts.index.get_level_values(1)).to_numpy()
    assert share.max() > 0.3


def test_prebuilt_sectors_and_empty_run():
    sectors = place_sectors(30, seed=9)
    sim = KpiSimulator(sectors=sectors, seed=9)
    assert sim.n_sectors == 30
    batch = sim.next_batch()
    assert batch[schema.SECTOR].tolist() == sectors[schema.SECTOR].tolist()
    empty = sim.run(0)
    assert list(empty.columns) == list(OUTPUT_COLUMNS) and len(empty) == 0


def test_10k_sectors_tick_after_tick():
    sim = KpiSimulator(10_000, seed=0)  # its cost: benchmarks/unit_costs.py
    batches = [sim.next_batch() for _ in range(3)]
    assert all(len(b) == 10_000 for b in batches)
    assert batches[0][schema.TIMESTAMP].iloc[0] < batches[2][schema.TIMESTAMP].iloc[0]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_sectors": 0}, "n_sectors"),
        ({"n_sectors": 2.5}, "n_sectors"),
        ({"seed": -1}, "seed"),
        ({"step": "-5min"}, "step"),
        ({"step": "soon"}, "step"),
        ({"start": "2026-01-05T00:07Z"}, "start"),
        ({"start": "not a date"}, "start"),
        ({"fault_rate": -0.1}, "fault_rate"),
        ({"fault_rate": "high"}, "fault_rate"),
        ({"fault_kinds": ["meteor_strike"]}, "fault_kinds"),
        ({"sectors": pd.DataFrame({"sector_id": ["a"]})}, "sectors"),
    ],
)
def test_bad_parameters_name_the_parameter(kwargs, name):
    with pytest.raises(ParameterError, match=name):
        KpiSimulator(**{"n_sectors": 10, **kwargs})
    assert issubclass(ParameterError, ValueError)


def test_run_rejects_negative_ticks():
    with pytest.raises(ParameterError, match="ticks"):
        KpiSimulator(5).run(-1)


def test_coarse_steps_carry_the_interval_volume():
    """Daily rows hold a day's traffic, not 24 x a snapshot of the night trough."""
    fine = KpiSimulator(60, seed=8, fault_rate=0.0, step="15min").run(2 * DAY)
    daily = KpiSimulator(60, seed=8, fault_rate=0.0, step="1D").run(2)
    ratio = daily[schema.PAYLOAD].sum() / fine[schema.PAYLOAD].sum()
    assert 0.85 < ratio < 1.15
