"""telecom_nb: watch the KPIs of thousands of cell sectors live, from a notebook.

Architecture (data flows left to right; the engine never imports widgets):
``sources`` -> ``features`` -> ``detectors`` -> ``pipeline`` -> sinks / ``ui``.
"""

import os

__version__ = "0.1.0"

# numba's parallel kernels (the forest walk, the scoring passes over a large tick's rows)
# run on OpenMP threads, which libgomp keeps spinning after each pass unless told
# otherwise: on 2 shared cores that took CPU from everything else (the four scoring passes
# on 100k rows, 88 ms CPU on one thread: 123 ms on two spinning, 86 sleeping). Set before
# any OpenMP runtime loads; a value of the user's own wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
