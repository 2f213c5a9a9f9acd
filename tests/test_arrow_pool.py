"""Arrow's C++ default pool is malloc in a telecom_nb process (issue 12): the Parquet
reader's and writer's own buffers went to mimalloc, which kept their freed pages resident
(~100 MiB at a 4M-row replay's peak) where ``malloc_trim`` does not reach."""

from __future__ import annotations

from child_python import child_stdout

_CHILD = """
import telecom_nb, io
import pandas as pd, pyarrow as pa
frame = pd.DataFrame({"sector_id": [f"S{i}" for i in range(50_000)], "v": 1.5})
buffer = io.BytesIO()
frame.to_parquet(buffer)
pd.read_parquet(io.BytesIO(buffer.getvalue()))
print(pa.mimalloc_memory_pool().max_memory() if hasattr(pa, "mimalloc_memory_pool") else 0)
"""


def test_parquet_buffers_never_touch_mimalloc():
    assert int(child_stdout(_CHILD).split()[-1]) == 0
