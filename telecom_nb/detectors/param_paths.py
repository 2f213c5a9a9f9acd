"""One namespace for every tunable parameter of a detector, its features included.

A detector's own parameters keep their plain names (``contamination``); its feature
extractor's are under ``features.`` (``features.peers``) and a feature part's under
``features.<part>.`` (``features.seasonal.slot_alpha``, ``features.peers.min_peers``).
Dotted names never collide, so a new parameter anywhere cannot change what an existing
name means. For typing convenience a bare name that ends exactly one dotted name is
accepted (``min_peers`` -> ``features.peers.min_peers``); a bare name that ends several is
an error listing them. ``__`` is accepted for ``.`` (scikit-learn's spelling, and the only
one a Python keyword argument can carry). A feature parameter the detector drives with its
own (``weekly``, ``timezone``) has only the detector's name (``features.weekly`` is read as
``weekly``), so two names can never disagree.

The CLI's ``--set``, ``telecom-nb detectors`` and ``Monitor(..., **params)`` all go
through :func:`configure`, so the three accept the same names and validate the same way.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traitlets import HasTraits

from telecom_nb.detectors.base import Detector
from telecom_nb.errors import ParameterError
from telecom_nb.features.base import configure_features
from telecom_nb.params import param_lines, parse_param_text

FEATURES = "features"
#: feature parameters a detector may drive with its own of the same name
DRIVEN = ("kpis", "weekly", "timezone", "holidays", "holiday_like", "day_type")


@dataclass(frozen=True)
class ParamRef:
    """Where a dotted parameter name lives: the class that declares it and its trait."""

    name: str  # canonical: "contamination", "features.peers", "features.seasonal.slot_alpha"
    owner: type[HasTraits]
    trait: str
    value: Any  # current value (a part's default until it is set)

    @property
    def help(self) -> str:
        return str(self.owner.class_traits()[self.trait].help or "")


def param_refs(detector: Detector) -> dict[str, ParamRef]:
    """Every settable parameter of ``detector``, by canonical name, in listing order."""
    refs = {name: ParamRef(name, type(detector), name, getattr(detector, name))
            for name in detector.param_names()}
    features = getattr(detector, "features_", None)
    if features is None or not hasattr(detector, "set_feature_params"):
        return refs
    for name in features.param_names():
        # ``kpis`` and the calendar (``weekly``, ``timezone``) are driven by the detector's
        # own parameters of the same name: one name each, not two that can disagree
        if not (name == "kpis" or (name in DRIVEN and name in refs)):
            refs[f"{FEATURES}.{name}"] = ParamRef(f"{FEATURES}.{name}", type(features), name,
                                                  getattr(features, name))
    for part, cls in getattr(features, "PARTS", {}).items():
        for name in features.part_param_names(part):
            dotted = f"{FEATURES}.{part}.{name}"
            refs[dotted] = ParamRef(dotted, cls, name, features.part_value(part, name))
    return refs


def resolve(refs: Mapping[str, ParamRef], name: str, detector_name: str = "") -> str:
    """The canonical name ``name`` means; one line listing the valid names otherwise."""
    key = name.strip().replace("__", ".")
    if key in refs:
        return key
    driven = key.removeprefix(f"{FEATURES}.")
    if driven in DRIVEN and driven in refs:
        return driven  # ``features.weekly`` of a detector that drives it: its own ``weekly``
    matches = [r for r in refs if r.endswith(f".{key}")]
    if len(matches) == 1:
        return matches[0]
    where = f" for detector {detector_name!r}" if detector_name else ""
    if matches:
        raise ParameterError(f"parameter {name!r}{where} is ambiguous: use one of "
                             f"{', '.join(matches)}")
    leaves = {r.rsplit(".", 1)[-1]: r for r in refs}
    close = difflib.get_close_matches(key.rsplit(".", 1)[-1], list(leaves), n=1, cutoff=0.7)
    hint = f"; did you mean {leaves[close[0]]!r}?" if close else ""
    raise ParameterError(f"unknown parameter {name!r}{where}{hint}; valid: {', '.join(refs)}")


def parse_texts(detector: Detector, texts: Mapping[str, str]) -> dict[str, Any]:
    """``--set`` texts as typed values by canonical name (read by each trait's type)."""
    refs = param_refs(detector)
    label = getattr(detector, "name", type(detector).__name__)
    out = {}
    for name, text in texts.items():
        ref = refs[resolve(refs, name, label)]
        out[ref.name] = parse_param_text(ref.owner, ref.trait, text)
    return out


def configure(detector: Detector, values: Mapping[str, Any]) -> Detector:
    """Set parameters by (dotted, bare-unique or ``__``) name; all validated, or none set.

    Feature parameters are checked on a fresh extractor before anything changes; the
    detector's own are then set atomically; the feature ones cannot fail after that.
    """
    refs = param_refs(detector)
    label = getattr(detector, "name", type(detector).__name__)
    own: dict[str, Any] = {}
    features: dict[str, Any] = {}
    for name, value in values.items():
        canonical = resolve(refs, name, label)
        if canonical.startswith(f"{FEATURES}."):
            features[canonical.removeprefix(f"{FEATURES}.")] = value
        else:
            own[canonical] = value
    for path, value in features.items():  # each on a fresh extractor: nothing changes yet
        try:
            configure_features(detector._make_features(), {path: value})
        except ParameterError as exc:
            leaf, text = path.rsplit(".", 1)[-1], str(exc)
            text = text[len(leaf):] if text.startswith(leaf) else f": {text}"
            raise ParameterError(f"{FEATURES}.{path}{text}") from None
    if own:
        detector.set_params(**own)
    if features:
        detector.set_feature_params(**features)
    return detector


def describe(detector: Detector) -> list[str]:
    """One line per parameter: ``name = value  help`` (what ``telecom-nb detectors`` prints)."""
    return param_lines((r.name, r.value, r.help) for r in param_refs(detector).values())
