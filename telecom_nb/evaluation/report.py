"""A plain-text, side-by-side table of several detectors' evaluations.

Meant for a terminal (``telecom-nb evaluate``): one column per detector, overall
metrics first, then one block per fault kind, so "did we beat the baseline on
outages?" is answered by reading across one line.
"""

from __future__ import annotations

from collections.abc import Callable

from telecom_nb.evaluation.metrics import Evaluation, KindStats


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _ticks(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


_OVERALL: list[tuple[str, Callable[[Evaluation], str]]] = [
    ("precision", lambda e: _pct(e.precision)),
    ("recall (rows)", lambda e: _pct(e.recall)),
    ("F1", lambda e: f"{e.f1:.3f}"),
    ("event recall", lambda e: _pct(e.event_recall)),
    ("median delay (ticks)", lambda e: _ticks(e.median_delay_ticks)),
    ("events found / total", lambda e: f"{e.events_found:,} / {e.n_events:,}"),
    ("flagged rows", lambda e: _count(e.flagged)),
    ("faulty rows", lambda e: _count(e.positives)),
    ("rows", lambda e: _count(e.rows)),
]

_PER_KIND: list[tuple[str, Callable[[KindStats | None], str]]] = [
    ("event recall", lambda k: "-" if k is None else _pct(k.event_recall)),
    ("row recall", lambda k: "-" if k is None else _pct(k.row_recall)),
    ("median delay (ticks)", lambda k: "-" if k is None else _ticks(k.median_delay_ticks)),
    ("n events", lambda k: "-" if k is None else _count(k.n_events)),
]


def format_comparison(results: dict[str, Evaluation]) -> str:
    """Detectors side by side: overall rows, then one block per fault kind."""
    if not results:
        return "(no results)"
    names = list(results)
    lines: list[tuple[str, list[str]]] = [("", names)]
    lines.append(("", ["" for _ in names]))
    for label, fmt in _OVERALL:
        lines.append((label, [fmt(results[n]) for n in names]))
    kinds = sorted({k for e in results.values() for k in e.per_kind})
    for kind in kinds:
        lines.append(("", ["" for _ in names]))
        lines.append((f"fault: {kind}", ["" for _ in names]))
        for label, fmt in _PER_KIND:
            lines.append((f"  {label}", [fmt(results[n].per_kind.get(kind)) for n in names]))

    label_w = max(len(label) for label, _ in lines)
    col_w = [max(len(row[1][i]) for row in lines) for i in range(len(names))]
    out = []
    for i, (label, cells) in enumerate(lines):
        if i == 1:
            out.append("-" * label_w + "".join("  " + "-" * w for w in col_w))
            continue
        row = label.ljust(label_w) + "".join(
            "  " + cell.rjust(w) for cell, w in zip(cells, col_w, strict=True)
        )
        out.append(row.rstrip())
    return "\n".join(out)
