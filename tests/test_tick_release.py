"""What a learned tick leaves behind: state only, not the tick's frame or arrays."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pandas as pd

from telecom_nb import schema as S
from telecom_nb.features import KpiFeatures


def _ticks(n_ticks: int = 30, n: int = 24) -> list[pd.DataFrame]:
    """Sites on a line with coordinates; ids and provinces as Arrow strings (a live
    source's), rebuilt for every tick like a source's next batch."""
    rng = np.random.default_rng(0)
    ts = pd.date_range("2026-01-05", periods=n_ticks, freq="1h", tz="UTC")
    ids = [f"c{i}" for i in range(n)]
    return [pd.DataFrame({
        S.TIMESTAMP: np.repeat(t, n),
        S.SECTOR: pd.array(ids, dtype="string[pyarrow]"),
        S.PROVINCE: pd.array(["p"] * n, dtype="string[pyarrow]"),
        S.LAT: 35.0,
        S.LON: 51.0 + 0.01 * (np.arange(n) // 3),
        S.PAYLOAD: 300 * np.exp(rng.normal(0, 0.1, n)),
        S.THROUGHPUT: 30 * np.exp(rng.normal(0, 0.1, n)),
    }) for t in ts]


def test_a_learned_batch_and_its_arrays_are_released_but_its_ids_are_reused():
    f = KpiFeatures(kpis=[S.PAYLOAD, S.THROUGHPUT])
    ticks = _ticks()
    for batch in ticks[:-1]:
        f.transform(batch)
        f.update(batch)
    ids = f._last[1].sector_ids
    last = ticks.pop()
    f.transform(last)
    view = f._last[1]
    assert view.sector_ids is ids  # the next view reuses the ids (not converted again)
    raw, z = weakref.ref(view.raw), weakref.ref(f.area_._last[0])
    stamps = weakref.ref(view.timestamps._data._ndarray)
    f.update(last)
    frame = weakref.ref(last)
    del last, view
    gc.collect()
    assert frame() is None and raw() is None and z() is None and stamps() is None
    assert f.area_._last is None


def test_release_changes_no_feature():
    ticks = _ticks()
    kept = KpiFeatures(kpis=[S.PAYLOAD, S.THROUGHPUT])
    kept.forget_batch = lambda: None  # the old behaviour: the last batch held
    released = KpiFeatures(kpis=[S.PAYLOAD, S.THROUGHPUT])
    for batch in ticks:
        a, b = kept.transform(batch), released.transform(batch)
        pd.testing.assert_frame_equal(a, b)
        kept.update(batch)
        released.update(batch)


def _detector():
    from telecom_nb.detectors import make_detector

    det = make_detector("iforest")
    det.kpis = [S.PAYLOAD, S.THROUGHPUT]
    return det


def test_a_replaced_feature_matrix_is_stacked_into_again_unless_someone_holds_it():
    """The last-but-one batch's features, once the detector lets go of them, take the next
    batch's (no fresh matrix faulted in a tick); a matrix someone still holds is never
    written again, and the features are those of a detector that never recycles."""
    ticks = _ticks(n_ticks=7, n=12)
    det, fresh = _detector(), _detector()
    fresh.features_.recycle = lambda features: None
    held, held_copy = None, None
    for t, batch in enumerate(ticks):
        det.score(batch)
        fresh.score(batch)
        x = det._cache[1]
        np.testing.assert_array_equal(x, fresh._cache[1])
        if t == 4:
            held, held_copy = x, x.copy()  # a caller keeps this tick's features
        replaced = weakref.ref(det._previous.last_x_)
        del x
        det.learn(batch)
        fresh.learn(batch)
        if t >= 2 and t != 5:  # nobody else held the replaced matrix: it is the spare
            assert det.features_._spare is replaced()
        if t == 5:  # the one replaced here is the caller's
            assert replaced() is held and det.features_._spare is None
    np.testing.assert_array_equal(held, held_copy)


def test_a_large_batch_takes_its_predecessors_first_and_is_stacked_into_the_last_one(
        monkeypatch):
    """A batch of PREFETCH_ROWS rows draws its learn's kept rows and takes their
    predecessors before it is transformed, so its features are stacked into the last
    batch's matrix (one matrix held between ticks): the same draws, window and
    predecessors as a detector that never does; a batch scored and not learned leaves the
    next learn without predecessors (NaN), as new sectors."""
    from telecom_nb.detectors import windowed

    monkeypatch.setattr(windowed, "PREFETCH_ROWS", 12)
    ticks = _ticks(n_ticks=6, n=12)
    det, plain = _detector(), _detector()
    plain._prefetch = lambda view: None
    for d in (det, plain):
        d.window_size = 60  # 3 of a batch's 12 rows kept: the generator draws
    for t, batch in enumerate(ticks):
        last = weakref.ref(det._previous.last_x_)
        det.score(batch)
        plain.score(batch)
        if t >= 3:  # remembering (from warm-up's half) and a last batch: stacked into it
            assert det._cache[1] is last() and det.features_._spare is None
        np.testing.assert_array_equal(det._cache[1], plain._cache[1])
        det.learn(batch)
        plain.learn(batch)
        assert det._rng.bit_generator.state == plain._rng.bit_generator.state
        if t >= 2:
            np.testing.assert_array_equal(det._window.snapshot(), plain._window.snapshot())
            np.testing.assert_array_equal(det._previous.snapshot(), plain._previous.snapshot())
    assert np.isfinite(det._previous.snapshot()[-3:]).all()
    det.score(ticks[0])  # scored, never learned
    det.learn(ticks[1])
    assert np.isnan(det._previous.snapshot()[-3:]).all()
