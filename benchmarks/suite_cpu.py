"""Where the unit suite's CPU goes: a pytest plugin writing each test's CPU time and numba's
cold compiles to JSON, then a summary of that JSON.

``--durations`` reports wall time, which another job on the two cores stretches 2-4x; the
process's user+sys time (its threads included) plus that of the child processes it waited
for moves ~10-30 % between runs of the same code under load. Numba's compile events fire
only on a cache miss, so with an empty ``NUMBA_CACHE_DIR`` the plugin shows what a clean
clone compiles and which test pays for it (the first one calling each kernel)::

    NUMBA_CACHE_DIR=$(mktemp -d) SUITE_CPU_OUT=/tmp/cpu.json PYTHONPATH=. \\
        python -m pytest -q -p benchmarks.suite_cpu tests --ignore=tests/browser
    python benchmarks/suite_cpu.py /tmp/cpu.json --top 40

The summary ends with each kernel compiled for more than one signature: the test that
asked for each and the argument types (a layout or dtype its caller could have matched).

A teardown of a module-scoped fixture is counted in the last test that used it (a Dask
cluster's worker processes show as children CPU there).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_tests: dict[str, tuple[float, float, float]] = {}
_compiles: dict[str, list[float]] = {}  # kernel -> [count, cpu seconds]
_compile_by_test: dict[str, float] = {}
#: each outermost compile: kernel, test, CPU seconds, signature (which call brought a
#: second signature of a kernel: a layout or dtype a test or caller could have matched)
_compile_log: list[tuple[str, str, float, str]] = []
_current: list[str] = [""]
_start: list[tuple[float, float]] = []


def _cpu() -> tuple[float, float]:
    """User+sys of this process (all its threads) and of its reaped children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def _listen_to_numba() -> None:
    """Count the thread CPU of outermost compiles (callees compiled inside are included)."""
    try:
        from numba.core import event
    except ImportError:  # numba is optional: no compiles to count
        return

    class Compiles(event.Listener):
        def __init__(self) -> None:
            self.depth, self.t0 = 0, 0.0

        def on_start(self, ev: Any) -> None:
            if self.depth == 0:
                self.t0 = time.thread_time()
            self.depth += 1

        def on_end(self, ev: Any) -> None:
            self.depth -= 1
            if self.depth:
                return
            spent = time.thread_time() - self.t0
            func = ev.data["dispatcher"].py_func
            name = f"{func.__module__}.{func.__qualname__}"
            entry = _compiles.setdefault(name, [0, 0.0])
            entry[0] += 1
            entry[1] += spent
            _compile_by_test[_current[0]] = _compile_by_test.get(_current[0], 0.0) + spent
            _compile_log.append((name, _current[0], spent, str(ev.data.get("args"))))

    event.register("numba:compile", Compiles())


def pytest_sessionstart(session: pytest.Session) -> None:
    _listen_to_numba()
    _start.append(_cpu())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    _current[0] = item.nodeid
    own, kids, wall = *_cpu(), time.perf_counter()
    yield
    own2, kids2 = _cpu()
    _tests[item.nodeid] = (own2 - own, kids2 - kids, time.perf_counter() - wall)


def pytest_sessionfinish(session: pytest.Session) -> None:
    own, kids = _cpu()
    out = Path(os.environ.get("SUITE_CPU_OUT", "suite_cpu.json"))
    out.write_text(
        json.dumps(
            {
                "session": [own - _start[0][0], kids - _start[0][1]],
                "tests": _tests,
                "compiles": _compiles,
                "compile_by_test": _compile_by_test,
                "compile_log": _compile_log,
            },
            indent=0,
        )
    )


def summary(path: Path, top: int) -> list[str]:
    """Totals, then the files, tests and kernels that cost most."""
    data = json.loads(path.read_text())
    tests = {k: tuple(v) for k, v in data["tests"].items()}
    total = sum(a + b for a, b, _ in tests.values())
    compiled = sum(cpu for _, cpu in data["compiles"].values())
    own, kids = data["session"]
    lines = [
        f"session CPU {own + kids:.1f} s (own {own:.1f}, children {kids:.1f}); "
        f"{len(tests)} tests {total:.1f} s; numba compiles {compiled:.1f} s"
    ]
    files: collections.Counter[str] = collections.Counter()
    for key, (a, b, _) in tests.items():
        files[key.split("::")[0]] += a + b
    lines += ["", "CPU s  file"] + [f"{c:6.1f} {f}" for f, c in files.most_common(top // 2)]
    lines += ["", "  own  child compile   wall  test"]
    by_cpu = sorted(tests.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:top]
    lines += [
        f"{a:5.1f} {b:6.1f} {data['compile_by_test'].get(k, 0.0):7.1f} {w:6.1f}  {k}"
        for k, (a, b, w) in by_cpu
    ]
    kernels = sorted(data["compiles"].items(), key=lambda kv: -kv[1][1])[: top // 2]
    lines += ["", "CPU s  n  kernel (cold compiles)"]
    lines += [f"{cpu:5.1f} {n:2d}  {name}" for name, (n, cpu) in kernels]
    again = [(name, test, cpu, sig) for name, test, cpu, sig in data.get("compile_log", [])
             if data["compiles"][name][0] > 1]
    if again:  # each signature of a kernel compiled more than once, and who asked for it
        lines += ["", "CPU s  kernel compiled again: test, signature"]
        lines += [f"{cpu:5.1f}  {name}: {test}\n         {sig[:300]}"
                  for name, test, cpu, sig in sorted(again)]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("json", type=Path, help="what the plugin wrote (SUITE_CPU_OUT)")
    parser.add_argument("--top", type=int, default=30, help="tests listed (default 30)")
    args = parser.parse_args()
    print("\n".join(summary(args.json, args.top)))


if __name__ == "__main__":
    main()
