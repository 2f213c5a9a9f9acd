"""Learned state as data only: a JSON tree plus named numpy arrays, never a pickle.

:func:`capture` walks an object's attributes generically -- a new state array added to a
feature extractor is picked up without being listed anywhere -- and turns them into
JSON-able nodes (scalars, timestamps, tuples, dicts, random-generator states) and plain
numeric / string arrays (object arrays of text become fixed-width unicode). Nested objects
of this package are walked too; an object seen twice is stored once (a shared sector
index stays shared). :func:`restore` writes such a tree back *into objects built the
normal way* (structure from parameters, state from data): it only sets attributes the
target already has, with values of the same kind, and creates no object but the few
data holders in :data:`BLANK`. A model is kept as the inputs of its fit and refitted.

A class may list the attributes that hold its state in ``_state_attrs`` (the simulator
does: everything else in it is derived from its parameters); otherwise every attribute
is state except the caches named in :data:`TRANSIENT`. A class whose arrays changed
storage type may take older checkpoints' arrays through ``converted_state(name, data)``
(a float table of another float width is cast to the object's without asking: float32
per-sector tables read float64 checkpoints);
one that gained state arrays names them in ``_state_added`` and derives them for an older
checkpoint in ``derive_added_state(names)`` (after the rest is restored); one that keeps
caches of its state forgets them in ``state_changed()``, called last.
What cannot be stored raises :class:`StateError` naming the attribute, so nothing is
silently left out.
"""

from __future__ import annotations

import dataclasses
import types
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from traitlets import HasTraits

from telecom_nb.detectors.fit_inputs import FitInputs, Fitted
from telecom_nb.detectors.window import SampleWindow
from telecom_nb.features.base import FeatureExtractor

#: per-batch caches and wiring: rebuilt by the next batch, never state
TRANSIENT = frozenset({
    "_last", "_cache", "_season_z", "_run_dev", "_last_ids", "_last_pos", "_last_arrow",
    "_prev_sectors", "_prev_codes", "_own_links", "_detector_links", "last_alert_score_",
    "_spare", "_prefetched", "_closed_view", "_codes_of", "_near_rows", "_good_side",
    "_row_token", "_row_cache", "_names_memo", "_counted", "_lent", "_site_mask",
    "_crowd_pieces", "_crowd_pending",
})
#: data holders that :func:`restore` may create when the fresh target has none yet
BLANK: dict[str, Callable[[], Any]] = {"SampleWindow": lambda: SampleWindow(1, 1)}


class StateError(ValueError):
    """State that cannot be captured or does not fit the object it is restored into."""


def _qualname(obj: object) -> str:
    return type(obj).__qualname__


def _ours(obj: object) -> bool:
    return type(obj).__module__.startswith("telecom_nb.")


