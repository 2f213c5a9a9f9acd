"""Crowds: a whole site's demand rose and the quality its subscribers felt did not move.

A match or a concert raises every cell of a site (and its nearest site) to 2-3.5x its
demand for hours; the congestion it brings moves throughput, PRB, latency and UL
interference as a fault would, and the rows are led by the load KPIs' own surge (issue 11,
crowd61's probe ``benchmarks/crowd_rule.py``: 19 of 24 and 43 of 47 flagged crowd rows led
by the max part, VoLTE Erlangs, RRC users, UL interference). What a fault does and a crowd
does not is move the counters an operator alarms on: setup success, drops, handover
success, availability. So a row is read as *load, not fault* (:func:`crowd_rows`) when

* its own load family's seasonal z (:func:`~.load_level.load_z`, before the common mode)
  is above ``load_above``;
* the median of its *site-mates'* at the same tick (cells at identical coordinates among
  its area neighbours, :func:`site_mates`) is above it too: one cell's surge (a PRB
  saturation) is not a crowd, the whole site's is;
* no quality KPI (:func:`quality_signs`) reads its seasonal z beyond ``quality_below`` on
  its bad side (a count ratio's z is its binomial evidence: a quiet cell's 100 % read on a
  handful of attempts is not a move), and no unavailability above 0.

And a crowd row is none when it scores far above its site-mates (:func:`alone_rows`): a
crowd congests the whole site, so its cells' scores rise together (crowd rows 0.7-2.2x
their site-mates' median score on crowd62's worlds), while one cell's PRB saturation on a
busy site scores 4.8-7.0 beside site-mates at 1.1-1.6 -- its own congestion, a fault.

Fleets with coordinates, a load family and a service quality KPI only: a few series, NAB,
the simulator (availability only), a fleet without co-sited cells or without load KPIs
read no crowd (None or all False).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from telecom_nb.features.load_level import nan_median_rows
from telecom_nb.sources.kpiinfo import bad_direction

#: words naming the service quality KPIs a crowd leaves alone (their bad side from the
#: name); a fleet without one reads no crowd (nothing tells a fault's quality loss apart:
#: the simulator's only such KPI is its availability)
SERVICE_WORDS = ("success", "drop", "setup", "cssr", "accessib", "retain")
#: and the availability KPIs, read with them
QUALITY_WORDS = (*SERVICE_WORDS, "avail")
#: a quality KPI's seasonal z on its bad side beyond this is a fault's, not a crowd's
#: (crowd61's probe on v3194: 1.5 / 2.0 / 3.0 took 23 / 24 / 27 false rows at 0 / 0 / 1
#: fault rows)
QUALITY_BELOW = 2.0
#: a crowd row scoring this far above its site-mates' median score is that cell's own
#: fault, not the crowd's: the alarm threshold, so the part of the score the site does not
#: share would flag on its own
ALONE_ABOVE = 3.0


def quality_signs(kpis: Sequence[str], declared: Mapping[str, str] | None = None
                  ) -> np.ndarray:
    """(KPIs,) +1 for a quality KPI whose bad side is up, -1 down, 0 for the others
    (load, throughput, latency, interference: a crowd moves those; unavailability is read
    on its raw value). ``declared``: a source's bad sides, which win over the name."""
    out = np.zeros(len(kpis))
    for j, name in enumerate(kpis):
        low = name.lower()
        if "unavail" in low or not any(w in low for w in QUALITY_WORDS):
            continue
        side = (declared or {}).get(name) or bad_direction(name)
        out[j] = {"up": 1.0, "down": -1.0}.get(side, 0.0)
    return out


def has_service_quality(kpis: Sequence[str]) -> bool:
    """Whether any KPI names a service quality (setup, drop, handover success...)."""
    return any(w in k.lower() for k in kpis for w in SERVICE_WORDS)


def unavailable(kpis: Sequence[str]) -> np.ndarray:
    """(KPIs,) the unavailability KPIs (seconds or minutes a cell was down)."""
    return np.array(["unavail" in k.lower() for k in kpis], dtype=bool)


def site_mates(coords: np.ndarray, near: np.ndarray) -> np.ndarray:
    """(sectors x neighbours) the area table ``near`` (-1: none) kept where the neighbour
    stands at the same coordinates as the sector (its site-mates), -1 elsewhere."""
    if near.size == 0:
        return near.copy()
    n = len(near)
    at = np.maximum(near, 0)
    same = (near >= 0) & (coords[at] == coords[:n, None, :]).all(axis=2)
    return np.where(same, near, -1)


def mates_median(values: np.ndarray, mates: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """(rows,) the median of each row's site-mates' ``values`` (``mates`` / ``hit``: their
    rows in ``values`` and whether there is one; NaN: none), the load family's own row
    median (:func:`~.load_level.load_z`'s)."""
    return nan_median_rows(np.where(hit, values[np.maximum(mates, 0)], np.nan))


def crowd_rows(load: np.ndarray, mates: np.ndarray, hit: np.ndarray, quality_z: np.ndarray,
               signs: np.ndarray, down: np.ndarray, load_above: float | np.ndarray,
               quality_below: float = QUALITY_BELOW) -> np.ndarray:
    """(rows,) whether each row reads as a crowd. ``load``: rows' load z; ``mates`` /
    ``hit``: the batch rows of each row's site-mates at its tick and whether there is one;
    ``load_above``: the load bar, one or per row (a held crowd's is lower);
    ``quality_z``: rows x KPIs seasonal z (``signs``' KPIs read); ``down``: rows x the
    unavailability KPIs' raw values."""
    site = mates_median(load, mates, hit)
    with np.errstate(invalid="ignore"):
        rose = (load > load_above) & (site > load_above)
        cols = np.flatnonzero(signs)
        bad = (quality_z[:, cols] * signs[cols] > quality_below).any(axis=1) if len(cols) \
            else np.zeros(len(load), dtype=bool)
        off = (down > 0).any(axis=1) if down.shape[1] else np.zeros(len(load), dtype=bool)
    return rose & ~bad & ~off


def alone_rows(score: np.ndarray, rows: np.ndarray, mates: np.ndarray, hit: np.ndarray,
               above: float = ALONE_ABOVE) -> np.ndarray:
    """(len(rows),) whether each of ``rows`` scores at least ``above`` over the median
    score of its site-mates (``mates`` / ``hit``: their rows in ``score``, as
    :func:`crowd_rows` reads them); a row without one is not alone (its site is unknown)."""
    with np.errstate(invalid="ignore"):
        return score[rows] - mates_median(score, mates, hit) >= above
