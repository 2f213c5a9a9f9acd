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


#: the heaviest files first (process CPU besides numba compiles, ``benchmarks/suite_cpu.py``,
#: 2026-12-03: the files cut by branch tests24 re-measured after their cuts, the others from
#: the last whole-suite run; ~60 s down to ~10 s under load), so that two xdist workers
#: (``--dist loadfile --no-loadscope-reorder``, scripts/test_suite.sh) do not end with one
#: of them alone on a long file; the rest keep their order
HEAVY_FIRST = (
    "test_backtest.py", "test_cli_source.py", "test_engine.py", "test_calendar.py",
    "test_nab.py", "test_noc_ui.py", "test_level_shift.py", "test_ui.py", "test_recurrence.py",
    "test_seasonal_kernel.py", "test_features.py", "test_persistence.py", "test_detectors.py",
    "test_weekday_shape.py", "test_cli_layout.py", "test_restart.py", "test_series_kernel.py",
    "test_rolling_forest.py", "test_simulator.py", "test_cli.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable
