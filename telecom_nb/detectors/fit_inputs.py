"""What a windowed detector's fit reads and what it installs (kept by checkpoints)."""

from __future__ import annotations

from dataclasses import dataclass, replace
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

    def warm(self, least: int) -> FitInputs:
        """These inputs without the window's *cold start* (its oldest rows up to the first
        with a feature not 0: learned while the features had no history yet, a new fleet's
        first day) when at least ``least`` rows are left; else these. A null fitted on such
        rows has no spread, and every real z after them read extreme (young41: a clean 6-cell
        hourly export, day 2 64 % flagged at the score's cap). Later all-0 rows (a quiet row,
        a blank one) are real and stay: with every all-0 row out, a bursty series' window
        (exact zeros between bursts) never held enough rows for its first model before
        its record silence (tests/test_silence_part.py, young42). The row names go (the
        cache reads whole windows)."""
        warm = cold_free(self.window)
        if warm is None or warm.sum() < least:
            return self
        previous = None if self.previous is None else self.previous[warm]
        return replace(self, window=self.window[warm], previous=previous, rows=None)


def cold_start(window: np.ndarray) -> int:
    """How many of ``window``'s oldest rows have every feature 0 (rows oldest first)."""
    warm = (window != 0).any(axis=1)
    return int(np.argmax(warm)) if warm.any() else len(window)


def cold_free(window: np.ndarray) -> np.ndarray | None:
    """Which rows of ``window`` are past its cold start (:func:`cold_start`); None: all."""
    cold = cold_start(window)
    if not cold:
        return None
    keep = np.ones(len(window), dtype=bool)
    keep[:cold] = False
    return keep


def warm_count(window: np.ndarray) -> int:
    """The window's rows past its cold start (:func:`cold_free`)."""
    return len(window) - cold_start(window)


@dataclass(frozen=True)
class Fitted:
    """A model and its calibration: installed together, with one assignment."""

    model: Any
    calibrator: TailCalibrator
    extra: Any = None
    inputs: FitInputs | None = None  # what it was fitted from (a checkpoint keeps these)
