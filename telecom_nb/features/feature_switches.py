"""The default feature set's switches: which parts a :class:`~.pipeline.KpiFeatures` builds.

Every switch is a change of structure (the parts are rebuilt when one is set), so they are
kept apart from the pipeline's workings, as the detectors keep theirs
(:class:`~telecom_nb.detectors.forest_params.ForestParams`).
"""

from __future__ import annotations

from traitlets import Bool, Float, HasTraits, Int, validate

from telecom_nb.features.time_slots import TimeZone
from telecom_nb.params import check_range, param_trait


class FeatureSwitches(HasTraits):
    """The calendar's resolution and zone, and one switch per optional part."""

    slots_per_day = param_trait(Int(24, help="time-of-day slots per day"))
    weekly = param_trait(Bool(True, help="learn day-of-week effects (weekends, half days)"))
    timezone = param_trait(TimeZone(help="IANA zone of the network's local calendar"))
    relations = param_trait(Bool(True, help="model KPI relations (e.g. throughput per PRB)"))
    peers = param_trait(Bool(True, help="compare with province peers at the same tick"))
    change = param_trait(Bool(True, help="compare with the sector's last few ticks"))
    persistence = param_trait(Bool(True, help="accumulate seasonal deviations over ticks"))
    novelty = param_trait(Bool(True, help="flag values beyond the range of the last weeks"))
    area = param_trait(Bool(True, help=(
        "a fleet with coordinates: the median deviation of the nearest sites' sectors at "
        "the same tick, with the sector's own where both go the same way")))
    run = param_trait(Bool(True, help=(
        "a fleet: each KPI's weakest deviation over the last hour's ticks (a moderate "
        "deviation that holds; read by the detector as a part of its own)")))
    drift = param_trait(Bool(True, help=(
        "a fleet: each KPI's seasonal deviation averaged over about a day, on the sector's "
        "own spread of that mean (read by the detector as a part of its own)")))
    shift = param_trait(Bool(True, help=(
        "a few series: compare the last hour's mean with the same hour of the last days")))
    smooth = param_trait(Bool(True, help=(
        "a few series: the seasonal deviations of the last minutes, smoothed (read together "
        "by the detector)")))
    record = param_trait(Bool(True, help=(
        "a few series: the last hour's mean beyond every such mean of the last weeks")))
    common = param_trait(Bool(True, help=(
        "a fleet: when most of it is shifted at one tick (a holiday's first day), each "
        "sector's seasonal z less the median of sectors with a day like its own")))
    load = param_trait(Bool(True, help=(
        "a fleet: a KPI that falls when another rises (throughput under a crowd) is read "
        "on what that load's deviation does not explain, per sector")))
    load_bad_r = param_trait(Float(0.15, help=(
        "a fleet: a KPI with a known bad side is read against the load when its mean r with "
        "the load's KPIs points to that side by this much (a latency rising, a throughput "
        "falling with load; kept while it stays on that side); others need |r| 0.25")))
    recurrence = param_trait(Bool(True, help=(
        "a few series: an excursion that came back at the same time of day on earlier "
        "days (a scheduled job) reads as ordinary noise; only what goes beyond it counts")))

    @validate("load_bad_r")
    def _v_load_bad_r(self, proposal):
        check_range("load_bad_r", proposal["value"], 0.0, 1.0)
        return proposal["value"]

    @validate("slots_per_day")
    def _v_slots(self, proposal):
        check_range("slots_per_day", proposal["value"], 1, 1440)
        return proposal["value"]
