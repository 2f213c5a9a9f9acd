"""The local-calendar parameters of detectors built on :class:`KpiFeatures`."""

from __future__ import annotations

from traitlets import Bool, HasTraits, observe

from telecom_nb.features.day_type import DayReading, day_type_trait, readings_of
from telecom_nb.features.holiday_params import holiday_traits
from telecom_nb.features.time_slots import TimeZone
from telecom_nb.params import param_trait


class CalendarParams(HasTraits):
    """Mixin: ``timezone`` and ``weekly``, forwarded to the detector's features.

    Traffic follows the local clock and the local weekend, so the seasonal baselines
    are cut in the network's zone (``timezone='Asia/Tehran'``; None = UTC). A source
    knows its zone (``LoadedSource.timezone``, ``KpiSimulator.timezone``): pass it here.
    Changing either starts the seasonal baselines over. Declared public ``holidays`` are
    expected like ``holiday_like``'s weekday, and with ``day_type`` a day the fleet spends
    on another weekday's shape like that weekday; setting them keeps what was learned.
    """

    timezone = param_trait(TimeZone(help="IANA zone of the network's local calendar "
                                         "(e.g. Asia/Tehran; None = UTC)"))
    weekly = param_trait(Bool(True, help="learn day-of-week effects (weekends, half days)"))
    holidays, holiday_like = holiday_traits()
    day_type = day_type_trait()

    def day_readings(self) -> tuple[DayReading, ...]:
        """The local days the fleet read as another weekday (``day_type``), oldest first
        (the last few, kept in checkpoints): each a :class:`DayReading` (``date``,
        ``weekday``, ``since``). The dashboard's status line and ``telecom-nb detect``'s
        summary read it: a switch changes what is flagged, and an analyst must see it."""
        return readings_of(getattr(self, "features_", None))

    def _calendar(self) -> dict[str, object]:
        return {"timezone": self.timezone, "weekly": self.weekly, "holidays": self.holidays,
                "holiday_like": self.holiday_like, "day_type": self.day_type}

    @observe("timezone", "weekly")
    def _calendar_changed(self, change) -> None:
        features = getattr(self, "features_", None)
        if features is not None and change["old"] != change["new"]:
            features.set_params(**self._calendar())

    @observe("holidays", "holiday_like", "day_type")
    def _holidays_changed(self, change) -> None:
        features = getattr(self, "features_", None)
        if features is not None:  # the features keep what they learned
            features.set_params(holidays=self.holidays, holiday_like=self.holiday_like,
                                day_type=self.day_type)
