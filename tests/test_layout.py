"""The package's layout shows its architecture: sources -> features -> detectors -> alarms
-> engine -> UI. A module never imports from a later stage (a function-level import
counts too), so each stage can be read, tested and replaced without the ones after it."""

from __future__ import annotations

from test_cli_layout import _import_graph

#: stage of each top-level part of ``telecom_nb``; a module imports only stages <= its own
STAGES = {
    "telecom_nb": 0, "schema": 0, "errors": 0, "params": 0, "defaults": 0, "batching": 0,
    "sector_index": 0, "geo": 1, "sources": 2, "features": 3, "detectors": 4, "alarms": 5,
    "engine": 6, "evaluation": 7, "backtest": 7, "ui": 7, "bench": 8, "bench_report": 8,
    "state_pages": 8, "warm": 8, "frame_columns": 0, "heap_trim": 0, "local_dates": 0,
    "kernel_cache": 0, "cli": 9, "__main__": 9,
}


def _stage(module: str) -> int:
    parts = module.split(".")
    return STAGES[parts[1] if len(parts) > 1 else parts[0]]


def test_every_module_has_a_stage():
    assert all(m.split(".")[1] in STAGES for m in _import_graph() if "." in m)


def test_no_module_imports_a_later_stage():
    graph = _import_graph()
    wrong = sorted(f"{m} -> {t}" for m, targets in graph.items() for t in targets
                   if _stage(t) > _stage(m))
    assert wrong == []


def test_the_order_validate_score_alarm_learn_is_written_once():
    """Only the tick calls validate, score, the alarm chain and learn in one function."""
    import inspect

    from telecom_nb.engine import tick

    source = inspect.getsource(tick.Tick.run)
    steps = [source.index(s) for s in ("validator.validate(", "detector.score(",
                                        "alarms.apply_columns(", "detector.learn(")]
    assert steps == sorted(steps)
