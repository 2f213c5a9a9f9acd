"""Count the widget messages a piece of code sends, without a kernel or browser.

Widgets talk to the front end through ``comm.create_comm``; swapping that factory for
one returning :class:`CountingComm` measures what would go over the wire (JSON bytes plus
binary buffers) for widgets created inside :func:`count_widget_traffic`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import comm
from comm.base_comm import BaseComm


@dataclass
class TrafficCounter:
    messages: int = 0
    bytes: int = 0
    by_type: Counter = field(default_factory=Counter)
    #: (comm id, the state keys sent) -> messages and bytes: which widget costs what
    by_state: Counter = field(default_factory=Counter)
    bytes_by_state: Counter = field(default_factory=Counter)

    def reset(self) -> None:
        self.messages, self.bytes = 0, 0
        self.by_type.clear()
        self.by_state.clear()
        self.bytes_by_state.clear()

    def add(self, msg_type: str, data: Any, buffers: Any, comm_id: str = "") -> None:
        size = len(json.dumps(data, default=str, separators=(",", ":")))
        size += sum(memoryview(b).nbytes for b in buffers or ())
        self.messages += 1
        self.bytes += size
        self.by_type[msg_type] += 1
        state = data.get("state", {}) if isinstance(data, dict) else {}
        key = (comm_id, ",".join(sorted(state)))
        self.by_state[key] += 1
        self.bytes_by_state[key] += size


class CountingComm(BaseComm):
    """A comm that records each message's size instead of sending it."""

    counter: TrafficCounter

    def publish_msg(self, msg_type: str, data: Any = None, metadata: Any = None,
                    buffers: Any = None, **keys: Any) -> None:
        self.counter.add(msg_type, data, buffers, self.comm_id)


@contextmanager
def count_widget_traffic() -> Iterator[TrafficCounter]:
    """Within the block, widgets created get a counting comm; yields the shared counter."""
    counter = TrafficCounter()

    def factory(*args: Any, **kwargs: Any) -> CountingComm:
        c = CountingComm.__new__(CountingComm)
        c.counter = counter
        CountingComm.__init__(c, *args, **kwargs)
        return c

    previous = comm.create_comm
    comm.create_comm = factory
    try:
        yield counter
    finally:
        comm.create_comm = previous
