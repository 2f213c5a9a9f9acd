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
        its record silence (tests/test_silence_part.py, young42). The rows left are a view
        (the window is the fit's own snapshot: a copy cost a young series' retrain ~1 ms)
        and keep their names, the first one's count of rows before it grown by the cold
        ones (:mod:`.row_cache`: a young window's fits read the last fit's transforms of
        its rows, as a full window's do; they computed every row again)."""
        cold = cold_start(self.window)
        if not cold or len(self.window) - cold < least:
            return self
        previous = None if self.previous is None else self.previous[cold:]
        rows = None if self.rows is None else tuple(
            None if key is None else (key[0], key[1] + cold) for key in self.rows)
        return replace(self, window=self.window[cold:], previous=previous, rows=rows)


#: :func:`cold_start` reads the oldest rows in blocks of this many, then 4x larger ones
FIRST_BLOCK = 64


def cold_start(window: np.ndarray) -> int:
    """How many of ``window``'s oldest rows have every feature 0 (rows oldest first).

    Read from the oldest rows in growing blocks up to the first warm one: a window past
    its first day starts warm, and a pass over all of a 20k x 42 window for its first row
    was ~1.4 ms of a one-series retrain (~4 % of a 100k replay)."""
    start, size = 0, FIRST_BLOCK
    while start < len(window):
        warm = (window[start : start + size] != 0).any(axis=1)
        if warm.any():
            return start + int(np.argmax(warm))
        start, size = start + size, 4 * size
    return len(window)


def warm_count(window: np.ndarray) -> int:
    """The window's rows past its cold start (:func:`cold_start`)."""
    return len(window) - cold_start(window)


@dataclass(frozen=True)
class Fitted:
    """A model and its calibration: installed together, with one assignment."""

    model: Any
    calibrator: TailCalibrator
    extra: Any = None
    inputs: FitInputs | None = None  # what it was fitted from (a checkpoint keeps these)
