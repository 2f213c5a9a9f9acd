"""Arrow's C++ default pool is malloc in a telecom_nb process (issue 12): the Parquet
reader's and writer's own buffers went to mimalloc, which kept their freed pages resident
(~100 MiB at a 4M-row replay's peak) where ``malloc_trim`` does not reach.

The child never creates the mimalloc pool itself: asking for it in a process whose default
is the system pool aborted the interpreter on CI's machine (SIGABRT, not seen here), so the
check reads which pool the Parquet round trip really used.

The round trip goes through a file path, as telecom_nb's own reads and writes do: a Parquet
read from a Python file object (``io.BytesIO``) leaves the last reference to that object in a
fragment Arrow's worker thread may free during interpreter shutdown; the thread then asks for
the GIL, is told to exit and aborts the child ("terminate called without an active exception",
SIGABRT; measured 3 of 150 children with ``BytesIO``, 0 of 150 with a path, pyarrow 26.0.1)."""

from __future__ import annotations

from pathlib import Path

from child_python import child_stdout

_CHILD = """
import telecom_nb
import pandas as pd, pyarrow as pa
frame = pd.DataFrame({{"sector_id": [f"S{{i}}" for i in range(50_000)], "v": 1.5}})
frame.to_parquet({path!r})
pd.read_parquet({path!r})
print(pa.default_memory_pool().backend_name, pa.system_memory_pool().max_memory())
"""


def test_parquet_buffers_go_to_the_system_pool(tmp_path: Path):
    code = _CHILD.format(path=str(tmp_path / "round_trip.parquet"))
    backend, system_peak = child_stdout(code).split()[-2:]
    assert backend == "system"
    assert int(system_peak) > 0  # the round trip's buffers were malloc's, not mimalloc's
