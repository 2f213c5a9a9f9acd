"""The CPU time of a command and of every process it starts, orphans included.

``/usr/bin/time`` counts only the children each process waited for: a Jupyter kernel is
started in a session of its own, and when the browser tests stop a server its kernels are
often left to init, their CPU uncounted. Here this process makes itself the *child
subreaper* (Linux ``prctl``), so orphaned descendants are re-parented to it, reaps them
all, and prints user+sys of the whole tree::

    PYTHONPATH=$PWD python benchmarks/tree_cpu.py python -m pytest -q tests/browser

It waits for every descendant: a daemon left running keeps it waiting.
"""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    t0 = time.monotonic()
    rc = subprocess.call(argv)
    while True:  # the orphans re-parented here
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"tree_cpu: {usage.ru_utime + usage.ru_stime:.1f} s CPU (user {usage.ru_utime:.1f}, "
          f"sys {usage.ru_stime:.1f}), {time.monotonic() - t0:.1f} s wall, exit {rc}",
          file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
