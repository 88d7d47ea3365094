"""Handing memory the build has freed back to the system between its stages.

A build at a million issues frees hundreds of megabytes at the end of each stage (the validation's
segment tables, a section's frames), but the C allocators keep much of it: glibc's malloc holds freed
blocks in its arenas (one per thread that allocated: validation works on two), and Arrow's pool keeps
its own. The next stage's allocations then stack on top, and the peak is the sum. Measured at a million
issues (docs/scale.md): the resident size after validation fell from about 1.4 GB to 1.2 GB, and the
build's peak from 2,340 MB to 1,925–2,018 MB in three builds (with the search index's smaller passes),
once both were asked to release what they hold unused.
Arrow's own pool is jemalloc where pyarrow has it (``use_steady_pool``): its default, mimalloc, hands
freed pages back to the system within milliseconds, and every page taken again is faulted in and zeroed
by the kernel (a cold build at a million issues spent 20 of its 46 s of system time zeroing pages).
Paired runs at that size (docs/scale.md): cold validation 0.80× the time, its system time 3.8 s
against 9.8 s; with the ledger's text columns in one piece too (pipeline/core/ledger.py), the build's
largest process peaked at 1,665 MiB against 1,883 MiB, in about the same time.
Nothing here changes what the build computes; on a system without glibc the trim is skipped. A small
process (``SMALL_PROCESS_BYTES``) skips it all: a full collection of a small build's objects costs tens of
milliseconds a call, 0.8 s of a 13 s build of the bundled demo, and what it could hand back matters to no
memory target. So does a stage that worked on few records (``SMALL_STAGE_RECORDS``) in a large process: a
full collection walks every object of the process, whatever the stage freed (in the test suite's workers,
which hold hundreds of megabytes of their own, validation's two collections cost 160 s of worker time; once
they were gone, the build's and render's, 20 a build, still took 5 % of a profile of the whole suite, until
they too weighed their stage by the ledger's rows).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
from collections.abc import Callable
from functools import lru_cache

import pyarrow as pa


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS, Windows)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


# Below this resident size there is nothing worth handing back: the bundled demo's build peaks at about
# 280 MB, a build at a million issues holds more than a gigabyte from validation on.
SMALL_PROCESS_BYTES = 512 * 2**20
# Below this many records a stage frees at most tens of megabytes (the package of 10⁵ issues, 246,510 records,
# validates in 344 MB in all).
SMALL_STAGE_RECORDS = 100_000


def resident_bytes() -> int | None:
    """This process's resident size, or None where /proc does not tell it (not Linux)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def release_freed_memory(records: int | None = None) -> None:
    """Collect unreachable Python objects, then ask Arrow's pool and malloc to return free pages; nothing
    in a small process (below ``SMALL_PROCESS_BYTES``; a size not known counts as large), nor after a stage
    that worked on fewer than ``SMALL_STAGE_RECORDS`` ``records`` (None: not said)."""
    if records is not None and records < SMALL_STAGE_RECORDS:
        return
    resident = resident_bytes()
    if resident is not None and resident < SMALL_PROCESS_BYTES:
        return
    gc.collect()
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def use_steady_pool() -> str:
    """Make jemalloc Arrow's default pool, unless ARROW_DEFAULT_MEMORY_POOL chooses one or this pyarrow
    has no jemalloc (then its default stays). Returns the pool's name. Called where a process starts
    (the ``ledger`` command, the downloads' process): which pool holds the bytes changes no result."""
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        try:
            pa.set_memory_pool(pa.jemalloc_memory_pool())
        except NotImplementedError:  # a pyarrow built without jemalloc (e.g. on Windows)
            pass
    return pa.default_memory_pool().backend_name
