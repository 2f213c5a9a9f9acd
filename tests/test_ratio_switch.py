"""The window's cells of a KPI from before it was taken for a ratio of counts are blanked
(``detectors/ratio_switch.py``): stale z of 20-230 spreads otherwise set its tails."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from telecom_nb.detectors.ratio_switch import RatioSwitch, kpi_columns
from telecom_nb.detectors.window import SampleWindow

NAMES = ["Drop (%):season_z", "Drop (%):persist_z", "Users:season_z",
         "Users/Drop (%):season_z", "Users:persist_z"]


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
        lumpy = SimpleNamespace(kpis=["Drop (%)", "Users"],
                                counts_=SimpleNamespace(ratios=lambda: self.flags))
        self.features_ = SimpleNamespace(parts_=[SimpleNamespace(lumpy_=lumpy)],
                                         feature_names=NAMES)
        self._window = SampleWindow(10, len(NAMES))
        self._previous = SimpleNamespace(window_=SampleWindow(10, len(NAMES)))


def test_a_switch_blanks_the_kpis_cells_of_every_kept_row_once():
    det = _Detector()
    stale = np.full((3, len(NAMES)), 150.0)
    assert det._learn_view(False, stale) == "job"  # no switch: kept as they are
    assert (det._window.snapshot() == 150.0).all()
    assert det._learn_view(True, stale) == "job"  # the switch, this tick's rows included
    for window in (det._window, det._previous.window_):
        rows = window.snapshot()
        assert (rows[:, [0, 1, 3]] == 0.0).all() and (rows[:, [2, 4]] == 150.0).all()
    det._learn_view(True, stale)  # already a ratio: new rows are on its scale
    assert (det._window.snapshot()[-3:] == 150.0).all()
