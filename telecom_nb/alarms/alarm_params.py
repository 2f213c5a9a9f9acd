"""The alarm stage's parameters by name, beside the detector's (``--set alarms.close_after=6``).

A detector's and its features' parameters are named by
:mod:`telecom_nb.detectors.param_paths`; the hysteresis of the alarm stage (open after,
close after, escalation, closed episodes kept) belongs to no detector, so it has its own
prefix, ``alarms.``. The bare names are accepted too (no detector parameter uses them).
``contamination`` / ``threshold`` stay the detector's names: the chain is linked to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from telecom_nb.alarms.chain import AlarmChain
from telecom_nb.alarms.episode_params import EPISODE_PARAMS
from telecom_nb.errors import ParameterError
from telecom_nb.params import param_lines, parse_param_text

PREFIX = "alarms."


def alarm_name(name: str) -> str | None:
    """The alarm parameter ``name`` means (``alarms.close_after``, ``close_after``,
    ``alarms__close_after``), None for any other name; an unknown ``alarms.`` name fails."""
    key = name.strip().replace("__", ".")
    if key.startswith(PREFIX):
        leaf = key.removeprefix(PREFIX)
        if leaf not in EPISODE_PARAMS:
            raise ParameterError(f"unknown parameter {name!r}; the alarm stage has "
                                 f"{', '.join(PREFIX + p for p in EPISODE_PARAMS)}")
        return leaf
    return key if key in EPISODE_PARAMS else None


def split_alarm_params(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``values`` as (the detector's, the alarm stage's by bare name)."""
    detector: dict[str, Any] = {}
    alarms: dict[str, Any] = {}
    for name, value in values.items():
        leaf = alarm_name(name)
        if leaf is None:
            detector[name] = value
        else:
            alarms[leaf] = value
    return detector, alarms


def parse_alarm_texts(texts: Mapping[str, str]) -> dict[str, Any]:
    """``--set`` texts of the alarm stage as typed values, validated (one line if not)."""
    values = {name: parse_param_text(AlarmChain, name, text) for name, text in texts.items()}
    chain = AlarmChain(**values)  # the traits' validators: ranges fail here, before any work
    return {name: getattr(chain, name) for name in values}  # as validated ("6" -> 6 ticks)


def describe_alarms() -> list[str]:
    """One line per alarm parameter (``telecom-nb detectors`` prints them once)."""
    chain, traits = AlarmChain(), AlarmChain.class_traits()
    return param_lines((f"{PREFIX}{name}", getattr(chain, name), str(traits[name].help or ""))
                       for name in EPISODE_PARAMS)
