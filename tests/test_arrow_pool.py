"""Arrow's C++ default pool is malloc in a telecom_nb process (issue 12): the Parquet
reader's and writer's own buffers went to mimalloc, which kept their freed pages resident
(~100 MiB at a 4M-row replay's peak) where ``malloc_trim`` does not reach.

The child never creates the mimalloc pool itself: asking for it in a process whose default
is the system pool aborted the interpreter on CI's machine (SIGABRT, not seen here), so the
check reads which pool the Parquet round trip really used."""

from __future__ import annotations

from child_python import child_stdout

_CHILD = """
import telecom_nb, io
import pandas as pd, pyarrow as pa
frame = pd.DataFrame({"sector_id": [f"S{i}" for i in range(50_000)], "v": 1.5})
buffer = io.BytesIO()
frame.to_parquet(buffer)
pd.read_parquet(io.BytesIO(buffer.getvalue()))
print(pa.default_memory_pool().backend_name, pa.system_memory_pool().max_memory())
"""


def test_parquet_buffers_go_to_the_system_pool():
    backend, system_peak = child_stdout(_CHILD).split()[-2:]
    assert backend == "system"
    assert int(system_peak) > 0  # the round trip's buffers were malloc's, not mimalloc's
