"""A tick's scored columns handed as arrays: the same frame, columns and sink results as
the joined frame the alarm stage used to build on every tick."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pipeline_fakes import ThresholdDetector, make_batch

from telecom_nb import schema
from telecom_nb.detectors.base import Scores
from telecom_nb.engine import AnomalyFeed, NetworkHistory, ScoredBatch, SectorHistory
from telecom_nb.engine.tick import Tick


class ContributingDetector(ThresholdDetector):
    """Scores without a verdict of its own: the chain thresholds and picks the top KPI
    from the contributions (a live iforest's way, its top KPI column built from codes)."""

    def score(self, batch: pd.DataFrame) -> Scores:
        prb = batch[schema.PRB].to_numpy(dtype=float)
        contributions = pd.DataFrame(
            {k: batch[k].to_numpy(dtype=float) / 100 for k in schema.KPIS})
        return Scores(score=np.where(prb > self.threshold, 5.0, 0.5),
                      contributions=contributions)


def _ticks(n_ticks: int = 12, n_sectors: int = 6, kind: type = ContributingDetector):
    """Lazy scored batches of a tick, and the frames ``AlarmChain.apply`` gives a twin."""
    lazy, twin = Tick(kind(every=1), schema.KPIS), Tick(kind(every=1), schema.KPIS)
    out = []
    for t in range(n_ticks):
        # sector 1 anomalous on ticks 2-5 and 9: episodes open, recover and close
        anomalous = (1, 3) if 2 <= t <= 5 or t == 9 else ()
        batch = make_batch(t, n_sectors, anomalous=anomalous)
        scored, job = lazy.run(batch)
        frame = twin.validator.validate(batch).frame
        stamp = pd.Timestamp(frame[schema.TIMESTAMP].iloc[0])
        joined = twin.alarms.apply(frame, twin.detector.score(frame), stamp)
        for tick in (lazy, twin):
            done = tick.detector.learn(frame)
            if done is not None:
                done.install(done.fit())
        out.append((scored, joined))
        del job
    return out


@pytest.mark.parametrize("kind", [ContributingDetector, ThresholdDetector])
def test_the_lazy_frame_is_the_joined_frame_and_its_columns_read_alike(kind):
    """A detector's own top KPI names (objects: pandas infers their dtype) are joined at
    once; the chain's coded ones wait for a reader."""
    for scored, joined in _ticks(kind=kind):
        assert scored.columns == list(joined.columns)  # known before the join
        assert scored.n_rows == len(joined)
        for name in joined.columns:
            column = scored.column(name)
            assert column.dtype == joined[name].array.dtype, name
            pd.testing.assert_extension_array_equal(column, joined[name].array)
        for name in (schema.SCORE, schema.ALERT_SCORE, schema.PRB):
            assert np.array_equal(scored.values(name), joined[name].to_numpy(np.float64),
                                  equal_nan=True)
        assert (scored._frame is None) == (kind is ContributingDetector)
        pd.testing.assert_frame_equal(scored.frame, joined, check_exact=True)
        assert scored.frame is scored.frame  # joined once
    states = {s for _, joined in _ticks(kind=kind) for s in joined[schema.STATE]}
    assert {"anomalous", "recovering", "normal"} <= states


def test_sinks_fed_columns_keep_what_they_kept_from_the_frame():
    ticks = _ticks()
    sinks = {kind: (NetworkHistory(), AnomalyFeed(maxlen=7), SectorHistory(k=5))
             for kind in ("lazy", "frame")}
    for scored, joined in ticks:
        whole = ScoredBatch(scored.tick, scored.timestamp, joined,  # a frame, as before
                            model_version=scored.model_version)
        for kind, batch in (("lazy", scored), ("frame", whole)):
            for sink in sinks[kind]:
                sink(batch)
    (h1, f1, s1), (h2, f2, s2) = sinks["lazy"], sinks["frame"]
    pd.testing.assert_frame_equal(h1.frame(), h2.frame(), check_exact=True)
    assert f1.frame()[schema.SCORE].notna().all() and len(f1.frame())
    pd.testing.assert_frame_equal(f1.frame(), f2.frame(), check_exact=True)
    for sector in ("S0001", "S0002"):
        pd.testing.assert_frame_equal(s1.sector(sector), s2.sector(sector), check_exact=True)
    assert ticks[-1][0]._frame is None  # the sinks read columns, never the joined frame


def test_the_validators_matrix_is_the_frames_kpi_columns_repairs_included():
    from telecom_nb.sources.validation import BatchValidator

    batch = make_batch(0, 6)
    batch[schema.PRB] = [50.0, np.inf, -3.0, 140.0, np.nan, 20.0]  # blank, clipped
    batch[schema.PAYLOAD] = pd.array(["1.5", "x", "2", None, "4", "5"], dtype="str")  # text
    batch[schema.THROUGHPUT] = np.arange(6)  # integers
    for repaired in (batch, make_batch(1, 6)):  # and a clean batch (columns kept as they are)
        validated = BatchValidator(schema.KPIS).validate(repaired)
        assert not validated.values.flags.writeable
        for j, kpi in enumerate(schema.KPIS):
            assert np.array_equal(validated.values[:, j],
                                  validated.frame[kpi].to_numpy(np.float64, na_value=np.nan),
                                  equal_nan=True), kpi


def test_the_validated_time_is_the_frames_first_timestamp():
    from telecom_nb.sources.validation import BatchValidator

    validator = BatchValidator(schema.KPIS)
    live = make_batch(0, 3)  # UTC datetimes already
    text = make_batch(1, 3)
    text[schema.TIMESTAMP] = text[schema.TIMESTAMP].dt.strftime("%Y-%m-%d %H:%M")  # parsed
    for batch in (live, text):
        validated = validator.validate(batch)
        first = pd.Timestamp(validated.frame[schema.TIMESTAMP].iloc[0])
        assert validated.timestamp == first and validated.timestamp.unit == first.unit
        assert str(validated.timestamp.tz) == "UTC"
