"""The CLI package's import structure: no cycle through it, and a ``--help`` that stays light.

A cycle used to exist (``cli`` imported ``commands`` to dispatch, ``commands`` imported
``cli`` for its JSON and path helpers). These tests read the import statements, including
the ones inside functions, so a cycle that only bites at call time is caught too.
"""

from __future__ import annotations

import ast
import functools
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import telecom_nb

PACKAGE_DIR = Path(telecom_nb.__file__).resolve().parent
CLI_MODULES = ("telecom_nb.cli", "telecom_nb.cli.parser", "telecom_nb.cli.commands",
               "telecom_nb.cli.io")
HEAVY = ("pandas", "numpy", "sklearn", "traitlets", "pyarrow", "tqdm")


@functools.cache
def _module_names() -> dict[str, Path]:
    """Module name -> source file (read once: the tests below only read it)."""
    names = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


@functools.cache
def _import_graph() -> dict[str, set[str]]:
    """Module -> the telecom_nb modules it imports anywhere in its body (parsed once per
    session, ~1.3 s of ``ast.parse`` over the package: the tests only read it).

    ``from a import b`` counts as importing ``a.b`` when that is a module, else ``a``. The
    implicit import of a module's parent package is not an edge: a package's
    ``__init__`` importing its own submodules is how packages work, not a cycle.
    """
    modules = _module_names()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    targets.add(sub if sub in modules else node.module)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> list[str] | None:
    """A path start -> ... -> goal (excluding start itself), or None."""
    stack, seen = [(n, [n]) for n in graph[start]], set()
    while stack:
        node, path = stack.pop()
        if node == goal:
            return path
        if node not in seen:
            seen.add(node)
            stack.extend((n, [*path, n]) for n in graph.get(node, ()))
    return None


def test_no_relative_imports_hide_from_the_graph():
    for name in CLI_MODULES:
        tree = ast.parse(_module_names()[name].read_text())
        assert not any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree)), name


@pytest.mark.parametrize("module", CLI_MODULES)
def test_no_import_cycle_through_the_cli(module: str):
    graph = _import_graph()
    cycle = _reaches(graph, module, module)
    assert cycle is None, " -> ".join([module, *cycle])


def test_nothing_below_the_cli_imports_it():
    """The engine never depends on its command line (``__main__`` is the only user)."""
    graph = _import_graph()
    users = {m for m, targets in graph.items() if not m.startswith("telecom_nb.cli")
             and targets & set(CLI_MODULES)}
    assert users == {"telecom_nb.__main__"}


def test_each_cli_module_imports_alone_and_help_stays_light():
    """Each module imports first in a fresh interpreter; ``--help`` loads no heavy library."""
    code = (
        "import contextlib, io, sys\n"
        "from telecom_nb.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"--help imported {proc.stdout.strip()}"
    for module in CLI_MODULES[1:]:
        proc = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0, f"{module}: {proc.stderr}"


def test_nab_help_states_the_engine_default(capsys):
    """``--close-after``'s default is the engine's, read from a module that imports nothing."""
    from telecom_nb.cli import main
    from telecom_nb.evaluation.nab_runner import ALERT_CLOSE_AFTER, run_nab

    with pytest.raises(SystemExit):
        main(["nab", "--help"])
    assert f"(default {ALERT_CLOSE_AFTER})" in " ".join(capsys.readouterr().out.split())
    assert inspect.signature(run_nab).parameters["close_after"].default == ALERT_CLOSE_AFTER
    assert _import_graph()["telecom_nb.defaults"] == set()
