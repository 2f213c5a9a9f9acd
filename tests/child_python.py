"""A fresh interpreter's output: what a module imports, or a pool it touched, is only
visible in a process that has not already imported the test suite's modules."""

from __future__ import annotations

import subprocess
import sys


def child_stdout(code: str, timeout: float = 60) -> str:
    """Run ``code`` with ``python -c`` in a child process (it must exit 0); its stdout,
    stripped."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=timeout
    )
    return done.stdout.strip()
