"""Suite-wide test isolation."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test reads or writes the user's telecom_nb store (``~/.local/share``): a
    notebook launched by a test would otherwise resume, and then overwrite, the user's."""
    before = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg_data"))
    yield
    if before is None:
        os.environ.pop("XDG_DATA_HOME", None)
    else:
        os.environ["XDG_DATA_HOME"] = before


@pytest.fixture
def split_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small batches' row-wise kernels split over threads as a 100k tick's are (3 slices
    from 24 rows, :mod:`telecom_nb.features.row_split`): a test comparing a compiled pass
    with numpy then compares the split pass."""
    from telecom_nb.features import row_split

    monkeypatch.setattr(row_split, "PARALLEL_ROWS", 24)
    monkeypatch.setattr(row_split, "MIN_SLICE", 8)
    monkeypatch.setattr(row_split, "threads", lambda: 3)


#: the heaviest files first, heaviest to lightest down to ~5 s (the sum of their tests'
#: CPU in the whole unit suite, one process, ``benchmarks/suite_cpu.py``, main f0270b7,
#: 2026-12-03, with branch unit26's cuts: backtest 50 -> 34, restart 14 -> 6, cli_layout
#: 13 -> 4), so that two xdist workers (``--dist loadfile --no-loadscope-reorder``,
#: scripts/test_suite.sh) end together instead of one of them alone on a long file; the
#: rest (under ~5 s each) keep their order
HEAVY_FIRST = (
    "test_backtest.py", "test_engine.py", "test_calendar.py", "test_recurrence.py",
    "test_series_kernel.py", "test_features.py", "test_detectors.py", "test_cli_source.py",
    "test_weekday_shape.py", "test_seasonal_kernel.py", "test_persistence.py", "test_ui.py",
    "test_scoring_properties.py", "test_cli.py", "test_retrain_schedule.py", "test_nab.py",
    "test_cli_store.py", "test_noc_ui.py", "test_smoothed_z.py", "test_simulator.py",
    "test_calibration.py", "test_count_ratio.py", "test_rolling_forest.py",
    "test_operator_sample.py", "test_replay_properties.py", "test_alarm_params.py",
    "test_count_denominator.py", "test_range_novelty.py", "test_restart.py",
    "test_window_span.py", "test_level_shift.py", "test_table_validation.py", "test_warm.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable
