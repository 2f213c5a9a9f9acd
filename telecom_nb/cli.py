"""The ``telecom-nb`` command line (filled in by the integrator)."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    return 0
