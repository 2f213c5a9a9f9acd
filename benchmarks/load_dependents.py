"""Scratch probe: ``operator_quality.py`` with the load family's dependents overridden.

:mod:`~telecom_nb.features.load_explained` reads a KPI against its row's load (the per-sector
load fit, :mod:`~telecom_nb.features.load_fit`) only when its mean fleet-wide ``|r|`` with the
load family is at least ``MIN_R`` (0.25). A vendor world's latency carries ``30 (PRB/100)^3``:
it follows load at hot cells only (busy-hour PRB over 40 %: r 0.35-0.67 against 0.15 elsewhere),
so its fleet ``|r|`` is ~0.17 and it is never read against load, while at those cells load
swings widen its busy-hour spread in log from the noise's 0.19 to 0.25 (up to 0.35) and hide
x4-7 latency spikes (lat64, MEASURED.md). This probe tries other choices without editing the
package::

    python benchmarks/load_dependents.py DIR --min-r 0.15 [--only 4,7] [operator_quality args]

``--only``: the dependents are at most these KPI indices (the source's KPI order; the choice
is printed with names each time it changes). Not a test; not a fix (a choice by index).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import operator_quality

import telecom_nb.features.load_choice as load_choice
import telecom_nb.features.load_explained as load_explained
from telecom_nb.sources import load_source


def override(min_r: float, only: tuple[int, ...] | None, names: list[str]) -> None:
    """Set ``MIN_R`` and wrap ``choose`` so its dependents are at most ``only``."""
    load_choice.MIN_R = min_r
    chosen = load_explained.choose
    printed: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()

    def choose(r: np.ndarray, *args, **kwargs) -> tuple[np.ndarray, np.ndarray]:
        family, dependent = chosen(r, *args, **kwargs)
        if only is not None:
            dependent = dependent & np.isin(np.arange(len(dependent)), only)
        key = (tuple(np.flatnonzero(family)), tuple(np.flatnonzero(dependent)))
        if key not in printed:
            printed.add(key)
            print("  load family", [names[i] for i in key[0] if i < len(names)],
                  "dependents", [names[i] for i in key[1] if i < len(names)], flush=True)
        return family, dependent

    load_explained.choose = choose


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--min-r", type=float, default=load_choice.MIN_R)
    ap.add_argument("--only", default=None, help="KPI indices the dependents may be, e.g. 4,7")
    args, rest = ap.parse_known_args(argv)
    names = list(load_source(args.folder / "source.toml").kpis)
    only = None if args.only is None else tuple(int(i) for i in args.only.split(",") if i)
    override(args.min_r, only, names)
    operator_quality.main([str(args.folder), *rest])


if __name__ == "__main__":
    main(sys.argv[1:])
