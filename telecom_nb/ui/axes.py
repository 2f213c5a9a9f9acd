"""Axis domains and labels for the bqplot charts, chosen to move rarely.

Every change of a scale's domain or an axis's tick values is a message to the browser;
with five charts a naive fit (the data's min/max each tick) sends a dozen a tick. Value
axes keep a rounded domain with hysteresis, the shared time axis snaps to a grid, and
:func:`fit_value_axes` moves at most one value axis a tick unless data has left one (a
narrowing can wait), which keeps the 500-sector dashboard within ten messages a tick.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import bqplot as bq
import numpy as np


def _nice_step(span: float) -> float:
    """1, 2 or 5 times a power of ten, about a quarter of ``span``."""
    raw = span / 4
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))


def nice_domain(low: float, high: float) -> tuple[float, float]:
    """``[low, high]`` widened to round numbers (±1 around flat data)."""
    if high <= low:
        low, high = low - 1.0, high + 1.0
    step = _nice_step(high - low)
    return math.floor(low / step) * step, math.ceil(high / step) * step


def nice_ticks(low: float, high: float) -> np.ndarray:
    """Round tick values across a :func:`nice_domain` (4 to 6 of them)."""
    step = _nice_step(high - low)
    ticks = np.arange(math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9) + 1) * step
    return np.round(ticks, 12)


def fit_axis(axis: bq.Axis, y: np.ndarray) -> None:
    """Move one axis's value domain if :func:`propose_domain` says so (see there)."""
    fit_value_axes([(axis, y)])


def fit_value_axes(pairs: Iterable[tuple[bq.Axis, np.ndarray]], *, narrow: bool = True) -> int:
    """Fit several charts' value axes in one tick, sending few messages: every axis whose
    data left its domain moves now; of those that only want narrowing, one moves (the
    emptiest) and only if nothing else did (nor the time axis: ``narrow=False``), the
    others on later ticks. An axis that stays gets round tick values once if it has none.
    Returns moves."""
    urgent, optional = [], []
    for axis, y in pairs:
        move = propose_domain(axis.scale, y)
        if move is not None:
            (urgent if move[2] else optional).append((move[3], axis, move))
        elif axis.tick_values is None or not len(axis.tick_values):
            axis.tick_values = nice_ticks(float(axis.scale.min), float(axis.scale.max))
    chosen = urgent or (sorted(optional, key=lambda m: m[0])[:1] if narrow else [])
    for _, axis, move in chosen:
        _move_axis(axis, move[:2])
    return len(chosen)


def must_widen(pairs: Iterable[tuple[bq.Axis, np.ndarray]]) -> bool:
    """Whether data has left some value axis's domain (that axis moves this tick)."""
    return any(move is not None and move[2]
               for move in (propose_domain(axis.scale, y) for axis, y in pairs))


def _move_axis(axis: bq.Axis, domain: tuple[float, float]) -> None:
    """New domain and its round tick values (bqplot would otherwise put ticks at thirds
    of the domain: 0.17, 0.46, 0.74): two messages."""
    _set_domain(axis.scale, *domain)
    axis.tick_values = nice_ticks(*domain)


def propose_domain(scale: bq.LinearScale, y: np.ndarray
                   ) -> tuple[float, float, bool, float] | None:
    """(low, high, urgent, share used) a value axis should move to; None to stay.

    An explicit, never-empty, rounded domain with hysteresis: data leaving it (urgent)
    widens only the side it crossed, with room to keep going (a daily rhythm drifts
    through a short window); data filling less than :data:`SHRINK_BELOW` of it gets a
    domain it fills about half of. Never below 0 for data that is not. bqplot's axis
    cannot format the ticks of an empty domain (one point, flat data, no data) nor
    survive switching ``min``/``max`` back to automatic in place (browser console:
    "invalid format: .undefinedg", then a blank axis), so there is always one.
    """
    finite = y[np.isfinite(y)]
    cur_low, cur_high = scale.min, scale.max
    if not finite.size:
        return (0.0, 1.0, True, 0.0) if cur_low is None or cur_high is None else None
    low, high = float(finite.min()), float(finite.max())
    span = high - low
    used = 1.0
    if cur_low is None or cur_high is None:
        bottom, top, urgent = low - PAD * span, high + PAD * span, True
    elif cur_low <= low and high <= cur_high:
        used = span / (cur_high - cur_low) if cur_high > cur_low else 1.0
        if used >= SHRINK_BELOW or (span == 0 and cur_high - cur_low <= 2.0 * max(1.0,
                                                                                abs(high))):
            return None
        bottom, top, urgent = low - span / 2, high + span / 2, False
    else:
        top = high + (PAD + TREND_PAD) * span if high > cur_high else cur_high
        bottom = low - (PAD + TREND_PAD) * span if low < cur_low else cur_low
        urgent = True
    domain = nice_domain(max(bottom, 0.0) if low >= 0 else bottom, top)
    if (cur_low, cur_high) == domain:
        return None
    return domain[0], domain[1], urgent, used


