"""``parse_param_text``: the one reading of typed text for ``--set`` and the dashboard."""

from __future__ import annotations

import pandas as pd
import pytest
from traitlets import Any as AnyTrait
from traitlets import Bool, Enum, Float, Int, List, Tuple, Unicode, validate

from telecom_nb.errors import ParameterError
from telecom_nb.params import Parametrized, param_trait, parse_param_text


class Knobs(Parametrized):
    """One parameter of every kind of trait the detectors use, and a few more."""

    flag = param_trait(Bool(False))
    maybe_flag = param_trait(Bool(None, allow_none=True))
    count = param_trait(Int(3))
    seed = param_trait(Int(0, allow_none=True))
    rate = param_trait(Float(0.1))
    threshold = param_trait(Float(None, allow_none=True))
    label = param_trait(Unicode("a"))
    mode = param_trait(Enum(["fast", "exact", 3], default_value="fast"))
    kpis = param_trait(List(Unicode(), default_value=None, allow_none=True))
    sizes = param_trait(List(Int(), default_value=[1]))
    pair = param_trait(Tuple(Unicode(), Unicode(), default_value=("a", "b")))
    interval = param_trait(AnyTrait(pd.Timedelta("1h")))

    @validate("interval")
    def _check_interval(self, proposal):
        value = proposal["value"]
        try:
            interval = pd.Timedelta(value)
        except (TypeError, ValueError):
            interval = pd.NaT
        if pd.isna(interval):
            raise ParameterError(f"interval must be a duration; got {value!r}")
        return interval


@pytest.fixture
def knobs() -> Knobs:
    return Knobs()


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("flag", "true", True), ("flag", " Yes ", True), ("flag", "1", True),
        ("flag", "on", True), ("flag", "false", False), ("flag", "NO", False),
        ("flag", "0", False), ("flag", "off", False),
        ("maybe_flag", "auto", None), ("maybe_flag", "true", True),
        ("count", "7", 7), ("count", " -2 ", -2),
        ("seed", "none", None), ("seed", "Null", None), ("seed", "42", 42),
        ("rate", "0.25", 0.25), ("rate", "1e-3", 0.001),
        ("threshold", "AUTO", None), ("threshold", "4", 4.0),
        ("label", "hello world", "hello world"), ("label", "", ""),
        ("mode", "exact", "exact"), ("mode", "3", 3),
        ("kpis", "prb_pct, throughput_mbps,", ["prb_pct", "throughput_mbps"]),
        ("kpis", "none", None), ("kpis", "", []),
        ("sizes", "1, 2,3", [1, 2, 3]),
        ("pair", "x,y", ("x", "y")),
        ("interval", "6h", "6h"),  # Any: passed on, the validator parses it
    ],
)
def test_each_trait_kind_reads_its_spellings(knobs, name, text, expected):
    value = parse_param_text(knobs, name, text)
    assert value == expected and type(value) is type(expected)


def test_the_class_works_as_owner_too():
    assert parse_param_text(Knobs, "count", "5") == 5


def test_empty_means_none_only_when_asked(knobs):
    """A text box's empty value is 'automatic'; on the command line it is not a value."""
    assert parse_param_text(knobs, "threshold", "", empty_means_none=True) is None
    assert parse_param_text(knobs, "seed", "  ", empty_means_none=True) is None
    with pytest.raises(ParameterError, match="threshold must be a number, or none/auto; got ''"):
        parse_param_text(knobs, "threshold", "")
    with pytest.raises(ParameterError, match="count must be an integer; got ''"):
        parse_param_text(knobs, "count", "", empty_means_none=True)  # not None-able


def test_none_words_are_plain_text_for_a_parameter_that_cannot_be_none(knobs):
    assert parse_param_text(knobs, "label", "auto") == "auto"
    with pytest.raises(ParameterError) as info:
        parse_param_text(knobs, "rate", "none")
    assert str(info.value) == "rate must be a number; got 'none'"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("flag", "maybe", "flag must be true or false; got 'maybe'"),
        ("maybe_flag", "maybe", "maybe_flag must be true or false, or none/auto; got 'maybe'"),
        ("count", "1.5", "count must be an integer; got '1.5'"),
        ("seed", "x", "seed must be an integer, or none/auto; got 'x'"),
        ("rate", "fast", "rate must be a number; got 'fast'"),
        ("threshold", "abc", "threshold must be a number, or none/auto; got 'abc'"),
        ("mode", "slow", "mode must be one of fast, exact, 3; got 'slow'"),
        ("sizes", "1,two", "sizes must be an integer; got 'two'"),
        ("nonsense", "1", "unknown parameter 'nonsense' for Knobs"),
    ],
)
def test_errors_name_the_parameter_and_the_text(knobs, name, text, message):
    with pytest.raises(ParameterError) as info:
        parse_param_text(knobs, name, text)
    assert str(info.value) == message


def test_dashboard_hint_says_empty_is_automatic(knobs):
    with pytest.raises(ParameterError) as info:
        parse_param_text(knobs, "threshold", "abc", empty_means_none=True)
    assert str(info.value) == "threshold must be a number, or empty for automatic; got 'abc'"


@pytest.mark.parametrize("empty_means_none", [False, True])
def test_the_validator_still_decides_on_assignment(knobs, empty_means_none):
    """Conversion checks the spelling only; the trait's validator checks the value.

    An Any trait allows None by default and traitlets assigns None to such a trait without
    asking its validator, so 'auto' or an empty box must reach the validator as text.
    """
    def typed(text: str):
        return parse_param_text(knobs, "interval", text, empty_means_none=empty_means_none)

    knobs.interval = typed(" 6h ")
    assert knobs.interval == pd.Timedelta("6h")
    for text in ("soon", "auto", "none", "None", ""):
        with pytest.raises(ParameterError, match="interval"):
            knobs.interval = typed(text)
        assert knobs.interval == pd.Timedelta("6h")


def test_real_detector_parameters_read_as_before():
    from telecom_nb.detectors import available_detectors, make_detector

    det = make_detector("robust_z" if "robust_z" in available_detectors() else "iforest")
    values = {name: parse_param_text(det, name, text) for name, text in [
        ("heavy_tails", "false"), ("threshold", "4"), ("kpis", "prb_pct,payload_mb"),
        ("retrain_interval", "6h"), ("random_state", "none")] if name in det.param_names()}
    det.set_params(**values)
    for name, value in values.items():
        expected = pd.Timedelta(value) if name == "retrain_interval" else value
        assert getattr(det, name) == expected
    if "retrain_interval" in det.param_names():  # a dashboard box, assigned directly
        for text in ("", "auto"):
            with pytest.raises(ParameterError, match="retrain_interval"):
                det.retrain_interval = parse_param_text(det, "retrain_interval", text,
                                                        empty_means_none=True)
        assert det.retrain_interval == pd.Timedelta("6h")
