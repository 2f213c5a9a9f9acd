"""The window rows a retrain's parts are calibrated on: all of them, or a seeded sample.

Each part's null (feature tails, the joint distance's tail, the tail calibrators) sorts its
reference rows; past :data:`PART_CALIBRATION_ROWS` a sample reads the same tails for a
fraction of the sorting. The sample is drawn from the detector's seed, so a retrain of the
same window reads the same rows (the guard hashes depend on it); the forest itself is
fitted on every row.
"""

from __future__ import annotations

import numpy as np

#: rows of the window used to calibrate the two parts against each other
PART_CALIBRATION_ROWS = 20_000


def calibration_sample(n_rows: int, seed: int | None) -> np.ndarray | None:
    """The window rows the parts are calibrated on when the window holds more than
    :data:`PART_CALIBRATION_ROWS` (None: every row), drawn from the detector's seed."""
    if n_rows <= PART_CALIBRATION_ROWS:
        return None
    return np.random.default_rng(seed).choice(n_rows, PART_CALIBRATION_ROWS, replace=False)