def _set_domain(scale: bq.Scale, low, high) -> bool:
    """Set both ends in one message (one at a time can reverse the domain for a moment);
    False if they were already there."""
    if scale.min == low and scale.max == high:
        return False
    with scale.hold_sync():
        scale.min, scale.max = low, high
    return True


EPOCH_HOUR = (np.datetime64("2026-01-01T00:00"), np.datetime64("2026-01-01T01:00"))
NO_TIMES = np.array([], dtype="datetime64[ms]")


def fit_time_scale(scale: bq.DateScale, t: np.ndarray, *, wait: bool = False) -> bool:
    """The shared time axis's domain (half an hour around a single tick); True if it moved.

    The right end snaps up to a quarter of the label spacing (45 min for 3-hour labels)
    past the next tick, and the left end is a whole number of those before it: a sliding
    window moves both ends together, one message every few ticks instead of one per tick
    (two, if each end snapped on its own); the lines leave one or two steps blank at the
    right, at most two at the left. With ``wait`` (a value axis moves this tick) the domain
    stays one tick longer, which the room for the next tick allows: the tick keeps within
    its message budget.
    """
    if wait and t.size and scale.min is not None and scale.max is not None and (
            np.datetime64(scale.min, "ms") <= t[-1] <= np.datetime64(scale.max, "ms")):
        return False
    if t.size >= 2 and t[0] != t[-1]:
        grid = max(1, _label_step_min(t) // SNAP_PARTS) * 60_000  # ms
        ms = t.astype("datetime64[ms]").astype(np.int64)
        high = -(-(ms[-1] + ms[-1] - ms[-2]) // grid) * grid  # room for the next tick
        low = high - (-(-(ms[-1] - ms[0]) // grid) + 1) * grid
        return _set_domain(scale, np.datetime64(int(low), "ms"),
                           np.datetime64(int(high), "ms"))
    start = t[0] if t.size else EPOCH_HOUR[0]
    return _set_domain(scale, start - np.timedelta64(30, "m"), start + np.timedelta64(30, "m"))


def new_time_scale() -> bq.DateScale:
    return bq.DateScale(min=EPOCH_HOUR[0], max=EPOCH_HOUR[1], allow_padding=False)


#: time-label spacings tried, in minutes (local wall clock: 00:00, 03:00, 06:00 ...)
TICK_STEPS_MIN = (15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080)
MAX_TIME_LABELS = 5
#: the time domain's ends snap to this fraction of the label spacing
SNAP_PARTS = 4
#: headroom each side when a value axis is refitted
PAD = 0.15
#: extra headroom on the side the data crossed (it is likely to keep going that way)
TREND_PAD = 0.5
#: a value axis the data fills less of than this is narrowed (to about half filled)
SHRINK_BELOW = 0.1


def time_ticks(t: np.ndarray, max_labels: int = MAX_TIME_LABELS) -> np.ndarray:
    """Round wall-clock times inside ``[t[0], t[-1]]``, at most ``max_labels`` of them, at
    the smallest spacing of :data:`TICK_STEPS_MIN` that fits. bqplot picks a tick count from
    the chart's width that overlaps "01-05 03:00" labels; ``num_ticks`` spaces them evenly,
    off the hour and before the data."""
    if t.size < 2 or t[0] == t[-1]:
        return t[:1].astype("datetime64[ms]")
    step = _label_step_min(t, max_labels)
    lo, hi = _minutes(t[0]), _minutes(t[-1])
    first, last = -(-lo // step) * step, hi // step * step
    return np.arange(first, last + 1, step).astype("datetime64[m]").astype("datetime64[ms]")


def _minutes(at: np.datetime64) -> int:
    return int(np.datetime64(at, "m").astype(np.int64))


def _label_step_min(t: np.ndarray, max_labels: int = MAX_TIME_LABELS) -> int:
    """The smallest spacing of :data:`TICK_STEPS_MIN` giving at most ``max_labels`` round
    times inside ``[t[0], t[-1]]`` (the largest one for a longer span)."""
    lo, hi = _minutes(t[0]), _minutes(t[-1])
    for step in TICK_STEPS_MIN:
        if (hi // step * step - -(-lo // step) * step) // step + 1 <= max_labels:
            return step
    return TICK_STEPS_MIN[-1]


def set_time_ticks(axis: bq.Axis, t: np.ndarray) -> None:
    """Give ``axis`` :func:`time_ticks` of ``t``; a message only when they change (about
    once per label spacing, not per tick)."""
    ticks = time_ticks(t)
    current = axis.tick_values
    if current is None or len(current) != len(ticks) or not np.array_equal(
            np.asarray(current).astype("datetime64[ms]"), ticks):
        axis.tick_values = ticks
