"""The declared public holidays of a pipeline: kept on the pipeline, read by its seasonal part.

Unlike the calendar's zone or resolution (a change of structure: the parts start over), a
holiday list changes no learned state, only which week slot a future day reads, so setting
it on a running pipeline hands it to the running seasonal part and keeps what was learned.
"""

from __future__ import annotations

from traitlets import Enum, HasTraits, observe

from telecom_nb.features.day_type import day_type_trait
from telecom_nb.local_dates import WEEKDAYS, LocalDates
from telecom_nb.params import param_trait

HOLIDAYS_HELP = "public holidays (local dates), e.g. '2026-10-14,2026-11-05'"
HOLIDAY_LIKE_HELP = "the weekday a holiday resembles (Iran: Fri; most of Europe: Sun)"


def holiday_traits() -> tuple[LocalDates, Enum]:
    """Fresh ``holidays`` and ``holiday_like`` traits (each class declares its own)."""
    return (param_trait(LocalDates(help=HOLIDAYS_HELP)),
            param_trait(Enum(WEEKDAYS, "Fri", help=HOLIDAY_LIKE_HELP)))


class HolidayParams(HasTraits):
    """Mixin for a pipeline with ``parts_``: ``holidays`` / ``holiday_like`` / ``day_type``
    handed to each part that reads them, now and at every rebuild (the pipeline's
    ``DRIVEN``)."""

    holidays, holiday_like = holiday_traits()
    day_type = day_type_trait()

    @observe("holidays", "holiday_like", "day_type")
    def _holidays_changed(self, change) -> None:
        for part in getattr(self, "parts_", None) or ():
            if "holidays" in part.param_names():
                part.set_params(holidays=self.holidays, holiday_like=self.holiday_like,
                                day_type=self.day_type)
