"""Checkpoint files: a stream's learned state in one ``.npz``, data only, written atomically.

Layout: every array of the captured state (see :mod:`telecom_nb.engine.snapshot`) under
its own name, plus ``__manifest__``: UTF-8 JSON (format name, version, the data clock,
the source position, library versions, the trees that say where each array goes).

Safety: the file is read with ``numpy.load(allow_pickle=False)`` (an object array is an
error, never unpickled) and ``json.loads``; nothing in it names code to run. Values are
only written into objects this package built from its own parameters, attribute by
attribute, each checked against what the object already holds; the model is refitted
from the stored window snapshot. A corrupt, truncated or foreign file raises
:class:`CheckpointError` naming the file. Writing goes to a temporary file in the same
folder, fsynced, then ``os.replace``: a crash leaves the old checkpoint or the new one.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from telecom_nb.engine.snapshot import StateError, capture, restore

FORMAT = "telecom_nb.checkpoint"
#: bump when a checkpoint written before can no longer be read into the current code
VERSION = 1
MANIFEST = "__manifest__"


class CheckpointError(ValueError):
    """A checkpoint that cannot be used (unreadable, corrupt, other version or stream)."""


@dataclass
class Checkpoint:
    """A checkpoint read from disk: metadata, one tree per part, and the arrays."""

    path: Path
    meta: dict[str, Any]
    trees: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(repr=False)

    def restore(self, name: str, obj: Any, *, refit: bool = True) -> Any:
        """Write part ``name`` into ``obj``; :class:`CheckpointError` if it does not fit."""
        if name not in self.trees:
            raise CheckpointError(f"checkpoint {self.path} has no {name!r} part")
        try:
            return restore(obj, self.trees[name], self.arrays, name, refit=refit)
        except (StateError, TypeError, ValueError, KeyError) as exc:
            raise CheckpointError(f"checkpoint {self.path} does not fit this stream: "
                                  f"{exc}") from exc


def checkpoint_path(store_path: str | Path) -> Path:
    """The checkpoint that goes with a store file: ``<store>.ckpt.npz`` next to it."""
    p = Path(store_path)
    return p.with_name(p.name + ".ckpt.npz")


def write_checkpoint(path: str | Path, parts: dict[str, Any], meta: dict[str, Any]) -> int:
    """Capture ``parts`` and write them atomically; returns the file size in bytes."""
    path = Path(path)
    trees: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    for name, obj in parts.items():
        trees[name], part_arrays = capture(obj, name)
        arrays.update(part_arrays)
    manifest = {"format": FORMAT, "version": VERSION, "meta": meta, "trees": trees}
    arrays[MANIFEST] = np.frombuffer(json.dumps(manifest).encode(), dtype=np.uint8)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path.stat().st_size


def read_checkpoint(path: str | Path) -> Checkpoint:
    """Read and check a checkpoint file (never unpickles anything)."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {name: z[name] for name in z.files}
        raw = arrays.pop(MANIFEST)
        manifest = json.loads(raw.tobytes().decode())
    except FileNotFoundError:
        raise
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile,
            UnicodeDecodeError) as exc:
        raise CheckpointError(f"checkpoint {path} is unreadable ({type(exc).__name__}: "
                              f"{exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {path} is not a telecom_nb checkpoint")
    if manifest.get("version") != VERSION:
        raise CheckpointError(f"checkpoint {path} has format version {manifest.get('version')}"
                              f"; this version reads {VERSION}")
    meta, trees = manifest.get("meta"), manifest.get("trees")
    if not isinstance(meta, dict) or not isinstance(trees, dict):
        raise CheckpointError(f"checkpoint {path} has no metadata")
    return Checkpoint(path, meta, trees, arrays)
