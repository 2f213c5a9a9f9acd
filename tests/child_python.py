"""A fresh interpreter's output: what a module imports, or a pool it touched, is only
visible in a process that has not already imported the test suite's modules."""

from __future__ import annotations

import subprocess
import sys


def child_stdout(code: str, timeout: float = 60) -> str:
    """Run ``code`` with ``python -c`` in a child process (it must exit 0); its stdout,
    stripped. A failing child's exit code and the end of its stderr are the failure's
    message, since a crash in the child says nothing in the parent's traceback."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"child exit {done.returncode}: {done.stderr[-2000:]}"
    return done.stdout.strip()
