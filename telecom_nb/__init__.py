"""telecom_nb: watch the KPIs of thousands of cell sectors live, from a notebook.

Architecture (data flows left to right; the engine never imports widgets):
``sources`` -> ``features`` -> ``detectors`` -> ``pipeline`` -> sinks / ``ui``.
"""

__version__ = "0.1.0"
