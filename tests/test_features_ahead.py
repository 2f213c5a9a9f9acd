"""A fleet's feature rows are a function of the data alone: the model, the retrain schedule,
the window's draws and the scores never reach them.

The replay's fast path (``detectors/stream.py``) already scores a stretch between two
retrains in one call; a fleet pass that features a block of ticks in one compiled call
(the fleet twin of ``SeriesPass``, issue 12) needs more: that a tick's features can be
computed before the ticks ahead of it are scored or retrained on. These tests pin that
(``benchmarks/MEASURED.md``, fleetpass37's dependency map).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from telecom_nb.detectors import make_detector, windowed
from telecom_nb.engine.replay import replay
from telecom_nb.schema import KPIS, TIMESTAMP
from telecom_nb.sources.simulator import KpiSimulator

SECTORS, TICKS = 16, 192  # a fleet (above FEW_SERIES), two days of 15 minutes


def _hash(x: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest()


def _features_seen(table: pd.DataFrame, **params) -> tuple[list[str], object]:
    """Each tick's feature matrix (hashed) as the detector learned it, and the detector."""
    seen: list[str] = []
    learn = windowed.WindowedDetector._learn_view

    def spy(self, view, x):
        seen.append(_hash(x))
        return learn(self, view, x)

    windowed.WindowedDetector._learn_view = spy
    try:
        det = make_detector("iforest", **params)
        replay(table, det, list(KPIS))
    finally:
        windowed.WindowedDetector._learn_view = learn
    return seen, det


@pytest.fixture(scope="module")
def fleet() -> tuple[pd.DataFrame, list[str], object]:
    table = KpiSimulator(n_sectors=SECTORS, seed=2134).run(TICKS)
    return (table, *_features_seen(table))


def test_fleet_features_do_not_depend_on_model_or_schedule(fleet) -> None:
    table, base, det = fleet
    other, det2 = _features_seen(
        table, random_state=5, retrain_interval="6h", n_estimators=20, contamination=0.02
    )
    assert len(base) == table[TIMESTAMP].nunique()
    assert det.model_version_ >= 2 and det2.model_version_ > det.model_version_
    assert base == other


def test_fleet_features_computed_ahead_equal_the_replays(fleet) -> None:
    """The extractor alone, tick by tick (no detector, no scores), gives the replay's
    feature rows: a block of ticks can be featured before any of it is scored."""
    table, base, _ = fleet
    alone = make_detector("iforest")  # its extractor and good-side reading, never fitted
    alone.set_params(kpis=list(KPIS))
    features = alone.features_
    ahead = []
    for _, batch in table.groupby(TIMESTAMP, sort=True):
        view = features.view(batch)
        x = alone._adjust(features.transform_view(view))
        ahead.append(_hash(x))
        features.update_view(view)
    assert alone.model_version_ == 0
    assert ahead == base
