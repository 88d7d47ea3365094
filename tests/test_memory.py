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


@pytest.fixture
def large_process(monkeypatch):
    """This process as a large one (a build at a million issues): the release is not skipped."""
    monkeypatch.setattr(memory, "resident_bytes", lambda: memory.SMALL_PROCESS_BYTES)


def test_release_asks_malloc_to_trim_everything(monkeypatch, large_process):
    trim = Recorder()
    monkeypatch.setattr(memory, "_malloc_trim", lambda: trim)
    memory.release_freed_memory()
    assert trim.calls == [0]  # pad 0: keep nothing spare at the top of the heap


def test_release_without_malloc_trim_still_runs(monkeypatch, large_process):
    released = []
    monkeypatch.setattr(memory, "_malloc_trim", lambda: None)
    monkeypatch.setattr(memory.gc, "collect", lambda: released.append("gc") or 0)

    class Pool:
        def release_unused(self):
            released.append("arrow")

    monkeypatch.setattr(memory.pa, "default_memory_pool", lambda: Pool())
    memory.release_freed_memory()
    assert released == ["gc", "arrow"]


def releases(monkeypatch, resident: int | None, records: int | None = None) -> list[str]:
    """What ``release_freed_memory(records)`` does in a process of ``resident`` bytes (None: not known)."""
    done: list[str] = []
    monkeypatch.setattr(memory, "resident_bytes", lambda: resident)
    monkeypatch.setattr(memory.gc, "collect", lambda: done.append("gc") or 0)
    monkeypatch.setattr(memory, "_malloc_trim", lambda: lambda pad: done.append("trim") or 1)

    class Pool:
        def release_unused(self):
            done.append("arrow")

    monkeypatch.setattr(memory.pa, "default_memory_pool", lambda: Pool())
    memory.release_freed_memory(records)
    return done


@pytest.mark.parametrize("resident, expected", [
    (0, []),
    (memory.SMALL_PROCESS_BYTES - 1, []),  # a small build: nothing collected, nothing trimmed
    (memory.SMALL_PROCESS_BYTES, ["gc", "arrow", "trim"]),
    (20 * 2**30, ["gc", "arrow", "trim"]),
    (None, ["gc", "arrow", "trim"]),  # a size not known counts as large
])
def test_only_a_large_process_hands_memory_back(monkeypatch, resident, expected):
    assert releases(monkeypatch, resident) == expected


@pytest.mark.parametrize("records, expected", [
    (0, []),
    (memory.SMALL_STAGE_RECORDS - 1, []),  # a test worker validating a small package: no full collection
    (memory.SMALL_STAGE_RECORDS, ["gc", "arrow", "trim"]),
    (2_342_817, ["gc", "arrow", "trim"]),  # the package of a million issues
    (None, ["gc", "arrow", "trim"]),  # not said: the process's size alone decides
])
def test_only_a_stage_of_many_records_hands_memory_back_in_a_large_process(monkeypatch, records, expected):
    assert releases(monkeypatch, 20 * 2**30, records) == expected


def test_validation_hands_memory_back_only_after_many_records(monkeypatch, tiny):
    from pipeline.validate import validate

    asked: list = []
    monkeypatch.setattr("pipeline.validate.release_freed_memory", lambda *records: asked.append(records))
    validate(tiny)
    assert asked == [(81,)]  # every record of the tiny package (its CSV rows below the headers), once


def full_collections_in_a_build(monkeypatch, tmp_path, tiny, small_stage_records: int) -> int:
    """How many full collections a build of the tiny package asks for in a large process (a test worker)."""
    from pipeline.build import BuildConfig, build

    collected: list[int] = []

    class CountingGc:
        @staticmethod
        def collect() -> int:
            collected.append(1)
            return 0

    monkeypatch.setattr(memory, "resident_bytes", lambda: 20 * 2**30)
    monkeypatch.setattr(memory, "gc", CountingGc)
    monkeypatch.setattr(memory, "SMALL_STAGE_RECORDS", small_stage_records)
    build(BuildConfig(data=tiny, out=tmp_path / "public"))
    return len(collected)


def test_a_small_build_in_a_large_process_collects_nothing(monkeypatch, tmp_path, tiny):
    """The build and render weigh each stage by the ledger's rows, as validation does: a build of the tiny
    package in a test worker that holds gigabytes never walks every object of the worker."""
    assert full_collections_in_a_build(monkeypatch, tmp_path, tiny, memory.SMALL_STAGE_RECORDS) == 0


def test_a_build_of_many_records_in_a_large_process_collects_after_its_stages(monkeypatch, tmp_path, tiny):
    """The positive control: were the tiny package's 81 records many, validation's release (its rules' ledger is
    kept for the build: one), the build's two and the render's after each of its 14 sections, its 2 data streams
    and the 2 points inside the issue pages and the search index would each collect."""
    assert full_collections_in_a_build(monkeypatch, tmp_path, tiny, 81) == 21


def test_the_ledger_counts_every_row_of_every_resource(tiny_ledger):
    assert tiny_ledger.records == sum(len(frame) for frame in tiny_ledger.frames.values()) == 81


@pytest.mark.skipif(platform.system() != "Linux", reason="/proc is Linux's")
def test_resident_size_is_this_process_s():
    resident = memory.resident_bytes()
    status = dict(line.split(":", 1) for line in open("/proc/self/status", encoding="ascii").read().splitlines())
    told = int(status["VmRSS"].split()[0]) * 1024  # the kernel's own line, in kB
    assert resident is not None and 10 * 2**20 < resident
    assert abs(resident - told) < 8 * 2**20


def test_resident_size_unknown_without_proc(monkeypatch):
    def no_proc(*args, **kwargs):
        raise FileNotFoundError("/proc/self/statm")

    monkeypatch.setattr("builtins.open", no_proc)
    assert memory.resident_bytes() is None


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_glibc_has_malloc_trim():
    assert memory._malloc_trim() is not None
    assert memory._malloc_trim()(0) in (0, 1)  # 1: memory was released, 0: there was none to release


def _pool_in_a_fresh_process(env: dict[str, str]) -> str:
    """The pool ``use_steady_pool`` leaves in a new interpreter (the test process keeps its own)."""
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"} | env
    done = subprocess.run([sys.executable, "-c", "from pipeline.core.memory import use_steady_pool as u; print(u())"],
                          env=clean, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_steady_pool_is_jemalloc_where_pyarrow_has_it():
    import pyarrow as pa

    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        expected = pa.default_memory_pool().backend_name  # the default stays
    else:
        expected = "jemalloc"
    assert _pool_in_a_fresh_process({}) == expected


def test_steady_pool_leaves_a_pool_the_environment_chose():
    assert _pool_in_a_fresh_process({"ARROW_DEFAULT_MEMORY_POOL": "system"}) == "system"

