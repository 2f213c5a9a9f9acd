"""sklearn-style parameters on top of traitlets.

Parameters are traitlets tagged ``param=True`` so that widgets can ``link`` to
them and code can ``observe`` them, while ``get_params``/``set_params`` behave as
in scikit-learn. Validation happens on assignment: a bad value raises
:class:`~telecom_nb.errors.ParameterError` naming the parameter and the allowed
range, and the old value stays.
"""

from __future__ import annotations

from typing import Any

from traitlets import HasTraits, TraitType

from telecom_nb.errors import ParameterError


def check_range(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> None:
    """Raise ParameterError unless ``low <=/< value <=/< high``."""
    ok = True
    if low is not None:
        ok = ok and (value >= low if low_inclusive else value > low)
    if high is not None:
        ok = ok and (value <= high if high_inclusive else value < high)
    if not ok:
        lo = "-inf" if low is None else f"{low}"
        hi = "inf" if high is None else f"{high}"
        lb = "[" if low_inclusive and low is not None else "("
        hb = "]" if high_inclusive and high is not None else ")"
        raise ParameterError(f"{name} must be in {lb}{lo}, {hi}{hb}; got {value!r}")


class Parametrized(HasTraits):
    """Base for anything with user-tunable parameters (detectors, features, episodes).

    Subclasses declare parameters as traits with ``.tag(param=True)`` and validate
    them with ``@validate("name")`` methods that call :func:`check_range`.
    """

    @classmethod
    def param_names(cls) -> list[str]:
        return sorted(cls.class_traits(param=True))

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """All parameters, as in scikit-learn."""
        return {name: getattr(self, name) for name in self.param_names()}

    def set_params(self, **params: Any) -> Parametrized:
        """Set several parameters atomically: all valid, or none changed."""
        unknown = sorted(set(params) - set(self.param_names()))
        if unknown:
            raise ParameterError(
                f"unknown parameter(s) {', '.join(unknown)} for {type(self).__name__}; "
                f"valid: {', '.join(self.param_names())}"
            )
        old = self.get_params()
        try:
            with self.hold_trait_notifications():
                for name, value in params.items():
                    setattr(self, name, value)
        except Exception:
            # hold_trait_notifications already rolls back on cross-validation
            # errors; restore explicitly for errors raised by plain validation.
            with self.hold_trait_notifications():
                for name, value in old.items():
                    if getattr(self, name) != value:
                        self.set_trait(name, value)
            raise
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


def param_trait(trait: TraitType) -> TraitType:
    """Tag a trait as a user-facing parameter."""
    return trait.tag(param=True)
