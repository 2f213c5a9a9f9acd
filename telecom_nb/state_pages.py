"""Write every page of a live object's numpy state, so RSS reads what an old stream holds.

Zero-filled tables (the weekday table, the slot tables, the sector history's ring) are
``np.zeros`` buffers: the OS maps a page only when a tick first writes it, so a stream's
RSS grows for a week as the week's slots fill (a 100k-sector stream: ~870 MB after a few
ticks, ~1,540 MB once every weekday slot was written). A benchmark that reads RSS after a
few ticks measures a young stream; :func:`write_every_page` rewrites one byte of each page
of every array reachable from an object with its own value (no number changes), so the RSS
read after it is the old stream's.
"""

from __future__ import annotations

import types

import numpy as np

#: bytes per page (the kernel's page; 4 KiB where it cannot be read)
try:
    import mmap

    PAGE = mmap.PAGESIZE
except ImportError:  # pragma: no cover - every supported platform has mmap
    PAGE = 4096

#: sequences longer than this are not walked (per-sector strings, not state arrays)
LONGEST_SEQUENCE = 10_000

_SKIPPED = (
    str,
    bytes,
    int,
    float,
    complex,
    bool,
    type(None),
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
)


def owned_arrays(root: object, depth: int = 16) -> list[np.ndarray]:
    """The writeable numpy buffers that own their memory, reachable from ``root``
    through attributes, slots, dicts, lists and tuples (each buffer once; arrays of
    Python objects are references, not state pages, and are left out)."""
    found: dict[int, np.ndarray] = {}
    seen: set[int] = set()
    stack: list[tuple[object, int]] = [(root, 0)]
    while stack:
        obj, level = stack.pop()
        if id(obj) in seen or isinstance(obj, _SKIPPED) or level > depth:
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            while isinstance(obj.base, np.ndarray):  # a view: its owner
                obj = obj.base
            if obj.base is None and obj.flags.writeable and obj.nbytes and not obj.dtype.hasobject:
                found[id(obj)] = obj
            continue
        if isinstance(obj, dict):
            children = list(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            children = list(obj) if len(obj) <= LONGEST_SEQUENCE else []
        else:
            children = list(getattr(obj, "__dict__", {}).values())
            for cls in type(obj).__mro__:
                for slot in cls.__dict__.get("__slots__", ()):
                    if isinstance(slot, str) and hasattr(obj, slot):
                        children.append(getattr(obj, slot))
        stack.extend((child, level + 1) for child in children)
    return list(found.values())


def write_every_page(root: object) -> int:
    """Rewrite one byte per page of every array :func:`owned_arrays` finds with its own
    value (the arrays' contents do not change); the bytes those arrays span."""
    total = 0
    for array in owned_arrays(root):
        flat = array.reshape(-1, order="A").view(np.uint8)  # an owner is contiguous: a view
        flat[::PAGE] = flat[::PAGE].copy()
        flat[-1:] = flat[-1:].copy()  # the last page, where the array does not start on one
        total += array.nbytes
    return total
