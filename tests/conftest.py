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
