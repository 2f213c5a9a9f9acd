"""A fleet's window spans ``window_span`` of data time, whatever the cadence and fleet size."""

from __future__ import annotations

import pandas as pd
import pytest
from test_features import fleet

from telecom_nb import schema as S
from telecom_nb.cli.commands import build_detector
from telecom_nb.detectors import make_detector
from telecom_nb.errors import ParameterError


def rows_added_by_next_batch(det, table: pd.DataFrame) -> int:
    """Replay all but the last tick, then count the window rows the last one adds."""
    last = table[S.TIMESTAMP] == table[S.TIMESTAMP].max()
    det.score_stream(table[~last])
    sizes: list[int] = []
    append = det._window.append
    det._window.append = lambda rows: (sizes.append(len(rows)), append(rows))
    det.learn(table[last])
    return sizes[0]


@pytest.mark.parametrize(("days", "step", "span", "added"), [
    (8, "1h", "7D", 500 // 168),     # past the span: a sample of each of 168 ticks
    (2, "1h", "7D", 500 // 48),      # younger: the ticks seen so far (cold days leave first)
    (1, "15min", "7D", 500 // 96),   # any cadence: 672 ticks in a week
    (2, "1h", None, 500 // 20),      # None: the last 500 rows (20 ticks), the old window
    (8, "1h", "1D", 500 // 24),
])
def test_a_fleet_s_window_holds_a_sample_of_each_tick_of_its_span(days, step, span, added):
    det = make_detector("iforest", window_size=500, window_span=span)
    assert rows_added_by_next_batch(det, fleet(n_sectors=40, days=days, step=step)) == added


def test_a_few_series_keep_their_last_rows():
    det = make_detector("iforest", window_size=500)
    assert rows_added_by_next_batch(det, fleet(n_sectors=5, days=2)) == 5  # all 5 rows


def test_window_span_is_a_validated_duration():
    det = make_detector("iforest", window_span="3D")
    assert det.window_span == pd.Timedelta("3D")
    assert det.get_params()["window_span"] == pd.Timedelta("3D")
    det.set_params(window_span=None)
    assert det.window_span is None
    assert build_detector("iforest", {"window_span": "2D"}).window_span == pd.Timedelta("2D")
    assert build_detector("iforest", {"window_span": "none"}).window_span is None
    for bad in ("0s", "-1D", "soon"):
        with pytest.raises(ParameterError):
            det.set_params(window_span=bad)
