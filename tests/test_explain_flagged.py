"""A replay explains only the rows its alarm threshold can flag, with the same numbers."""

from __future__ import annotations

import numpy as np

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.sources.simulator import KpiSimulator


def test_a_replays_contributions_are_those_of_the_rows_its_threshold_can_flag():
    """``explain_from``: the same scores, the rows scoring at least it explained as
    before, every other row 0 (the alarm stage reads the flagged rows' top KPI only)."""
    table = KpiSimulator(n_sectors=20, seed=2264).run(200)
    kpis = list(schema.KPIS)

    def run(**kw):
        det = make_detector("iforest", kpis=kpis, n_estimators=10, random_state=3)
        return det.score_stream(table, **kw)

    whole, part = run(), run(explain_from=1.0)
    np.testing.assert_array_equal(part.score, whole.score)
    keep = whole.score >= 1.0
    assert 0 < keep.sum() < len(keep)
    a, b = whole.contributions.to_numpy(), part.contributions.to_numpy()
    np.testing.assert_array_equal(b[keep], a[keep])
    assert not b[~keep].any() and a[~keep].any()


def test_a_replay_passes_its_threshold_only_to_a_stream_that_takes_it():
    from types import SimpleNamespace

    from telecom_nb.engine.replay import _explain_from

    alarms = SimpleNamespace(threshold_value=2.5)
    assert _explain_from(make_detector("iforest"), alarms) == {"explain_from": 2.5}
    plain = SimpleNamespace(score_stream=lambda table, progress=False: None)
    assert _explain_from(plain, alarms) == {}
