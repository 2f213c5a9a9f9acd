"""The bench's old-stream memory: every page of the state's arrays written, no value changed."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

from telecom_nb.bench import memory_mb
from telecom_nb.state_pages import PAGE, owned_arrays, write_every_page


class _Holder:
    __slots__ = ("slotted",)

    def __init__(self) -> None:
        self.slotted = np.arange(5.0)


class _State:
    def __init__(self) -> None:
        self.table = np.zeros((64, 7, 24), dtype=np.float32).transpose(1, 0, 2)  # a view
        self.ring = np.zeros((8, 1000))
        self.parts = {"a": [np.ones(3), (np.full(2, 7.0),)], "held": _Holder()}
        self.frozen = np.ones(4)
        self.frozen.flags.writeable = False
        self.again = self.ring  # the same buffer twice
        self.labels = np.array(["a", None], dtype=object)  # references: left out


def test_owned_arrays_finds_each_writeable_owner_once() -> None:
    state = _State()
    found = {id(a) for a in owned_arrays(state)}
    assert id(state.table.base) in found and id(state.ring) in found
    assert id(state.parts["held"].slotted) in found and id(state.parts["a"][1][0]) in found
    assert id(state.frozen) not in found and id(state.labels) not in found
    assert len(found) == 5


def _drop_pages(array: np.ndarray) -> None:
    """Give the whole pages inside ``array`` back to the OS (``MADV_DONTNEED``: they read
    as zeros again and are not resident): a long suite's allocator may hand ``np.zeros``
    memory that an earlier test made resident."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    start = -(-array.ctypes.data // PAGE) * PAGE
    length = (array.ctypes.data + array.nbytes - start) // PAGE * PAGE
    if libc.madvise(start, length, 4) != 0:  # MADV_DONTNEED
        pytest.skip(f"madvise failed: errno {ctypes.get_errno()}")


def test_writing_every_page_makes_zero_pages_resident_and_keeps_values() -> None:
    if memory_mb("VmRSS") == 0.0:
        pytest.skip("no /proc here")
    state = _State()
    state.ring = np.zeros(48 * 2**20, dtype=np.uint8)  # 48 MiB of zeros
    _drop_pages(state.ring)  # the OS's zero pages, whatever memory the allocator reused
    state.ring[5] = 3
    state.table[1, 2, 3] = 4.5
    before = memory_mb("VmRSS")
    spanned = write_every_page(state)
    assert memory_mb("VmRSS") - before > 40  # MB: the zero pages are now resident
    assert spanned >= state.ring.nbytes
    assert state.ring[5] == 3 and state.ring.sum() == 3
    assert state.table[1, 2, 3] == 4.5 and state.table.sum() == 4.5
