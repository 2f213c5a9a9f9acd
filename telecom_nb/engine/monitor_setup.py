"""What a Monitor is built from: its detector (with parameters by name) and what the data is.

Kept apart from :mod:`~telecom_nb.engine.monitor` so that the monitor's module stays about
running and watching the stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from telecom_nb.detectors.base import Detector
from telecom_nb.sources.kpiinfo import KpiInfo, bad_direction, infer_kpi_info


def build_detector(detector: Detector | str, params: dict[str, Any]) -> Detector:
    """A detector with ``params`` set by the names ``--set`` takes (``weekly=True``,
    ``features__seasonal__slot_alpha=0.2``), all validated before any is set."""
    from telecom_nb.detectors import make_detector  # lazy: detectors may be heavy
    from telecom_nb.detectors.param_paths import configure

    if not isinstance(detector, Detector):
        detector = make_detector(detector)
    return configure(detector, params) if params else detector


def use_network_clock(detector: Detector, timezone: str | None,
                      given: Iterable[str] = (), holidays: Sequence[str] = (),
                      holiday_like: str | None = None,
                      bad_sides: dict[str, str] | None = None) -> None:
    """Give a calendar-aware detector the source's zone, holidays and KPIs' declared bad
    sides unless the user chose.

    Seasonal slots and weekdays are the network's wall clock; a declared holiday is
    expected like ``holiday_like``'s weekday; ``bad_sides`` (KPI -> up/down/both where the
    source's word differs from the name's) drive ``good_side``. ``given`` are the parameter
    names the user set (``timezone``, ``features.timezone``, ``holidays``, ...): any of
    them wins.
    """
    chosen = {name.replace("__", ".").split(".")[-1] for name in given}
    names = detector.param_names()
    if timezone and "timezone" not in chosen and "timezone" in names:
        detector.set_params(timezone=timezone)
    if (holidays and holiday_like and "holidays" in names
            and not chosen & {"holidays", "holiday_like"}):
        detector.set_params(holidays=tuple(holidays), holiday_like=holiday_like)
    if bad_sides and "bad_sides" in names and "bad_sides" not in chosen:
        detector.set_params(bad_sides=dict(bad_sides))


def declared_sides(sides: Mapping[str, str | None]) -> dict[str, str]:
    """KPI -> bad side where a source's word (``KpiInfo.bad``, ``[kpi."..."] bad``) differs
    from what the KPI's name says: what a detector's ``bad_sides`` needs (the names tell it
    the rest)."""
    return {k: side for k, side in sides.items() if side and side != bad_direction(k)}


def use_source_calendar(detector: Detector, spec: Any, given: Iterable[str] = ()) -> None:
    """:func:`use_network_clock` with a source's (a ``SourceSpec``'s) zone, holidays and
    declared bad sides: what ``telecom-nb detect``, a backtest and a notebook's own replay
    all do."""
    use_network_clock(detector, spec.timezone, given=given, holidays=spec.holidays,
                      holiday_like=spec.holiday_like,
                      bad_sides=declared_sides({k: m.bad for k, m in spec.kpi.items()}))


@dataclass(frozen=True)
class DataDescription:
    """KPI labels, KPI infos and the wall-clock zone a UI needs, from the source."""

    labels: dict[str, str]
    info: dict[str, KpiInfo]
    timezone: str

    @classmethod
    def of(cls, source: object, kpis: Sequence[str]) -> DataDescription:
        """The source's own (``kpi_labels``, ``kpi_info``, ``timezone``), else from names/UTC."""
        labels = getattr(source, "kpi_labels", None) or {}
        info = getattr(source, "kpi_info", None) or {}
        return cls(
            labels={k: str(labels.get(k, k)) for k in kpis},
            info={k: info.get(k) or infer_kpi_info(k) for k in kpis},
            timezone=str(getattr(source, "timezone", None) or "UTC"),
        )
