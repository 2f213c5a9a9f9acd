"""sklearn-style parameters on top of traitlets.

Parameters are traitlets tagged ``param=True`` so that widgets can ``link`` to
them and code can ``observe`` them, while ``get_params``/``set_params`` behave as
in scikit-learn. Validation happens on assignment: a bad value raises
:class:`~telecom_nb.errors.ParameterError` naming the parameter and the allowed
range, and the old value stays.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from traitlets import Any as AnyTrait
from traitlets import Bool, Enum, Float, HasTraits, Int, List, TraitError, TraitType, Tuple, Unicode

from telecom_nb.errors import ParameterError


def to_timedelta(name: str, value: Any) -> pd.Timedelta:
    """A positive data-time interval from a Timedelta, a string ('1h') or seconds."""
    try:
        td = pd.Timedelta(seconds=value) if isinstance(value, int | float) else pd.Timedelta(
            value
        )
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"{name} must be a positive duration (e.g. '6h' or seconds); got {value!r}"
        ) from exc
    if pd.isna(td) or td <= pd.Timedelta(0):
        raise ParameterError(f"{name} must be a positive duration; got {value!r}")
    return td


def check_known(name: str, values: Iterable[str], known: Sequence[str]) -> None:
    """Refuse a name outside ``known`` (the stream's KPI columns) before it is set: a
    misspelt KPI would otherwise make every later batch fail while the stream runs."""
    unknown = [str(v) for v in values if v not in known]
    if unknown:
        close = difflib.get_close_matches(unknown[0], [str(k) for k in known], n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ParameterError(f"{name}: {unknown[0]!r} is not a KPI of this stream{hint} "
                             f"(its KPIs: {', '.join(map(str, known))})")


def short_duration(span: pd.Timedelta) -> str:
    """``1D``, ``6h``, ``45min`` (what a text box or a listing shows and ``--set`` and
    ``pd.Timedelta`` read back)."""
    for unit, size in (("D", pd.Timedelta("1D")), ("h", pd.Timedelta("1h")),
                       ("min", pd.Timedelta("1min"))):
        if span >= size and span % size == pd.Timedelta(0):
            return f"{span // size}{unit}"
    return str(span)


def param_lines(rows: Iterable[tuple[str, Any, str]]) -> list[str]:
    """``name = value  help`` lines, aligned (what ``telecom-nb detectors`` prints); a
    duration is shown as ``--set`` takes it back (``1D``, ``45min``)."""
    lefts = [(f"{name} = {short_duration(v) if isinstance(v, pd.Timedelta) else repr(v)}", h)
             for name, v, h in rows]
    width = max((len(left) for left, _ in lefts), default=0)
    return [f"{left:<{width}}  {text}".rstrip() for left, text in lefts]


def ticks_or_duration(name: str, value: Any) -> int | pd.Timedelta:
    """A whole number of ticks (``3``, ``"3"``) or a positive duration (``"45min"``):
    how long a stream must behave before something happens, whatever its cadence."""
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be ticks (e.g. 3) or a duration (e.g. '45min'); "
                             f"got {value!r}")
    text = value.strip() if isinstance(value, str) else value
    if (isinstance(text, str) and text.isdigit()) or isinstance(text, int | np.integer):
        check_range(name, int(text), 1)
        return int(text)
    if isinstance(text, float):
        raise ParameterError(f"{name} must be whole ticks (e.g. 3) or a duration "
                             f"(e.g. '45min'); got {value!r}")
    return to_timedelta(name, text)


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


class TextTrait(TraitType):
    """A trait whose text form (``--set``, a text box) its own ``validate`` reads, so a bad
    text gets the same one-line message naming the parameter as a bad value."""

    def from_string(self, s: str):
        try:
            return self.validate(None, s)
        except ParameterError as exc:
            raise TraitError(str(exc)) from None


#: texts that set a None-able parameter to None ("automatic"), whatever the trait's type
NONE_TEXTS = ("none", "null", "auto")
_TRUE_TEXTS = ("1", "true", "yes", "on")
_FALSE_TEXTS = ("0", "false", "no", "off")


def parse_param_text(
    owner: HasTraits | type[HasTraits], name: str, text: Any, *, empty_means_none: bool = False
) -> Any:
    """The value a text means for parameter ``name`` of ``owner``, by the trait's type.

    One reading of text for every place a person types a parameter (``--set NAME=VALUE``,
    the dashboard's text boxes), so both accept the same spellings. This only converts:
    ranges are checked by the trait's validator when the value is assigned, and a type
    without a spelling of its own (e.g. a Timedelta held by ``Any``) is passed on as text
    for that validator to parse. ``none``/``null``/``auto`` (and the empty text when
    ``empty_means_none``, as in a text box) mean None for a parameter declared None-able.
    Raises ParameterError naming the parameter.
    """
    traits = owner.class_traits() if isinstance(owner, type) else owner.traits()
    if name not in traits:
        raise ParameterError(f"unknown parameter {name!r} for {_owner_name(owner)}")
    trait = traits[name]
    text = str(text).strip()
    if isinstance(trait, AnyTrait):
        # Any allows None by default, and traitlets assigns None to a trait that allows it
        # without calling its validator: mapping "auto" to None here would let a typo
        # through as None. The text goes to the validator instead.
        return text
    optional = bool(getattr(trait, "allow_none", False))
    if optional and (text.lower() in NONE_TEXTS or (empty_means_none and not text)):
        return None
    automatic = ""
    if optional:
        automatic = ", or empty for automatic" if empty_means_none else ", or none/auto"
    if isinstance(trait, (List, Tuple)):
        inner = getattr(trait, "_trait", None)
        items = [_scalar(inner, name, s.strip(), automatic) if inner is not None else s.strip()
                 for s in text.split(",") if s.strip()]
        return tuple(items) if isinstance(trait, Tuple) else items
    return _scalar(trait, name, text, automatic)


def _scalar(trait: TraitType, name: str, text: str, automatic: str) -> Any:
    """One value of a scalar trait; ``automatic`` is the hint appended to errors."""
    if isinstance(trait, Bool):
        if text.lower() in _TRUE_TEXTS:
            return True
        if text.lower() in _FALSE_TEXTS:
            return False
        raise ParameterError(f"{name} must be true or false{automatic}; got {text!r}")
    if isinstance(trait, Int):
        try:
            return int(text)
        except ValueError:
            raise ParameterError(f"{name} must be an integer{automatic}; got {text!r}") from None
    if isinstance(trait, Float):
        try:
            return float(text)
        except ValueError:
            raise ParameterError(f"{name} must be a number{automatic}; got {text!r}") from None
    if isinstance(trait, Enum):
        for value in trait.values or ():
            if str(value) == text:
                return value
        choices = ", ".join(str(v) for v in trait.values or ())
        raise ParameterError(f"{name} must be one of {choices}{automatic}; got {text!r}")
    if isinstance(trait, Unicode):
        return text
    try:
        return trait.from_string(text)
    except (TraitError, ValueError) as exc:
        raise ParameterError(f"{name}: cannot read {text!r} ({exc})") from None


def _owner_name(owner: HasTraits | type[HasTraits]) -> str:
    return owner.__name__ if isinstance(owner, type) else type(owner).__name__
