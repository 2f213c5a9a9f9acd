"""The forest-size parameter shared by the detectors built on sklearn's IsolationForest."""

from __future__ import annotations

from traitlets import HasTraits, Int, validate

from telecom_nb.params import check_range, param_trait


class ForestParams(HasTraits):
    """Mixin: ``n_estimators``, validated like every other parameter."""

    n_estimators = param_trait(Int(100, help="trees in the forest"))

    @validate("n_estimators")
    def _v_n_estimators(self, proposal):
        check_range("n_estimators", proposal["value"], 1, 5000)
        return proposal["value"]
