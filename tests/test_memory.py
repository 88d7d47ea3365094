"""Freed memory handed back between the build's stages (pipeline/core/memory.py)."""

from __future__ import annotations

import platform

import pytest

from pipeline.core import memory


class Recorder:
    def __init__(self):
        self.calls: list[int] = []

    def __call__(self, pad: int) -> int:
        self.calls.append(pad)
        return 1


def test_release_asks_malloc_to_trim_everything(monkeypatch):
    trim = Recorder()
    monkeypatch.setattr(memory, "_malloc_trim", lambda: trim)
    memory.release_freed_memory()
    assert trim.calls == [0]  # pad 0: keep nothing spare at the top of the heap


def test_release_without_malloc_trim_still_runs(monkeypatch):
    released = []
    monkeypatch.setattr(memory, "_malloc_trim", lambda: None)
    monkeypatch.setattr(memory.gc, "collect", lambda: released.append("gc") or 0)

    class Pool:
        def release_unused(self):
            released.append("arrow")

    monkeypatch.setattr(memory.pa, "default_memory_pool", lambda: Pool())
    memory.release_freed_memory()
    assert released == ["gc", "arrow"]


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_glibc_has_malloc_trim():
    assert memory._malloc_trim() is not None
    assert memory._malloc_trim()(0) in (0, 1)  # 1: memory was released, 0: there was none to release
