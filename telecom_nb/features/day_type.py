"""The day type read from the fleet: an undeclared day off treated like the weekday it follows.

Declared holidays (``holidays``/``holiday_like``) cover what the operator lists; a moving
religious day, a regional day off or a strike is not listed, and the whole fleet is then
flagged against a working day's shape. What gives such a day away is the *fleet*: since
local midnight most sectors sit where another weekday's profile (the fleet's weekday
effect, :class:`~telecom_nb.features.weekly.WeekdayEffects`) puts them, and far from
today's. Per tick the fleet's median typical-day residual of every series is compared with
each weekday's fleet effect at this time of day, in the sectors' own noise units, and the
squared distances are summed over the day so far. A weekday that fits the day much better
than its own (``RATIO``), well within the two weekdays' own difference (``FIT``), after
enough of that difference was seen (``MIN_SEP``, hours x noise units squared: the night
tells nothing) takes over the rest of the local day: its week slots are read and taught,
as a declared holiday's are. The next local midnight starts from the calendar again.
Beside that rule a sequential one reads the same sums in the fleet's own noise (the median
hourly distance of its recent unswitched days to their weekday): once another weekday is
ahead by ``EVIDENCE`` such hours a clear day switches within an hour or two, sooner than
the fixed ratio allowed, and a long holiday's half-read later days switch at all, while a
night (weekdays alike) or an ordinary day (its own weekday fits best) gathers nothing.

The weekday table learns only against warm slots and is read after two visits of a week
slot (:data:`MIN_VISITS`): on hourly data the first ~17 days. Meanwhile each weekday is read
against the same hours of its most recent unswitched day (``last_``: the medians of that
day's typical-day residuals over the rows the table learns from, warm and not far): a long
holiday two weeks in meets a read day, not a blind one. One day's medians carry that day's
noise, so such a reading decides by the sequential rule alone (the fixed ratio after two
hours switched ordinary days of the second week between weekdays); the table, once it has
seen a weekday twice, is read as before.

A fleet-wide fault is not a weekday: a core outage takes traffic to ~0 and availability
down, far from every weekday's shape (its distance stays near its own weekday's), and a
fault that starts mid-day carries the morning that fitted the working day. One sector's
own data never decides (a fleet median), and few series never switch.

A switch silently changes what is flagged, so each one is kept (``DayType.log_``, the last
:data:`KEEP`, checkpointed) and read as :class:`DayReading` rows by the detector's
``day_readings()``: the dashboard's status line and ``telecom-nb detect``'s summary say it.
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import NamedTuple

import numpy as np
from traitlets import Bool

from telecom_nb.features.group_median import FLEET_SAMPLE, MIN_FLEET_SECTORS, quiet_nanmedian
from telecom_nb.features.time_slots import DAYS_PER_WEEK, HOUR_NS, local_day, one_time
from telecom_nb.local_dates import WEEKDAYS, local_days
from telecom_nb.params import param_trait

DAY_TYPE_HELP = (
    "read the day type from the fleet: a day most sectors spend on another "
    "weekday's shape since local midnight (an undeclared holiday) is expected "
    "like that weekday for the rest of the day (fleets only)"
)
#: on by default: on seven held-out worlds it took 2,409 false rows to 2,246 and found 2 events
#: more; a world without a holiday and the simulator never switch (benchmarks/MEASURED.md,
#: "Issue 11, a day off nobody declared" and the lead's merge paragraph)
DEFAULT = True

#: the other weekday's distance at most this share of the calendar weekday's
RATIO = 0.25
#: ... and at most this share of the two weekdays' own separation (an outage is far from both)
FIT = 0.5
#: the separation seen so far (hours x squared noise units, summed over series) to decide
MIN_SEP = 2.0
#: hours of the day read before any switch (one odd tick, a partial reporting period, is no
#: day type)
MIN_HOURS = 2.0
#: visits of a week slot the fleet has seen before its weekday is read (the first week's
#: fleet effects are one day's: reading them switched ordinary days and taught the wrong
#: weekday)
MIN_VISITS = 2.0
#: sectors whose median is read (below it: no fleet)
MIN_SECTORS = MIN_FLEET_SECTORS
#: switches kept for the analyst (a few weeks of holidays; older ones are dropped)
KEEP = 14
#: the sequential reading: another weekday takes the day once its summed distance is below
#: today's by this many *ordinary hours* of distance (the fleet's own hour-to-weekday
#: distance on its recent unswitched days, :data:`NOISE_DAYS`): a likelihood ratio in the
#: fleet's noise, so a clear morning decides within an hour or two and a night, where the
#: weekdays barely differ, gathers next to nothing
EVIDENCE = 10.0
#: ... after at least this many hours of the day
EVIDENCE_HOURS = 1.0
#: ... and while the other weekday fits at least this much better than today's (a day off
#: half read, e.g. a long holiday's later days, still gains; an ordinary day never: its
#: own weekday fits best)
EVIDENCE_RATIO = 0.5
#: unswitched days (>= :data:`NOISE_MIN_HOURS` read) whose median hourly distance to their own
#: weekday is the fleet's noise; fewer than :data:`NOISE_MIN_DAYS`: the sequential reading waits.
#: One day: a fleet's weekdays are read only once each was seen twice (:data:`MIN_VISITS`
#: against warm slots: ~2 weeks of data), so a long holiday two weeks into the data met a
#: reading with one ordinary day read and no noise (tuning world t2766, 30 min: Nowruz's first
#: day 30 % of its own weekday's distance from Sunday at 07:30, never switched, 239 false rows;
#: the day's noise of 2.5 an hour would have switched it at 06:30). Three days waited a week,
#: and the holiday's own unswitched days then filled the median (10.6 an hour)
NOISE_DAYS = 7
NOISE_MIN_DAYS = 1
NOISE_MIN_HOURS = 12.0


class DayReading(NamedTuple):
    """One local day the fleet read as another weekday: what an analyst is shown."""

    date: str  # the local date, ISO ("2027-03-20")
    weekday: int  # the weekday read (Monday = 0)
    since: str  # the local time of the tick that decided ("02:00"): later ticks read so

    @property
    def weekday_name(self) -> str:
        """``Fri``: as ``holiday_like`` names weekdays."""
        return WEEKDAYS[self.weekday]

    def summary(self) -> str:
        """The ``telecom-nb detect`` summary's line for this day."""
        return (
            f"day type: {self.date} read as {self.weekday_name} from {self.since} "
            "(undeclared holiday?)"
        )


