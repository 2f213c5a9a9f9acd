"""telecom_nb: watch the KPIs of thousands of cell sectors live, from a notebook.

Architecture (data flows left to right; the engine never imports widgets):
``sources`` -> ``features`` -> ``detectors`` -> ``pipeline`` -> sinks / ``ui``.
"""

import os

__version__ = "0.1.0"

# A large tick's compiled passes run in row slices on a small Python thread pool
# (``features/row_split.py``): numba's OpenMP threading layer is never started. OpenMP
# code elsewhere (scikit-learn's pairwise-distance reductions, which the LOF detector's
# neighbour search may take) keeps its threads spinning after each parallel region unless
# told otherwise, which on 2 shared cores took CPU from everything else (measured on
# numba's former parallel passes: 123 ms CPU spinning against 86 sleeping). Set before any
# OpenMP runtime loads; a value of the user's own wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Arrow's C++ default pool (mimalloc in the wheels) serves the Parquet reader's and
# writer's own buffers even after ``engine/heap.use_system_pool`` (that sets pyarrow's
# Python-level pool only), and mimalloc kept their freed pages: ~30 MiB after a 1M-row
# load, ~100 MiB resident at a 4M-row replay's peak, with no live bytes (issue 12).
# malloc serves them instead, where ``heap_trim.release_freed_memory`` reaches them. Read
# once, when pyarrow first asks for its pool (pandas' import): set before any import.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

# numba's cache keyed on the whole package's source, not each kernel's own file (a kernel
# inlines other modules' compiled functions): see ``kernel_cache``. Before numba's import.
from telecom_nb.kernel_cache import use_source_keyed_cache

use_source_keyed_cache()
