"""numba's cache folder is named by the package's whole source (``kernel_cache``)."""

from __future__ import annotations

import os

from telecom_nb import kernel_cache


def test_a_change_in_any_module_is_a_new_folder(tmp_path):
    """A kernel inlines another module's compiled function: editing only that module must
    still miss the old cache (numba alone checks the kernel's own file)."""
    pkg = tmp_path / "pkg"
    (pkg / "features").mkdir(parents=True)
    (pkg / "features" / "series_kernel.py").write_text("def run(): return cells()\n")
    (pkg / "features" / "recurrence.py").write_text("def cells(): return 1\n")
    before = kernel_cache.source_digest(pkg)
    assert kernel_cache.source_digest(pkg) == before
    (pkg / "features" / "recurrence.py").write_text("def cells(): return 2\n")
    assert kernel_cache.source_digest(pkg) != before


def test_the_cache_points_at_this_sources_folder_and_drops_older_ones(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    root = tmp_path / "numba"
    (root / "0000old").mkdir(parents=True)
    here = kernel_cache.use_source_keyed_cache(root)
    assert here == root / kernel_cache.source_digest()
    assert os.environ["NUMBA_CACHE_DIR"] == str(here)
    assert sorted(p.name for p in root.iterdir()) == [here.name]


def test_a_users_own_cache_dir_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert kernel_cache.use_source_keyed_cache(tmp_path / "numba") is None
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "mine")
    assert not (tmp_path / "numba").exists()