class DayType:
    """The fleet's reading of the current local day: per candidate weekday the summed
    squared distance (``err_``) and separation from the calendar's weekday (``sep_``)."""

    def __init__(self) -> None:
        self.day_ = -1  # local day number (days since 1970-01-01 on the wall clock)
        self.like_ = -1  # the weekday the day was switched to; -1: its own
        self.err_ = np.zeros(DAYS_PER_WEEK)
        self.sep_ = np.zeros(DAYS_PER_WEEK)
        self.hours_ = 0.0
        self.weekday_ = -1  # the calendar's weekday of ``day_``
        #: the hourly distance of recent unswitched days to their own weekday (oldest first)
        self.noise_: list[float] = []
        #: the switches made, oldest first: (local date ISO, weekday, local time "HH:MM")
        self.log_: list[tuple[str, int, str]] = []
        #: per weekday x time-of-day slot x series the fleet's median typical-day residual on
        #: the weekday's most recent unswitched day (NaN: not read): what a weekday the table
        #: has not seen often enough is read against
        self.last_ = np.full((DAYS_PER_WEEK, 0, 0), np.nan)
        self.today_ = np.full((0, 0), np.nan)  # ... and today's so far (slots x series)

    #: state newer than some checkpoints (derived by :meth:`derive_added_state`)
    _state_added: tuple[str, ...] = ("log_", "weekday_", "noise_", "last_", "today_")

    def derive_added_state(self, names) -> None:
        """A checkpoint older than the record: no switch recorded; older than the sequential
        reading: its noise is learned afresh (the first rule reads meanwhile); older than the
        recent days' reading: the table alone is read until each weekday is seen again."""
        if "log_" in names:
            self.log_ = []
        if "weekday_" in names:
            self.weekday_ = -1
        if "noise_" in names:
            self.noise_ = []
        if "last_" in names or "today_" in names:
            self.last_ = np.full((DAYS_PER_WEEK, 0, 0), np.nan)
            self.today_ = np.full((0, 0), np.nan)

    def _close_day(self) -> None:
        """The day read so far ends: an unswitched, mostly read day tells the fleet's noise, and
        an unswitched day's medians are its weekday's reference."""
        if self.like_ < 0 and self.weekday_ >= 0 and self.hours_ >= NOISE_MIN_HOURS:
            own = float(self.err_[self.weekday_]) / self.hours_
            self.noise_ = [*self.noise_[-(NOISE_DAYS - 1) :], own]
        if self.like_ < 0 and self.weekday_ >= 0 and len(self.today_):
            # the weekday's reference: a switched day (a holiday) is none; hours unread today
            # keep the older day's
            read = np.isfinite(self.today_)
            self.last_[self.weekday_] = np.where(read, self.today_, self.last_[self.weekday_])
        self.today_[:] = np.nan

    def noise(self) -> float | None:
        """The fleet's ordinary hourly distance to its own weekday, or None (too few days)."""
        return float(np.median(self.noise_)) if len(self.noise_) >= NOISE_MIN_DAYS else None

    def note(self, ns: int, timezone: str) -> None:
        """Record the switch just made at UTC ns ``ns`` (the last :data:`KEEP` are kept)."""
        when = datetime.datetime.fromtimestamp(ns // 10**9, zoneinfo.ZoneInfo(timezone))
        entry = (when.date().isoformat(), int(self.like_), when.strftime("%H:%M"))
        self.log_ = [*self.log_[-(KEEP - 1) :], entry]  # a new list: readers see whole ones

    def readings(self) -> tuple[DayReading, ...]:
        """The recorded switches, oldest first."""
        return tuple(DayReading(str(d), int(w), str(t)) for d, w, t in self.log_)

    def switched(self) -> tuple[int, int] | None:
        """(local day, weekday) to read instead of the calendar's, or None."""
        return (self.day_, self.like_) if self.like_ >= 0 else None

    def observe(
        self,
        day: int,
        slot: int,
        weekday: int,
        fleet_effect: np.ndarray,
        seen: np.ndarray,
        r: np.ndarray,
        ok: np.ndarray,
        spread: np.ndarray,
        hours: float,
        teach: np.ndarray | None = None,
    ) -> None:
        """One tick of the fleet (one time): ``r`` sectors x series typical-day residuals
        (``ok`` where they mean something; a sample of the fleet), ``spread`` their noise;
        ``fleet_effect`` 7 x series (each weekday's fleet effect at this time of day),
        ``seen`` which weekdays the fleet has seen often enough; ``teach`` where the
        weekday table learns from ``r`` (warm, not far; default ``ok``): the rows whose
        median is kept as the weekday's reference."""
        if day != self.day_:  # a new local day: the calendar's again
            self._close_day()
            self.day_, self.like_, self.weekday_ = day, -1, weekday
            self.err_[:] = 0.0
            self.sep_[:] = 0.0
            self.hours_ = 0.0
        if self.like_ >= 0:
            return
        if np.count_nonzero(ok.any(axis=1)) < MIN_SECTORS:
            return
        med = quiet_nanmedian(np.where(ok, r, np.nan))  # all-NaN columns: left out
        scale = quiet_nanmedian(np.where(ok, spread, np.nan))
        keep = med
        if teach is not None:  # what the table would learn: no first days, no faults
            few = np.count_nonzero(teach.any(axis=1)) < MIN_SECTORS
            keep = np.full_like(med, np.nan) if few else quiet_nanmedian(
                np.where(teach, r, np.nan))
        fleet_effect, young = self._recent(slot, keep, fleet_effect, seen)
        seen = seen | young
        use = np.isfinite(med) & np.isfinite(scale) & (scale > 0)
        if not use.any() or not seen[weekday]:
            return
        unit = np.where(use, 1.0 / np.where(use, scale, 1.0), 0.0)
        fe = np.nan_to_num(fleet_effect) * unit
        m = np.where(use, med, 0.0) * unit
        self.err_ += hours * ((m - fe) ** 2).sum(axis=1)
        self.sep_ += hours * ((fe - fe[weekday]) ** 2).sum(axis=1)
        self.hours_ += hours
        err = np.where(seen, self.err_, np.inf)
        err[weekday] = np.inf
        best = int(np.argmin(err))
        if not np.isfinite(err[best]) or self.sep_[best] < MIN_SEP:
            return
        own = self.err_[weekday]
        if (
            not (young[best] or young[weekday])  # one day's reference: in its noise only
            and self.hours_ >= MIN_HOURS
            and err[best] <= RATIO * own
            and err[best] <= FIT * self.sep_[best]
        ) or self._evident(best, err[best], own):
            self.like_ = best

    def _recent(
        self, slot: int, med: np.ndarray, fleet_effect: np.ndarray, seen: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(The weekdays' effects at ``slot``, which are a day's): the table's where it has
        seen the weekday often enough (``seen``), else the weekday's most recent unswitched
        day's at this time (if read). Today's medians ``med`` are kept for the day's end
        (:meth:`_close_day`)."""
        n = len(med)
        if self.last_.shape[2] != n or self.last_.shape[1] <= slot:  # first tick, new series
            self.last_ = _grown(self.last_, DAYS_PER_WEEK, slot + 1, n)
            self.today_ = _grown(self.today_[None], 1, slot + 1, n)[0]
        self.today_[slot] = med  # kept as the weekday's once the day ends unswitched
        last = self.last_[:, slot]
        young = ~seen & np.isfinite(last).any(axis=1)
        if not young.any():
            return fleet_effect, young
        return np.where(young[:, None], last, fleet_effect), young

    def _evident(self, best: int, err: float, own: float) -> bool:
        """The sequential reading: ``best``'s distance below today's by :data:`EVIDENCE`
        ordinary hours, and what the noise does not explain of it well within the two
        weekdays' difference (an outage is far from both, its excess is all of it)."""
        noise = self.noise()
        return (
            noise is not None
            and self.hours_ >= EVIDENCE_HOURS
            and own - err >= EVIDENCE * noise
            and err <= EVIDENCE_RATIO * own
            and err - self.hours_ * noise <= FIT * self.sep_[best]
        )


def _grown(table: np.ndarray, rows: int, slots: int, series: int) -> np.ndarray:
    """``table`` (rows x slots x series) with at least ``slots`` slots, NaN where new; a new
    series count starts afresh (the fleet's series changed)."""
    if table.shape[2] != series:
        return np.full((rows, slots, series), np.nan)
    out = np.full((rows, max(slots, table.shape[1]), series), np.nan)
    out[:, : table.shape[1]] = table
    return out


def day_summaries(detector: object) -> list[str]:
    """The summary lines of the days ``detector``'s fleet read as another weekday, oldest
    first (none for a detector without ``day_readings``): what ``detect`` and a backtest
    print once a replay is done."""
    return [day.summary() for day in getattr(detector, "day_readings", tuple)()]


def day_type_trait() -> Bool:
    """A fresh ``day_type`` trait (each class declares its own)."""
    return param_trait(Bool(DEFAULT, help=DAY_TYPE_HELP))


def read_day(
    season,
    view,
    slots: tuple[np.ndarray, np.ndarray],
    r: np.ndarray,
    masks: tuple[np.ndarray, np.ndarray],
    spread: np.ndarray,
) -> None:
    """Feed a fleet tick (one time; a batch of several is skipped) of the seasonal part
    ``season`` to its ``day_type_``: ``r`` its typical-day residuals, ``masks`` where the
    sector's level is known and where the weekday table learns from the residual (warm,
    not far), ``spread`` the typical day's noise."""
    has, learns = masks
    ns = view.ns()
    if not one_time(ns):
        return
    day = local_day(ns, season.timezone)
    if season.holidays and day in local_days(season.holidays):
        return  # a declared holiday: the user's weekday, not the fleet's reading
    stride = max(1, len(ns) // FLEET_SAMPLE)  # a sample first: no rows x series temporaries
    r, has, learns, spread = r[::stride], has[::stride], learns[::stride], spread[::stride]
    per_day = season.slots_per_day
    slot, weekday = int(slots[0][0]), int(slots[1][0]) // per_day
    week = season.week_
    at = np.arange(DAYS_PER_WEEK) * per_day + slot
    read = season.day_type_
    was = read.switched()
    read.observe(
        day,
        slot,
        weekday,
        week.fleet_[at],
        week.fleet_count_[at] >= MIN_VISITS,
        r,
        has & np.isfinite(r),
        spread,
        season.cadence_.step_ns / HOUR_NS,
        learns & np.isfinite(r),
    )
    if read.like_ >= 0 and read.switched() != was:  # switched on this tick: say so
        read.note(int(ns[0]), season.timezone)


def reading(season) -> tuple[int, int] | None:
    """The seasonal part ``season``'s (local day, weekday) read from the fleet, if its
    ``day_type`` is on and the day was switched."""
    return season.day_type_.switched() if season.day_type and season.kpis_ is not None else None


def readings_of(features) -> tuple[DayReading, ...]:
    """The day readings recorded by ``features``' seasonal part (none before it is built)."""
    parts = getattr(features, "parts_", None) or ()
    read = getattr(parts[0], "day_type_", None) if parts else None
    return read.readings() if read is not None else ()


def switched_on(season, view) -> bool:
    """Whether ``view`` (one time) falls on the local day ``season`` read as another
    weekday's (the common mode then opens its gate at any shift)."""
    read = reading(season)
    ns = view.ns()
    if read is None or not one_time(ns):
        return False
    return local_day(ns, season.timezone) == read[0]
