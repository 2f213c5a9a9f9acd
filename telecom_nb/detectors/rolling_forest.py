"""A rolling forest: a retrain rebuilds only the oldest ``forest_refresh`` of the trees.

One series retrains every one to eight weeks of data time once its window is full
(``retrain_turnover``), and each retrain rebuilt all ``n_estimators`` trees (the per-tree
draws and sklearn's builder: about half of a retrain's CPU). An Isolation Forest is an
average of independent trees, each on its own 256-row subsample: a tree fitted a retrain
ago on the window of then is as good a member as one fitted now on a window that shares
most of its rows. So a retrain may keep the newest ``(1 - forest_refresh) * n_estimators``
trees of the installed forest and fit only the rest on the current window; each tree then
lives ``1 / forest_refresh`` retrains.
The calibrations (nulls, tails, joint, the window's forest scores) are refitted as before.

The kept trees travel in the fit's parameters as plain arrays (:func:`kept_trees`), so a
fit stays a function of its inputs and a checkpoint refits the same forest.
``forest_refresh`` 1 (the default) rebuilds every tree: the forest as before, bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from traitlets import Float, HasTraits, validate

from telecom_nb.detectors.flat_forest import FlatForest
from telecom_nb.detectors.forest_fit import fit_flat_forest
from telecom_nb.params import check_range, param_trait

#: the kept trees' arrays in a fit's parameters (see :func:`kept_trees`)
KEPT = "kept_trees"


class RollingForestParams(HasTraits):
    """Mixin: ``forest_refresh``, the share of trees a retrain rebuilds."""

    forest_refresh = param_trait(Float(1.0, help=(
        "share of the forest's trees rebuilt at a retrain, the oldest first; the rest "
        "are kept from the installed model (1 = a new forest at every retrain)")))

    @validate("forest_refresh")
    def _v_forest_refresh(self, proposal):
        check_range("forest_refresh", proposal["value"], 0.0, 1.0, low_inclusive=False)
        return proposal["value"]


def n_rebuilt(n_estimators: int, refresh: float) -> int:
    """Trees a retrain fits when a forest of ``n_estimators`` is installed (at least 1)."""
    return min(n_estimators, max(1, round(refresh * n_estimators)))


def kept_trees(forest: FlatForest | None, columns: np.ndarray | None, n_estimators: int,
               refresh: float) -> dict[str, Any] | None:
    """The newest trees of the installed ``forest`` a retrain keeps, as plain arrays
    (None: rebuild all). ``columns``: the window columns the forest read (None: all)."""
    if forest is None or refresh >= 1.0:
        return None
    keep = min(n_estimators - n_rebuilt(n_estimators, refresh), len(forest.feature))
    if keep <= 0:
        return None
    # copies: a view would keep the installed forest's whole arrays alive with the inputs
    return {"feature": forest.feature[-keep:].copy(),
            "threshold": forest.threshold[-keep:].copy(),
            "value": forest.value[-keep:].copy(), "depth": forest.depth,
            "max_samples": forest.max_samples, "n_features": forest.n_features,
            "columns": np.arange(-1) if columns is None else np.asarray(columns, np.int64)}


def rolled_forest(x: np.ndarray, kept: dict[str, Any] | None, columns: np.ndarray | None,
                  n_estimators: int, random_state: int | None) -> FlatForest:
    """The forest of a retrain on the forest input ``x``: ``kept`` trees (oldest first)
    plus new ones up to ``n_estimators``; a new forest where the kept trees do not fit
    (other columns, another subsample size: a window younger than 256 rows)."""
    cols = np.arange(-1) if columns is None else np.asarray(columns, np.int64)
    n_kept = 0 if kept is None else len(kept["feature"])
    usable = (0 < n_kept < n_estimators and int(kept["n_features"]) == x.shape[1]
              and int(kept["max_samples"]) == min(256, len(x))
              and np.array_equal(np.asarray(kept["columns"]), cols))
    if not usable:
        return fit_flat_forest(x, n_estimators=n_estimators, random_state=random_state)
    new = fit_flat_forest(x, n_estimators=n_estimators - n_kept, random_state=random_state)
    return FlatForest.joined(kept, new)
