"""The window's cells of a KPI from before it was taken for a ratio of counts are refilled
from the later rows (``detectors/ratio_switch.py``): stale z of 20-230 spreads set its tails."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from telecom_nb.detectors.base import RetrainJob
from telecom_nb.detectors.ratio_switch import RatioSwitch, kpi_columns
from telecom_nb.detectors.window import SampleWindow

NAMES = [
    "Drop (%):season_z",
    "Drop (%):persist_z",
    "Users:season_z",
    "Users/Drop (%):season_z",
    "Users:persist_z",
]


def test_kpi_columns_names_its_own_and_its_relations():
    assert kpi_columns(NAMES, ["Drop (%)"]).tolist() == [0, 1, 3]
    assert kpi_columns(NAMES, ["CSSR"]).tolist() == []


class _Learner:
    """A stand-in for the windowed detector: its learn makes ``Drop (%)`` a ratio."""

    def _learn_view(self, view, x):
        self._window.append(x)
        self._previous.window_.append(np.abs(x))
        self.flags[0] = view  # the features' ratio decision for this tick
        return "job"


class _Detector(RatioSwitch, _Learner):
    def __init__(self):
        self.flags = np.array([False, False])
        lumpy = SimpleNamespace(
            kpis=["Drop (%)", "Users"], counts_=SimpleNamespace(ratios=lambda: self.flags)
        )
        self.features_ = SimpleNamespace(
            parts_=[SimpleNamespace(lumpy_=lumpy)], feature_names=NAMES
        )
        self._window = SampleWindow(10, len(NAMES))
        self._previous = SimpleNamespace(window_=SampleWindow(10, len(NAMES)))
        self._last_attempt = "the last retrain"


def test_a_switch_refills_the_kpis_older_cells_from_the_later_rows_once():
    det = _Detector()  # window of 10 rows: refilled once 2.5 rows are kept since
    stale = np.full((4, len(NAMES)), 150.0)
    assert det._learn_view(False, stale) == "job"  # no switch: kept as they are
    assert det._learn_view(True, stale[:1]) == "job"  # the switch (this tick's row is old)
    assert (det._window.snapshot() == 150.0).all() and det._switches  # none new yet
    assert det._last_attempt is not None
    fresh = np.arange(3 * len(NAMES), dtype=float).reshape(3, -1)
    det._learn_view(True, fresh)
    assert not det._switches
    # refilled: the next batch refits, the schedule's last attempt stays
    assert det._refit_due and det._last_attempt == "the last retrain"
    for window, new in ((det._window, fresh), (det._previous.window_, np.abs(fresh))):
        rows = window.snapshot()
        old, kpi = rows[:5], [0, 1, 3]
        assert (old[:, [2, 4]] == 150.0).all()  # the other KPI's cells stay
        # each old row's KPI cells are one later row's, all of them together
        assert all(any((r[kpi] == n[kpi]).all() for n in new) for r in old)
        assert (rows[5:] == new).all()
    again = det._window.snapshot()
    det._learn_view(True, fresh[:1])  # already a ratio: nothing pending, nothing moves
    assert (det._window.snapshot()[:-1] == again).all()


class _Schedule:
    """The retrain schedule of a windowed detector, daily, in hours."""

    _last_attempt = 0
    _window_span = "span"

    def _may_fit(self):
        return True

    def _scheduled(self, now):
        return now - self._last_attempt >= 24

    def _due(self, now):
        return self._may_fit() and self._scheduled(now)

    def _make_job(self, now):
        previous, self._last_attempt, self._window_span = self._last_attempt, now, now

        def discard():
            self._last_attempt, self._window_span = previous, "span"

        return RetrainJob(lambda: None, lambda m: None, lambda e: None, discard=discard)


class _Timed(RatioSwitch, _Schedule):
    pass


def test_a_refills_refit_keeps_the_schedules_phase():
    det = _Timed()
    assert not det._due(5)
    det._refit_due = True  # a refill at hour 4
    assert det._due(5)
    det._make_job(5).run_sync()
    assert det._last_attempt == 0 and det._window_span == "span" and not det._refit_due
    assert not det._due(23) and det._due(24)  # the next retrain when it would have been
    det._make_job(24)
    assert det._last_attempt == 24
    det._refit_due = True
    det._make_job(30).discard()  # never installed: still owed, the schedule as it was
    assert det._refit_due and det._last_attempt == 24
    det._make_job(48)  # owed and scheduled at once: one retrain, on the schedule
    assert det._last_attempt == 48 and not det._refit_due


def test_a_checkpoint_between_a_refill_and_its_refit_keeps_it_owed():
    from telecom_nb.detectors.iforest import IsolationForestDetector
    from telecom_nb.engine import snapshot

    det = IsolationForestDetector()
    det._refit_due = True
    tree, arrays = snapshot.capture(det)
    resumed = IsolationForestDetector()
    snapshot.restore(resumed, tree, arrays)
    assert resumed._refit_due
    older = {**tree, "attrs": {k: v for k, v in tree["attrs"].items() if k != "_refit_due"}}
    resumed = IsolationForestDetector()
    snapshot.restore(resumed, older, arrays)  # a checkpoint from before the flag: none owed
    assert not resumed._refit_due
