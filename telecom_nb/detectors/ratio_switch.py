"""The window's cells of a KPI from before it was taken for a ratio of counts, refilled.

A drop rate is learned to be a ratio of counts (:class:`~telecom_nb.features.count_ratio.
CountRatios`) only once its values have sat on few-count fractions often enough: on an
hourly vendor world (tuning t1720, 160 cells) the VoLTE drop rate after 3.5 days, the
handover success rate after 6. Before that its seasonal z is read on the seasonal spread
of a KPI whose median hour is 0 %, and each single drop is 20-230 spreads; after it the
same drop is its binomial evidence, 2-4. The window keeps its rows for ~5 days of data
time, so at day 7.4 2.3 % of its VoLTE rows still read |z| > 20 (up to 231): the column's
tail levels start at 75-231, and every feature tail fitted on them reads any z from 3 to a
20-nat CUSUM sum (:mod:`~telecom_nb.features.count_cusum`) as the same 2.5 units. The
rate part then never reads a surge in the judged days 7-9 (t1720: two of the three VoLTE
surges missed there found with this module; one, 10 drops in 84 calls over 3 hours, had
read score 2.10 on two rows, the sum at its cap), nor the max. Held out the gain was
small (four worlds: +1 event, P -0.001 to -0.003; README, hour26): it needs a surge while
pre-switch rows are still in the window.

Blanking those cells at the switch (0, no deviation) was tried and not kept: the column
then is nearly all 0 in the next fit, its tails have nothing on the new scale to read
and every new value is far (t1721: a switch on day 8 made 15 false alarms that day, P
0.966 -> 0.949). So the switch is remembered and, once a quarter of the window
(:data:`FRESH_SHARE`) has been kept since, the cells of every column read from that KPI
(its own and its relations', by name) in the rows kept before it are replaced by those of
rows drawn from the ones kept after it (one draw for all its columns, a generator of its
own: the detector's draws stay as they were), in the window and in its predecessors'
row for row: the fits read the KPI's tails on its new scale, with the window's size.
The next batch then refits, outside the retrain schedule: the schedule's last attempt
stays, so the later retrains come when they would have without the refill (restarting the
schedule there moved every later daily retrain to the refill's hour).
Once per KPI per stream (the ratio decision does not go back); nothing happens on data
without such a KPI. A restored checkpoint forgets a pending switch (its old rows then
leave the window as before).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: the share of the window kept since a switch before the older rows' cells are refilled
FRESH_SHARE = 0.25


def kpi_columns(names: Sequence[str], kpis: Sequence[str]) -> np.ndarray:
    """The feature columns read from any of ``kpis``: ``KPI:part`` and relations
    ``A/B:part`` naming one of them."""
    wanted = set(kpis)
    return np.array(
        [
            i
            for i, name in enumerate(names)
            if wanted.intersection(name.rpartition(":")[0].split("/"))
        ],
        dtype=np.intp,
    )


def ratio_flags(features) -> np.ndarray | None:
    """Per KPI whether the features read it as a ratio of counts (None: no such state)."""
    parts = getattr(features, "parts_", None)
    lumpy = getattr(parts[0], "lumpy_", None) if parts else None
    return None if lumpy is None else np.asarray(lumpy.counts_.ratios(), dtype=bool).copy()


class RatioSwitch:
    """Mixin of a windowed detector: refills the window's (and its predecessors') older
    cells of a KPI the features started reading as a ratio of counts."""

    #: pending switches: (rows the window had appended then, the KPI's columns)
    _switches: tuple[tuple[int, np.ndarray], ...] = ()
    #: a refill asked for a refit at the next batch, outside the retrain schedule (whose
    #: phase it keeps: resetting the last attempt moved every later daily retrain to the
    #: refill's hour, and on hourly OSS worlds with Nowruz the first holiday day's false
    #: rows rose 157 -> 226 and 125 -> 137)
    _refit_due: bool = False

    def _learn_view(self, view, x: np.ndarray):
        before = ratio_flags(self.features_)
        job = super()._learn_view(view, x)
        after = ratio_flags(self.features_)
        window = self._window
        if before is not None and after is not None and len(before) == len(after):
            switched = after & ~before
            if switched.any() and window is not None:
                lumpy = self.features_.parts_[0].lumpy_
                cols = kpi_columns(
                    list(self.features_.feature_names),
                    [k for k, s in zip(lumpy.kpis, switched, strict=True) if s],
                )
                if len(cols):
                    self._switches = (*self._switches, (window.appended, cols))
        if self._switches and window is not None:
            self._switches = tuple(s for s in self._switches if not self._refilled(*s))
        return job

    def _refilled(self, at: int, cols: np.ndarray) -> bool:
        """Refill the rows kept before ``at`` once enough are kept since; True: done
        (or nothing of them is left)."""
        window = self._window
        since = window.appended - at
        if since >= len(window):
            return True
        if since < FRESH_SHARE * window.capacity:
            return False
        draw = window.refill(at, cols, None)
        previous = getattr(self._previous, "window_", None)
        if previous is not None and len(previous) == len(window) and len(draw):
            previous.refill(previous.appended - since, cols, draw)
        # the fitted model still reads the KPI on its old scale: the next batch refits
        # (a day's wait read a surge's 12 drops of ~100 calls at 0.66, on hourly tuning
        # world 2020; refitted, 2.36)
        self._refit_due = True
        return True

    def _due(self, now) -> bool:
        return super()._due(now) or (self._refit_due and self._may_fit())

    def _make_job(self, now):
        """A refit the refill asked for keeps the schedule's last attempt (and window
        span): the later retrains come when they would have without it."""
        refit, self._refit_due = self._refit_due, False
        if not refit:
            return super()._make_job(now)
        off = not self._scheduled(now)
        attempt, span = self._last_attempt, self._window_span
        job = super()._make_job(now)
        if off:
            self._last_attempt, self._window_span = attempt, span
        discard = job.discard

        def undo() -> None:  # never installed: the refit is still owed
            discard()
            self._refit_due = True

        job.discard = undo
        return job
