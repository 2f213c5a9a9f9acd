"""What a windowed detector's fit reads and what it installs (kept by checkpoints)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from telecom_nb.detectors.calibration import TailCalibrator


@dataclass(frozen=True)
class FitInputs:
    """Everything a fit reads: the same inputs give the same model (checkpoints refit)."""

    window: np.ndarray  # the window snapshot, oldest first
    params: dict[str, Any]
    heavy_tails: bool
    seed: int | None  # calibration subsample seed
    #: each window row's predecessor (same sector, previous tick; NaN = none), or None
    previous: np.ndarray | None = None
    #: the names of ``window``'s and ``previous``' first rows (``SampleWindow.row_key``;
    #: None: unnamed): a cache of row-wise transforms reads them (:mod:`.row_cache`)
    rows: tuple[tuple[int, int] | None, tuple[int, int] | None] | None = None


@dataclass(frozen=True)
class Fitted:
    """A model and its calibration: installed together, with one assignment."""

    model: Any
    calibrator: TailCalibrator
    extra: Any = None
    inputs: FitInputs | None = None  # what it was fitted from (a checkpoint keeps these)
