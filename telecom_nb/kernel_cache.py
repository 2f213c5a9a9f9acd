"""Where numba caches the compiled kernels: a folder named by the package's source.

numba keys a cached kernel on its own file only (the file's time stamp and size), yet a
kernel that calls another module's compiled function has that function compiled into it:
``features/series_kernel.py``'s pass inlines ``features/recurrence.py``'s cells, so after a
``git pull`` that changes only ``recurrence.py`` the cached pass would keep running the
old cells, silently (found by the fortieth session's pass40). So the cache lives in a
folder named by a hash of every module of the package: any source change is a new folder
(the kernels compile again once: ``python -m telecom_nb.warm``), and the folders of older
sources in this checkout are removed. A ``NUMBA_CACHE_DIR`` of the user's own wins; a
package folder that cannot be written keeps numba's own choice.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

#: below the package's own ``__pycache__`` (git ignores it), one folder per source hash
CACHE_ROOT = Path(__file__).parent / "__pycache__" / "numba"


def source_digest(package: Path = Path(__file__).parent) -> str:
    """A short hash of every ``.py`` file below ``package`` (path and bytes)."""
    h = hashlib.blake2b(digest_size=8)
    for path in sorted(package.rglob("*.py")):
        h.update(str(path.relative_to(package)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def use_source_keyed_cache(root: Path = CACHE_ROOT) -> Path | None:
    """Point ``NUMBA_CACHE_DIR`` at ``root``/<source hash> (before numba is imported) and
    remove the other hashes' folders; the folder, or None where left to numba."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    here = root / source_digest()
    try:
        here.mkdir(parents=True, exist_ok=True)
        for old in root.iterdir():
            if old != here and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
    except OSError:  # a read-only install: numba's own fallback (a user cache)
        return None
    os.environ["NUMBA_CACHE_DIR"] = str(here)
    return here
