"""Bounded history: network aggregates, per-sector ring buffer, anomaly feed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pipeline_fakes import ListSource, ThresholdDetector, make_batch, make_runner, run

from telecom_nb import schema
from telecom_nb.engine import AnomalyFeed, NetworkHistory, ScoredBatch, SectorHistory


def scored_batches(n_ticks: int, n_sectors: int = 4, anomalous=(1,)):
    pipe = make_runner(
        ListSource([make_batch(t, n_sectors, anomalous=anomalous) for t in range(n_ticks)]),
        ThresholdDetector(every=1),
        interval=0,
    )
    return run(pipe.step(n_ticks))


def test_network_history_aggregates_and_is_bounded():
    batches = scored_batches(8)
    history = NetworkHistory(maxlen=5)
    for b in batches:
        history(b)
    frame = history.frame()
    assert list(frame["tick"]) == [4, 5, 6, 7, 8]
    last = batches[-1].frame
    assert frame[f"{schema.PRB}_mean"].iloc[-1] == pytest.approx(last[schema.PRB].mean())
    assert frame[f"{schema.PAYLOAD}_sum"].iloc[-1] == pytest.approx(last[schema.PAYLOAD].sum())
    assert frame["n_anomalies"].iloc[-1] == 1 and frame["n_rows"].iloc[-1] == 4


def test_sector_history_keeps_the_last_k_ticks_of_each_sector():
    batches = scored_batches(10)
    history = SectorHistory(k=4)
    for b in batches:
        history(b)
    one = history.sector("S0001")
    assert list(one["timestamp"]) == [b.timestamp for b in batches[-4:]]
    expected = [b.frame.set_index(schema.SECTOR).loc["S0001", schema.PRB] for b in batches[-4:]]
    assert np.allclose(one[schema.PRB], expected)
    assert one[schema.IS_ANOMALY].all()
    assert history._values.dtype == np.float32
    with pytest.raises(KeyError, match="S9999"):
        history.sector("S9999")


def test_sector_history_grows_for_new_sectors_and_skips_absent_ticks():
    small, big = scored_batches(3, n_sectors=2), scored_batches(6, n_sectors=40)
    history = SectorHistory(k=8)
    history(small[0])
    history(big[1])  # 38 new sectors appear
    history(small[2])  # S0030 vanishes on this tick
    assert len(history.index) == 40
    assert len(history.sector("S0030")) == 1
    assert len(history.sector("S0000")) == 3


def test_sector_history_grown_after_the_ring_wrapped_keeps_every_written_tick():
    small, big = scored_batches(5, n_sectors=2), scored_batches(6, n_sectors=40)
    history = SectorHistory(k=3)
    for b in small:  # the ring wraps before the fleet grows
        history(b)
    history(big[5])
    old = history.sector("S0001")
    assert list(old["timestamp"]) == [small[3].timestamp, small[4].timestamp, big[5].timestamp]
    assert len(history.sector("S0030")) == 1
    assert list(history.aggregate(["S0030"])["n_rows"]) == [1]
    young = SectorHistory(k=6)  # rows not written yet are never read
    young(big[0])
    young(small[1])
    assert len(young.sector("S0030")) == 1 and len(young.sector("S0000")) == 2
    assert list(young.aggregate(["S0000", "S0030"])["n_rows"]) == [2, 1]


def test_feed_is_newest_first_and_bounded():
    batches = scored_batches(6, n_sectors=10, anomalous=(1, 2, 3))
    feed = AnomalyFeed(maxlen=7)
    for b in batches:
        feed(b)
    frame = feed.frame()
    assert len(frame) == 7
    assert frame[schema.TIMESTAMP].iloc[0] == batches[-1].timestamp
    assert frame[schema.TIMESTAMP].is_monotonic_decreasing
    assert set(frame.columns) >= {schema.SECTOR, schema.PROVINCE, schema.SCORE, schema.TOP_KPI}
    assert len(feed._ticks) <= 4  # old ticks dropped whole


def test_feed_empty_frame_has_columns():
    assert list(AnomalyFeed().frame().columns)[:2] == [schema.TIMESTAMP, schema.SECTOR]
    assert pd.api.types.is_object_dtype(AnomalyFeed().frame()[schema.SECTOR])


def test_network_history_counts_recovering_and_model_version_and_slices_last():
    batches = scored_batches(6, n_sectors=5)
    history = NetworkHistory()
    for b in batches:
        history(b)
    frame = history.frame()
    states = [b.frame["state"] for b in batches]
    assert list(frame["n_recovering"]) == [int((s == "recovering").sum()) for s in states]
    assert list(frame["model_version"]) == [b.model_version for b in batches]
    assert np.allclose(frame["flag_rate"], frame["n_anomalies"] / frame["n_rows"])
    tail = history.frame(last=2)
    assert list(tail["tick"]) == [5, 6] and tail.columns.equals(frame.columns)
    assert history.frame(last=0).empty and len(history.frame(last=50)) == 6
    with pytest.raises(ValueError, match="last"):
        history.frame(last=-1)


def test_network_history_recovering_follows_the_episodes():
    # Sector 1 is anomalous on ticks 0-2 only; its episode stays open (recovering) after.
    pipe = make_runner(
        ListSource([make_batch(t, 4, anomalous=(1,) if t < 3 else ()) for t in range(6)]),
        ThresholdDetector(every=1),
        interval=0,
    )
    history = NetworkHistory()
    for b in run(pipe.step(6)):
        history(b)
    frame = history.frame()
    assert list(frame["n_recovering"].iloc[3:]) == [1, 1, 0]  # closes after 3 normal ticks


def test_scored_batch_converts_a_column_once_for_every_sink():
    batch = scored_batches(2)[-1]
    prb = batch.values(schema.PRB)
    assert prb is batch.values(schema.PRB)  # the second sink reads the first one's array
    assert not prb.flags.writeable  # shared: no sink may change another's input
    assert np.array_equal(prb, batch.frame[schema.PRB].to_numpy(dtype=np.float64))
    flags = batch.values(schema.IS_ANOMALY, bool)
    assert flags.dtype == bool and flags is not batch.values(schema.IS_ANOMALY)


def test_network_history_reads_gaps_and_states_as_pandas_does():
    batch = scored_batches(3, n_sectors=6)[-1]
    frame = batch.frame.copy()
    frame.loc[frame.index[0], schema.PRB] = np.nan
    frame.loc[frame.index[1], schema.SCORE] = np.nan
    for states in (["recovering", None, "normal", "recovering", "anomalous", "normal"],
                   pd.array(["recovering"] * 2 + ["normal"] * 4, dtype="str")):
        frame[schema.STATE] = states
        history = NetworkHistory()
        history(ScoredBatch(batch.tick, batch.timestamp, frame))
        row = history.last_row
        assert row["n_recovering"] == int((frame[schema.STATE] == "recovering").sum())
        assert row["score_mean"] == frame[schema.SCORE].mean()  # NaN skipped, as pandas
        assert row[f"{schema.PRB}_mean"] == frame[schema.PRB].mean()


def test_sector_history_keeps_flags_as_bits_through_growth_and_a_checkpoint():
    """A flag is one bit of the ring (a bool a flag was 9.2 MB at 100k sectors x 96)."""
    small, big = scored_batches(4, n_sectors=13, anomalous=(1, 12)), scored_batches(
        4, n_sectors=40, anomalous=(3, 39))
    fed = [small[1], big[2], small[3]]  # grown by 27 sectors, then a subset (scattered)
    history = SectorHistory(k=4)
    for b in fed:
        history(b)
    assert history._flags.dtype == np.uint8 and history._flags.shape[1] == 5  # 40 / 8

    def flag(b, sector):
        rows = b.frame[b.frame[schema.SECTOR] == sector]
        return list(rows[schema.IS_ANOMALY].astype(bool))

    for sector in ("S0012", "S0039", "S0003", "S0001"):
        want = [f for b in fed for f in flag(b, sector)]
        assert list(history.sector(sector)[schema.IS_ANOMALY]) == want
    assert sum(sum(flag(b, "S0012") + flag(b, "S0039")) for b in fed) >= 2  # flags seen
    agg = history.aggregate(["S0012", "S0039"])
    assert list(agg["n_anomalies"]) == [sum(flag(b, "S0012") + flag(b, "S0039")) for b in fed]
    state = history.ring_state()
    assert state.flags.dtype == bool and state.flags.shape == (4, history._values.shape[1])
    again = SectorHistory(k=4)
    assert again.load_ring(state)
    np.testing.assert_array_equal(again._flags, history._flags)


def test_a_kpi_blank_in_every_row_is_nan_without_a_warning_each_tick():
    """A layer not launched yet (5G users blank network-wide): NaN mean, 0 sum, and no
    RuntimeWarning (it printed under the notebook's last cell on every tick)."""
    import warnings

    batch = scored_batches(2, n_sectors=5)[-1]
    frame = batch.frame.copy()
    frame[schema.PRB] = np.nan
    frame.loc[frame.index[0], schema.THROUGHPUT] = np.nan
    history = NetworkHistory()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history(ScoredBatch(batch.tick, batch.timestamp, frame))
    row = history.last_row
    assert np.isnan(row[f"{schema.PRB}_mean"]) and row[f"{schema.PRB}_sum"] == 0.0
    assert row[f"{schema.THROUGHPUT}_mean"] == frame[schema.THROUGHPUT].mean()


def test_sector_history_reads_back_the_values_as_written():
    """walknb42: an export's 99.34 % read back as 99.339996 (float32 widened as is) in
    ``monitor.sector_history``, the table an analyst compares with the export."""
    written = [99.34, 16.05, 0.159]
    frames = [make_batch(t, 4) for t in range(3)]
    for frame, value in zip(frames, written, strict=True):
        frame.loc[0, schema.PAYLOAD] = value
    pipe = make_runner(ListSource(frames), ThresholdDetector(every=1), interval=0)
    history = SectorHistory(k=4)
    for b in run(pipe.step(3)):
        history(b)
    assert history.sector("S0000")[schema.PAYLOAD].tolist() == written
