"""The windowed detectors' own parameters: their inputs, window, retrain pace and tails.

Declared and validated here, apart from :mod:`.windowed` (which keeps the state they
drive: features, window, model, score-before-learn), the way :mod:`.threshold_params` and
:mod:`.forest_params` hold theirs: every detector built on the window reads the same
``--set`` names, ranges and help (``telecom-nb detectors`` lists them from the traits).
"""

from __future__ import annotations

import pandas as pd
from traitlets import Any as AnyTrait
from traitlets import Bool, Float, HasTraits, Int, List, Unicode, validate

from telecom_nb.defaults import FEW_SERIES
from telecom_nb.detectors.retrain_schedule import (
    MAX_STRETCH,
    MAX_TURNOVER_STRETCH,
    RETRAIN_GROWTH,
    RETRAIN_TURNOVER,
)
from telecom_nb.errors import ParameterError
from telecom_nb.params import check_known, check_range, param_trait, to_timedelta


class WindowParams(HasTraits):
    """Mixin: ``kpis``, ``window_size``, the retrain pace (``retrain_interval``,
    ``retrain_growth``, ``retrain_turnover``), ``warmup_batches``, ``random_state`` and
    ``heavy_tails``, each validated when set."""

    kpis = param_trait(List(Unicode(), default_value=None, allow_none=True,
                            help="KPI columns; None = detect from the first batch"))
    window_size = param_trait(Int(20_000, help="feature rows kept for retraining"))
    retrain_interval = param_trait(AnyTrait(pd.Timedelta("1D"), help="data time between retrains"))
    warmup_batches = param_trait(Int(4, help="batches learned before the first model"))
    random_state = param_trait(Int(0, allow_none=True, help="seed of model and sampling"))
    retrain_growth = param_trait(Float(None, allow_none=True, help=(
        "once past retrain_interval, wait until the history grew by this fraction of its "
        f"age (at most {MAX_STRETCH} intervals); 0 = every interval; None = "
        f"{RETRAIN_GROWTH} when at most {FEW_SERIES} series are seen, else 0")))
    retrain_turnover = param_trait(Float(None, allow_none=True, help=(
        "also wait until this share of the window is new since the last retrain (the data "
        f"time the window spans times it, at most {MAX_TURNOVER_STRETCH} intervals); 0 = "
        f"never wait for it; None = {RETRAIN_TURNOVER} when at most {FEW_SERIES} series "
        "are seen, else 0")))
    heavy_tails = param_trait(Bool(None, allow_none=True, help=(
        "take the score null's tail from its shoulder (90-95 %), not its body; "
        f"None = when at most {FEW_SERIES} series are seen")))

    #: the stream's KPI columns (set by the monitor): ``kpis`` must name some of them
    known_kpis: tuple[str, ...] = ()

    @validate("window_size")
    def _v_window(self, proposal):
        check_range("window_size", proposal["value"], 10, 10_000_000)
        return proposal["value"]

    @validate("retrain_interval")
    def _v_interval(self, proposal):
        return to_timedelta("retrain_interval", proposal["value"])

    @validate("warmup_batches")
    def _v_warmup(self, proposal):
        check_range("warmup_batches", proposal["value"], 1, 1_000_000)
        return proposal["value"]

    @validate("retrain_growth")
    def _v_growth(self, proposal):
        if proposal["value"] is not None:
            check_range("retrain_growth", proposal["value"], 0.0, 1.0)
        return proposal["value"]

    @validate("retrain_turnover")
    def _v_turnover(self, proposal):
        if proposal["value"] is not None:
            check_range("retrain_turnover", proposal["value"], 0.0, 1.0)
        return proposal["value"]

    @validate("random_state")
    def _v_random_state(self, proposal):
        if proposal["value"] is not None:
            check_range("random_state", proposal["value"], 0, 2**32 - 1)
        return proposal["value"]

    @validate("kpis")
    def _v_kpis(self, proposal):
        value = proposal["value"]
        if value is not None and len(value) == 0:
            raise ParameterError("kpis must name at least one column (or be None)")
        if value and self.known_kpis:
            check_known("kpis", value, self.known_kpis)
        return value
