"""The two alarm-rate parameters, declared once for the alarm stage and its detector alias.

The alarm stage (:class:`telecom_nb.alarms.AlarmChain`) owns them; a detector that
calibrates its scores declares them too so that ``monitor.detector.contamination = 0.02``
keeps working (the chain links the two), and the seed baseline fits its forest with it.
"""

from __future__ import annotations

from traitlets import Float, HasTraits, validate

from telecom_nb.params import check_range, param_trait


class ThresholdParams(HasTraits):
    """Mixin: ``contamination`` (a bound on the false-alarm rate) and an explicit
    ``threshold``. The threshold is ``-log10(contamination)`` on the calibrated score, whose
    null has a heavy (exponential) tail on purpose: normal rows reach it *at most* that
    often, and a clean export flags several times fewer (walk43, two clean hourly 60-cell
    exports: 0.02 flagged 0.59-0.74 %, 0.001 flagged 0.007-0.02 %)."""

    contamination = param_trait(Float(
        0.001, help="bound on the false-alarm rate among normal rows (1 in 1000 by "
                    "default): the score threshold is -log10(contamination); clean data "
                    "flag several times fewer"))
    threshold = param_trait(Float(None, allow_none=True,
                                  help="score threshold; None = from contamination"))

    @validate("contamination")
    def _v_contamination(self, proposal):
        check_range("contamination", proposal["value"], 0, 0.5, low_inclusive=False)
        return proposal["value"]

    @validate("threshold")
    def _v_threshold(self, proposal):
        if proposal["value"] is not None:
            check_range("threshold", proposal["value"], 0, 12, low_inclusive=False)
        return proposal["value"]
