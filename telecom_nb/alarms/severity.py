"""What a calibrated score means to a person: a severity word and odds.

Scores are calibrated (``detectors/calibration.py``): a score ``s`` is about
``-log10`` of the share of normal rows that score this high, so ``s = 3`` happens by
chance about once in 1,000 normal sector-ticks and ``s = 8.7`` about once in 500
million. "peak score 8.7" says nothing to an operator; "critical: about 1 in 500 million
normal ticks" does.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: (lowest score, word), highest first; below the lowest band a score is "low"
SEVERITY_BANDS: tuple[tuple[float, str], ...] = (
    (7.0, "critical"),  # 1 in 10 million normal ticks or rarer: outages, hard faults
    (5.0, "major"),  # 1 in 100,000 .. 10 million
    (3.0, "minor"),  # 1 in 1,000 .. 100,000 (the default alarm threshold is 3)
)
LOW = "low"
#: severity word -> rank (higher = worse), for sorting a feed
SEVERITY_RANK: dict[str, int] = {LOW: 0, "minor": 1, "major": 2, "critical": 3}
SEVERITY_COLORS: dict[str, str] = {"critical": "#b00020", "major": "#d62728",
                                   "minor": "#e07b00", LOW: "#777"}

def severity(score: float) -> str:
    """The severity word of one calibrated score (``low`` for NaN)."""
    if not math.isfinite(score):
        return LOW
    return next((word for low, word in SEVERITY_BANDS if score >= low), LOW)


def severities(scores: pd.Series | np.ndarray) -> np.ndarray:
    """:func:`severity` of many scores (vectorised)."""
    s = np.nan_to_num(np.asarray(scores, dtype=float), nan=-np.inf)
    out = np.full(s.shape, LOW, dtype=object)
    for low, word in reversed(SEVERITY_BANDS):
        out[s >= low] = word
    return out


def one_in(score: float) -> str:
    """``10**score`` read aloud with two significant digits: ``"500 million"``, ``"3,200"``."""
    if not math.isfinite(score) or score <= 0:
        return "1"
    n = float(f"{10.0 ** min(score, 13.0):.2g}")
    if n < 1e6:
        return f"{n:,.0f}"
    if n < 1e9:
        return f"{n / 1e6:,.3g} million"
    if n < 1e12:
        return f"{n / 1e9:,.3g} billion"
    return "a trillion or more"


def odds_text(score: float, unit: str = "normal ticks") -> str:
    """``"about 1 in 500 million normal ticks score this high"``; an ordinary score (more
    than half of normal ticks reach it) says so instead of "about 1 in 1"."""
    if not math.isfinite(score) or 10.0 ** score < 2.0:
        return f"an ordinary score: most {unit} score this high"
    return f"about 1 in {one_in(score)} {unit} score this high"


def explain_score(score: float) -> str:
    """``"critical (score 8.7): about 1 in 500 million normal ticks score this high"``."""
    if not math.isfinite(score):
        return "no score"
    return f"{severity(score)} (score {score:.1f}): {odds_text(score)}"
