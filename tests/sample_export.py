"""Small operator-style exports for tests, written by ``scripts/make_operator_sample.py``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_operator_sample.py"
_spec = importlib.util.spec_from_file_location("make_operator_sample", SCRIPT)
assert _spec is not None and _spec.loader is not None
sample = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sample)


def make_sample(out: Path, *extra: str, cells: int = 12, weeks: float = 1, seed: int = 5,
                fault_rate: float = 2.0) -> Path:
    """export.csv, sites.csv, labels.csv, source.toml in ``out`` (a few thousand rows)."""
    assert sample.main(["--out", str(out), "--cells", str(cells), "--weeks", str(weeks),
                        "--seed", str(seed), "--fault-rate", str(fault_rate), *extra]) == 0
    return out