class _Writer:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.arrays: dict[str, np.ndarray] = {}
        self.seen: dict[int, str] = {}

    def array(self, value: np.ndarray, path: str, kind: str) -> dict[str, Any]:
        if value.dtype == object:
            value = np.asarray(value.astype(str))  # text only: anything else is refused
            if kind == "array":
                kind = "object"
        if value.dtype.hasobject:
            raise StateError(f"{path}: array of dtype {value.dtype} is not plain data")
        key = f"{self.prefix}:{len(self.arrays)}"
        self.arrays[key] = np.ascontiguousarray(value)
        return {"$a": key, "kind": kind}

    def node(self, value: Any, path: str) -> Any:
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, np.generic | int | float):
            item = value.item() if isinstance(value, np.generic) else value
            if isinstance(item, bool | int | float | str):
                return item
        if isinstance(value, np.ndarray):
            return self.array(value, path, "array")
        if isinstance(value, pd.Index):
            return self.array(value.to_numpy(), path, "index")
        if isinstance(value, pa.Array):
            if not pa.types.is_string(value.type) and not pa.types.is_large_string(value.type):
                raise StateError(f"{path}: arrow array of type {value.type} is not supported")
            return self.array(np.asarray(value.to_pylist(), dtype=str), path, "arrow")
        if isinstance(value, pd.Timestamp):
            return {"$ts": int(value.value), "tz": None if value.tz is None else str(value.tz)}
        if isinstance(value, pd.Timedelta):
            return {"$td": int(value.value)}
        if isinstance(value, np.random.Generator):
            return {"$rng": value.bit_generator.state}
        if isinstance(value, Counter):
            return {"$counter": {str(k): int(v) for k, v in value.items()}}
        if isinstance(value, deque):
            return {"$deque": [self.node(v, f"{path}[]") for v in value], "maxlen": value.maxlen}
        if isinstance(value, tuple):
            return {"$tuple": [self.node(v, f"{path}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.node(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise StateError(f"{path}: a dict with non-text keys")
            return {"$map": {k: self.node(v, f"{path}.{k}") for k, v in value.items()}}
        if isinstance(value, Fitted):
            if value.inputs is None:
                raise StateError(f"{path}: a model without its fit inputs cannot be refitted")
            return {"$fitted": self.node(value.inputs, f"{path}.inputs")}
        if _ours(value):
            return self.obj(value, path)
        raise StateError(f"{path}: cannot store a {type(value).__module__}.{_qualname(value)}")

    def obj(self, obj: Any, path: str) -> dict[str, Any]:
        if id(obj) in self.seen:
            return {"$ref": self.seen[id(obj)]}
        self.seen[id(obj)] = path
        traits: dict[str, Any] = {}
        if isinstance(obj, HasTraits):
            for name in obj.trait_names():
                traits[name] = self.node(getattr(obj, name), f"{path}.{name}")
        attrs = {name: self.node(value, f"{path}.{name}")
                 for name, value in _state_items(obj)}
        return {"$obj": _qualname(obj), "traits": traits, "attrs": attrs}


def _state_items(obj: Any) -> list[tuple[str, Any]]:
    names = getattr(obj, "_state_attrs", None)
    if names is not None:
        return [(n, getattr(obj, n)) for n in names]
    if dataclasses.is_dataclass(obj):
        return [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]
    return [(n, v) for n, v in vars(obj).items()
            if n not in TRANSIENT and not n.startswith("_trait") and n != "_cross_validation_lock"
            and not isinstance(v, types.FunctionType | types.MethodType)]


def capture(obj: Any, path: str = "state") -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``obj``'s state as (JSON tree, arrays); raises :class:`StateError` naming what failed."""
    writer = _Writer(path)
    tree = writer.obj(obj, path)
    return tree, writer.arrays


# ------------------------------------------------------------------------------- restore
class _Reader:
    def __init__(self, arrays: dict[str, np.ndarray], refit: bool = True) -> None:
        self.arrays = arrays
        self.refit = refit  # False: a dry run that checks the tree, fits no model

    def value(self, node: Any, current: Any, path: str, owner: Any = None) -> Any:
        if not isinstance(node, dict):
            if isinstance(node, list):
                if isinstance(current, list) and len(current) == len(node) and node and all(
                        isinstance(n, dict) and "$obj" in n for n in node):
                    for i, (n, c) in enumerate(zip(node, current, strict=True)):
                        self.into(c, n, f"{path}[{i}]")
                    return current
                return [self.value(n, None, f"{path}[{i}]") for i, n in enumerate(node)]
            return node
        if "$a" in node:
            return self.array(node, current, path, owner)
        if "$ts" in node:
            ts = pd.Timestamp(int(node["$ts"]))
            return ts.tz_localize("UTC").tz_convert(node["tz"]) if node["tz"] else ts
        if "$td" in node:
            return pd.Timedelta(int(node["$td"]))
        if "$rng" in node:
            if not isinstance(current, np.random.Generator):
                raise StateError(f"{path}: a random generator where the object has none")
            current.bit_generator.state = node["$rng"]  # validated by numpy
            return current
        if "$counter" in node:
            return Counter({k: int(v) for k, v in node["$counter"].items()})
        if "$deque" in node:
            return deque((self.value(v, None, path) for v in node["$deque"]),
                         maxlen=node["maxlen"])
        if "$tuple" in node:
            return tuple(self.value(v, None, path) for v in node["$tuple"])
        if "$map" in node:
            return {k: self.value(v, None, f"{path}.{k}") for k, v in node["$map"].items()}
        if "$fitted" in node:
            inputs = self.value(node["$fitted"], FitInputs(np.zeros((0, 0)), {}, False, None),
                                f"{path}.inputs")
            if owner is None or not hasattr(owner, "fit_inputs"):
                raise StateError(f"{path}: a model whose owner cannot refit it")
            return owner.fit_inputs(inputs) if self.refit else None
        if "$ref" in node:
            return current  # shared objects are shared by construction: restored once
        if "$obj" in node:
            if current is None and node["$obj"] in BLANK:
                current = BLANK[node["$obj"]]()
            if current is None or _qualname(current) != node["$obj"]:
                raise StateError(f"{path}: stored {node['$obj']}, found {_qualname(current)}")
            return self.into(current, node, path)
        raise StateError(f"{path}: unknown node {sorted(node)}")

    def array(self, node: dict[str, Any], current: Any, path: str, owner: Any = None) -> Any:
        try:
            data = self.arrays[node["$a"]]
        except KeyError:
            raise StateError(f"{path}: array {node['$a']} missing") from None
        kind = node["kind"]
        if kind == "index":
            return pd.Index(data.astype(object), dtype=object)
        if kind == "arrow":
            return pa.array(data.astype(object), type=getattr(current, "type", pa.large_string()))
        if kind == "object":
            return data.astype(object)
        convert = getattr(owner, "converted_state", None)
        if isinstance(current, np.ndarray) and current.dtype != data.dtype and convert:
            # a table whose storage changed since the checkpoint (its owner converts)
            data = convert(path.rsplit(".", 1)[-1], data)
        if (isinstance(current, np.ndarray) and current.dtype != data.dtype
                and current.dtype.kind == data.dtype.kind == "f"):
            data = data.astype(current.dtype)  # a table since stored narrower (or wider)
        if isinstance(current, np.ndarray) and current.dtype != data.dtype:
            raise StateError(f"{path}: stored dtype {data.dtype}, the object has {current.dtype}")
        return data.copy()  # writable, owned

    def into(self, obj: Any, node: dict[str, Any], path: str) -> Any:
        if dataclasses.is_dataclass(obj) and obj.__dataclass_params__.frozen:
            values = {k: self.value(v, getattr(obj, k, None), f"{path}.{k}")
                      for k, v in node["attrs"].items()}
            return dataclasses.replace(obj, **values)
        if isinstance(obj, HasTraits):
            self._traits(obj, node.get("traits", {}), path)
        attrs = node.get("attrs", {})
        _prepare(obj, attrs, self)
        missing: list[str] = []
        if not hasattr(obj, "_state_attrs"):
            missing = sorted({n for n, _ in _state_items(obj)} - set(attrs))
            unknown = [n for n in missing if n not in getattr(obj, "_state_added", ())]
            if unknown:  # e.g. a state array added to the code after the checkpoint
                raise StateError(f"{path}: no stored value for {', '.join(unknown)}")
        for name, sub in attrs.items():
            if name in TRANSIENT:
                continue
            if not hasattr(obj, name):
                raise StateError(f"{path}.{name}: the object has no such attribute")
            setattr(obj, name, self.value(sub, getattr(obj, name), f"{path}.{name}", owner=obj))
        if missing:  # state the class derives for checkpoints older than it (``_state_added``)
            obj.derive_added_state(missing)
        forget = getattr(obj, "state_changed", None)
        if callable(forget):  # its caches (TRANSIENT) were of the state replaced above
            forget()
        return obj

    def _traits(self, obj: HasTraits, traits: dict[str, Any], path: str) -> None:
        # parameters first, through their validation, then fitted-state traits
        params = set(getattr(obj, "param_names", lambda: [])())
        values = {k: self.value(v, None, f"{path}.{k}") for k, v in traits.items()}
        unknown = sorted(set(values) - set(obj.trait_names()))
        if unknown:
            raise StateError(f"{path}: no parameter {', '.join(unknown)}")
        if params:
            obj.set_params(**{k: v for k, v in values.items() if k in params})
        for k, v in values.items():
            if k not in params and getattr(obj, k) != v:
                setattr(obj, k, v)


def _prepare(obj: Any, attrs: dict[str, Any], reader: _Reader) -> None:
    """A feature extractor builds its state arrays when it learns its KPI list: do that."""
    if isinstance(obj, FeatureExtractor):
        kpis = reader.value(attrs.get("kpis_"), None, "kpis_")
        if kpis is not None and obj.kpis_ != tuple(kpis):
            obj.bind(tuple(kpis))


def restore(obj: Any, tree: dict[str, Any], arrays: dict[str, np.ndarray],
            path: str = "state", *, refit: bool = True) -> Any:
    """Write a captured tree back into ``obj`` (built the normal way); returns it.

    ``refit=False`` checks that the tree fits ``obj`` without fitting any model (a dry
    run into a scratch object, so that a bad checkpoint never half-restores a live one).
    """
    if not isinstance(tree, dict) or tree.get("$obj") != _qualname(obj):
        found = tree.get("$obj") if isinstance(tree, dict) else type(tree).__name__
        raise StateError(f"{path}: stored {found}, restoring into {_qualname(obj)}")
    return _Reader(arrays, refit).into(obj, tree, path)
