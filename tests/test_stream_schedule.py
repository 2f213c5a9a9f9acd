"""The replay's retrain schedule, worked out ahead in growing chunks of rows."""

from __future__ import annotations

import numpy as np

from telecom_nb import schema
from telecom_nb.bench import make_replay_table
from telecom_nb.detectors import make_detector, stream
from telecom_nb.engine.replay import replay


def _whole_rest(det, whole, a: int) -> int | None:
    """``_next_due`` as it was: every row left tested at once."""
    n = len(whole) - a
    t = np.arange(n)
    kept = np.clip(t + 1 - max(0, det.warmup_batches // 2 - det.batches_seen_), 0, None)
    held = 0 if det._window is None else len(det._window)
    size = np.minimum(det.window_size, held + kept)
    need = min(det.min_fit_rows, det.window_size)
    short = 0 if det._fitted is not None else need - det._warm_rows()  # the first model's
    ok = (size >= need) & (kept >= short) & (det.batches_seen_ + t + 1 >= det.warmup_batches)
    if det._last_attempt is not None:
        first = det._schedule_start() if det.first_time_ is not None else whole.timestamps[a]
        interval = det._retrain_gap(first)
        ns = whole.timestamps[a:].as_unit("ns").asi8
        ok &= ns - det._last_attempt.as_unit("ns").value >= interval.value
    hit = np.flatnonzero(ok)
    return None if len(hit) == 0 else a + int(hit[0])


def test_the_chunked_schedule_is_the_whole_rests(monkeypatch):
    """Every stretch of a one-series replay ends where testing all the rows left says,
    with chunks of 1024 rows and of 1-11 (many doublings), the last one at no retrain;
    before the first model a stretch may end short of it (the window's warm rows are
    counted once the rows are featured: young42), after it every one ends at a retrain."""
    table = make_replay_table(1500, one_series=True, seed=1927)
    det = make_detector("iforest", window_size=400, n_estimators=10)  # full: retrains by the clock
    real, got, waits = stream._next_due, [], []

    def checked(det, whole, a, warm=True):
        if not warm:  # where the window's size alone suffices (ready_time_): not a stretch
            return real(det, whole, a, warm=False)
        if det._fitted is None and got:  # the previous stretch ended without a model
            waits.append(got[-1])
        due = real(det, whole, a)
        assert due == _whole_rest(det, whole, a)
        for chunk in range(1, 12):  # a chunk's end falls on the due row for some sizes
            assert real(det, whole, a, chunk=chunk) == due
        got.append(due)
        return due

    monkeypatch.setattr(stream, "_next_due", checked)
    replay(table, det, schema.KPIS)
    assert len(got) > 5 and got[-1] is None
    assert det.model_version_ == len(got) - 1 - len(waits)
