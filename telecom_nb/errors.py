"""Errors a user can act on: each names the column, row or parameter at fault."""

from __future__ import annotations

from traitlets import TraitError


class OneLine:
    """In a notebook cell the error shows as its one line, not a screen of frames: IPython
    renders an exception by ``_render_traceback_`` when it has one. Python's own traceback
    (scripts, ``%debug``, tests) is unchanged."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class KpiInputError(OneLine, ValueError):
    """A KPI table or batch that cannot be used as given (bad column, row or value).

    ``reason`` is a short stable key (e.g. ``"late batch"``) under which a stream counts
    the batches it rejected; the message is what a person reads.
    """

    def __init__(self, message: str, *, reason: str = "invalid input") -> None:
        super().__init__(message)
        self.reason = reason


class ParameterError(OneLine, TraitError, ValueError):
    """A parameter set out of its allowed range.

    Subclasses both ``ValueError`` (what a Python user expects) and traitlets'
    ``TraitError`` (so traitlets and ipywidgets treat it as a validation failure).
    """
