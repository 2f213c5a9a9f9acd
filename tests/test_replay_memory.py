"""A replay holds no whole-table temporary (issue 12: a replay's peak RSS within 3x its
decoded table): pieces are taken from the caller's table one at a time and scattered
into the output's columns at once, so what the replay itself holds per row is the
output's arrays, and a table cut in tiny pieces scores as one piece."""

from __future__ import annotations

import importlib
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from pipeline_fakes import ThresholdDetector, make_batch

from telecom_nb import schema
from telecom_nb.detectors.base import Scores
from telecom_nb.engine import replay

replay_module = importlib.import_module("telecom_nb.engine.replay")  # not the function


class StreamingThreshold(ThresholdDetector):
    """:class:`ThresholdDetector` with a replay fast path that keeps nothing per row, so
    a replay's own memory is what is measured."""

    def score_stream(self, table: pd.DataFrame, progress: bool = False) -> Scores:
        prb = table[schema.PRB].to_numpy(dtype=float)
        flags = prb > 55.0
        return Scores(
            score=prb / 100.0,
            is_anomaly=flags,
            top_kpi=np.where(flags, schema.PRB, "").astype(object),
        )


def _table(ticks: int, sectors: int = 40) -> pd.DataFrame:
    frames = [make_batch(t, sectors, anomalous=[t % sectors], seed=7) for t in range(ticks)]
    return pd.concat(frames, ignore_index=True)


def _replay(table: pd.DataFrame) -> pd.DataFrame:
    return replay(table, StreamingThreshold(), schema.KPIS).frame


@pytest.mark.parametrize("shuffled", [False, True])
def test_tiny_pieces_score_as_one_piece(monkeypatch, shuffled):
    table = _table(30)
    if shuffled:  # another row order: the pieces are taken through the time order
        table = table.sample(frac=1.0, random_state=1850)
    monkeypatch.setattr(replay_module, "PIECE_ROWS", 10**9)
    whole = _replay(table)
    monkeypatch.setattr(replay_module, "PIECE_ROWS", 37)  # cut inside a timestamp
    pieces = _replay(table)
    pd.testing.assert_frame_equal(whole, pieces, check_exact=True)
    assert whole[schema.IS_ANOMALY].any() and (whole[schema.TOP_KPI] == schema.PRB).any()
    assert (whole[schema.STATE] != "").all()


def _traced_peak(table: pd.DataFrame) -> int:
    tracemalloc.start()
    try:
        _replay(table)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_replay_holds_only_the_output_per_row(monkeypatch):
    """Traced (numpy) peak per extra row: the output's numbers and string codes (~35 B);
    a whole-table copy of the input (~64 B a row here) or a list of scored pieces
    concatenated at the end (~50 B) would each show."""
    monkeypatch.setattr(replay_module, "PIECE_ROWS", 2000)
    _replay(_table(10))  # first calls' caches are not this test's concern
    small, large = _table(250), _table(750)
    per_row = (_traced_peak(large) - _traced_peak(small)) / (len(large) - len(small))
    assert per_row < 80, f"{per_row:.0f} traced bytes per row"


def test_scattered_string_codes_are_one_byte_until_they_need_more():
    """The top KPI and state codes are held for every row from the first piece to the
    write: int8 (a 4M-row replay held 23 MiB more at its peak as int32); a column with
    more strings than int8 holds still comes out as the strings."""
    n = 600
    scattered = replay_module._Scattered(n)
    assert all(codes.itemsize == 1 for codes in scattered.codes.values())
    rows = np.arange(0, n, 2)
    labels = np.array([f"kpi{i % 300}" for i in range(len(rows))], dtype=object)
    frame = pd.DataFrame(
        {
            replay_module._ROW: rows,
            schema.SCORE: 0.5,
            schema.IS_ANOMALY: True,
            schema.ALERT_SCORE: 0.25,
            schema.TOP_KPI: labels,
            schema.STATE: "open",
        }
    )
    scattered.add(frame)
    assert scattered.codes[schema.STATE].itemsize == 1  # one string: stays int8
    out = pd.DataFrame(index=pd.RangeIndex(n))
    scattered.into(out)
    assert list(out[schema.TOP_KPI].iloc[rows]) == list(labels)
    assert (out[schema.TOP_KPI].iloc[rows + 1] == "").all()
    assert list(out[schema.STATE].iloc[:2]) == ["open", ""]


def test_freed_pieces_go_back_before_the_output_columns(monkeypatch):
    """The last piece's freed temporaries were still resident when the output's string
    columns were made (a 4M-row replay's peak then): the heap is trimmed in between."""
    calls = []
    monkeypatch.setattr(replay_module, "release_freed_memory", lambda: calls.append("trim"))
    into = replay_module._Scattered.into
    monkeypatch.setattr(
        replay_module._Scattered,
        "into",
        lambda self, out: (calls.append("into"), into(self, out))[1],
    )
    _replay(_table(3))
    assert calls == ["trim", "into"]


def test_pieces_are_a_share_of_the_table_within_bounds(monkeypatch):
    """A piece's working set (~1 kB a row) sized to the table: a 2M-row replay in 50k
    pieces peaked ~100 MB lower than in 250k ones, with the same bytes out."""
    assert replay_module.piece_rows(1_000_000) == replay_module.MIN_PIECE_ROWS == 50_000
    assert replay_module.piece_rows(4_000_000) == 100_000
    assert replay_module.piece_rows(10**9) == replay_module.PIECE_ROWS == 250_000
    sizes = []
    fast = replay_module._fast

    def counted(engine, tagged, *args, **kwargs):
        sizes.append(len(tagged))
        return fast(engine, tagged, *args, **kwargs)

    monkeypatch.setattr(replay_module, "_fast", counted)
    monkeypatch.setattr(replay_module, "MIN_PIECE_ROWS", 1)
    table = _table(80)  # 3,200 rows of 40 sectors: pieces of 80 rows, two timestamps
    _replay(table)
    assert len(sizes) == 40 and max(sizes) == 80 and sum(sizes) == len(table)


def test_the_compilers_pages_are_let_go_after_a_piece_that_loaded_kernels(monkeypatch):
    """A piece's kernels load from numba's cache through LLVM, whose pages stayed mapped
    to the end (~66 MiB of a 2M-row replay's peak): let go after the piece that loaded
    them (the first, or one whose retrain loaded another kernel), not after every piece
    (reading /proc/self/smaps to find nothing cost ~9 ms a piece)."""
    from numba.core.compiler_lock import global_compiler_lock

    from telecom_nb import heap_trim

    calls = []
    fast = replay_module._fast

    def piece(*args, **kwargs):
        calls.append("piece")
        if calls.count("piece") in (1, 7):
            with global_compiler_lock:  # as a kernel loading from numba's cache does
                pass
        return fast(*args, **kwargs)

    monkeypatch.setattr(replay_module, "_fast", piece)
    monkeypatch.setattr(heap_trim, "_CLEAN_RANGES", {})
    monkeypatch.setattr(heap_trim, "_clean_mappings", lambda _: calls.append("let go") or [])
    monkeypatch.setattr(replay_module, "MIN_PIECE_ROWS", 1)
    heap_trim.release_compiler_code()  # as `detect` does before its replay
    if not calls:  # not Linux: nothing is read or let go
        return
    calls.clear()
    _replay(_table(80))  # 40 pieces
    assert calls == ["piece", "let go"] + ["piece"] * 5 + ["piece", "let go"] + ["piece"] * 33
