"""Parameters of a pipeline's parts, kept across rebuilds.

A pipeline rebuilds its parts whenever its structure changes (first batch, KPI list, a
switch), so a part's own parameters (``seasonal.slot_alpha``) cannot live on the part:
they are validated on a fresh part, kept in ``part_params`` and handed to every rebuild.
"""

from __future__ import annotations

from typing import Any, ClassVar

from telecom_nb.errors import ParameterError


class PartParams:
    """Mixin for a pipeline with ``PARTS`` (name -> part class), ``DRIVEN`` (name -> the
    part parameters the pipeline sets itself), ``part_params``, ``kpis_`` and ``_reset``."""

    PARTS: ClassVar[dict[str, type]] = {}
    DRIVEN: ClassVar[dict[str, tuple[str, ...]]] = {}
    part_params: dict[str, dict[str, Any]]

    @classmethod
    def part_param_names(cls, part: str) -> list[str]:
        """The parameters of ``part`` that are set per part (not driven from here)."""
        driven = cls.DRIVEN.get(part, ())
        return [n for n in cls.PARTS[part].param_names() if n not in driven]

    def set_part_params(self, part: str, **params: Any) -> None:
        """Validate on a fresh part, keep for every rebuild; a bound pipeline starts over
        (as for a structure switch: learned state used the old values)."""
        if part not in self.PARTS:
            raise ParameterError(f"unknown feature part {part!r}; parts: {', '.join(self.PARTS)}")
        allowed = self.part_param_names(part)
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise ParameterError(f"unknown parameter(s) {', '.join(unknown)} for features.{part}; "
                                 f"valid: {', '.join(allowed)}")
        merged = {**self.part_params.get(part, {}), **params}
        self.PARTS[part](**merged)  # raises ParameterError naming the parameter
        self.part_params[part] = merged
        if self.kpis_ is not None:
            self._reset()

    def part_value(self, part: str, name: str) -> Any:
        """A part parameter's value: set here, else the part's default."""
        if name in self.part_params.get(part, {}):
            return self.part_params[part][name]
        return self.PARTS[part].class_traits()[name].default()
