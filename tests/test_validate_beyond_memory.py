"""A package beyond ``HELD_TABLES_BYTES`` of CSV (a megacity's year) is validated to save memory: every
segment's typed rows and key text are let go once stored and loaded from the cache when used, and the
key checks run before the rules' ledger is assembled instead of beside it. The findings, and the ledger
``ledger build`` gets, are exactly those of validation holding everything."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import pipeline.validate as validation
import pipeline.validate.scan as scan
from pipeline.core.cache import FileCache
from pipeline.core.package import load
from pipeline.validate.files import check_files
from pipeline.validate.keys import key_field_names
from tests.test_engines import broken_copy, mutations
from tests.test_validate import CELL_DEFECTS, edit_cell


def judged(folder: Path, cache: Path, monkeypatch, beyond: bool, ledger_needed: bool = False):
    monkeypatch.setattr(scan, "HELD_TABLES_BYTES", 0 if beyond else 1 << 30)
    monkeypatch.setattr(scan, "ONE_THREAD_BYTES", 0)  # held: two threads, the key checks beside the rules
    report, ledger = validation.validate(folder, cache=FileCache(cache), ledger_needed=ledger_needed)
    return [f.to_dict() for f in report.findings], ledger


def assert_same_beyond_memory(folder: Path, tmp: Path, monkeypatch) -> list[dict]:
    """Cold and recalled, with the lean ledger and the whole one: the same findings either way."""
    held, _ = judged(folder, tmp / "held", monkeypatch, beyond=False)
    assert judged(folder, tmp / "beyond", monkeypatch, beyond=True)[0] == held  # cold
    assert judged(folder, tmp / "beyond", monkeypatch, beyond=True)[0] == held  # recalled
    assert judged(folder, tmp / "beyond-whole", monkeypatch, beyond=True, ledger_needed=True)[0] == held
    return held


def test_the_valid_package_is_valid_beyond_memory(tiny, tmp_path, monkeypatch):
    assert assert_same_beyond_memory(tiny, tmp_path, monkeypatch) == []


@pytest.mark.parametrize("defect", sorted(CELL_DEFECTS))
def test_every_defect_is_found_the_same_beyond_memory(tiny, tmp_path, monkeypatch, defect):
    cell, expected = CELL_DEFECTS[defect]
    edit_cell(tiny, *cell)
    found = assert_same_beyond_memory(tiny, tmp_path, monkeypatch)
    assert {(f["path"], f["row"], f["field"], f["code"]) for f in found} >= set(expected)


def test_all_defects_at_once_are_found_the_same_beyond_memory(tiny, tmp_path, monkeypatch):
    for cell, _ in CELL_DEFECTS.values():
        edit_cell(tiny, *cell)
    assert len(assert_same_beyond_memory(tiny, tmp_path, monkeypatch)) >= 15


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=mutations())
def test_randomly_broken_copies_are_judged_the_same_beyond_memory(tmp_path_factory, monkeypatch, edits):
    assert_same_beyond_memory(broken_copy(tmp_path_factory, edits), tmp_path_factory.mktemp("caches"), monkeypatch)


def test_the_demo_gives_build_the_same_ledger_beyond_memory(demo_copy, tmp_path, monkeypatch):
    edit_cell(demo_copy, "issues/2026.csv", 3, "resolved_on", "2020-01-01")  # before it was raised
    held, whole = judged(demo_copy, tmp_path / "held", monkeypatch, beyond=False, ledger_needed=True)
    beyond, saved = judged(demo_copy, tmp_path / "beyond", monkeypatch, beyond=True, ledger_needed=True)
    assert beyond == held and [f["code"] for f in held] == ["date-order"]
    assert list(saved.frames) == list(whole.frames)
    for name, frame in whole.frames.items():
        pd.testing.assert_frame_equal(saved.frames[name], frame, check_exact=True)
    assert saved.validated == whole.validated


def worked(folder: Path, cache: FileCache, monkeypatch, beyond: bool):
    monkeypatch.setattr(scan, "HELD_TABLES_BYTES", 0 if beyond else 1 << 30)
    package, plans = planned(folder, cache)
    return package, plans, scan.work_files(package, plans, cache, validation.columns_the_rules_read(package))


def test_beyond_memory_a_segment_holds_no_table_once_stored_and_loads_it_when_used(tiny, tmp_path, monkeypatch):
    package, plans, works = worked(tiny, FileCache(tmp_path / "cache"), monkeypatch, beyond=True)
    assert scan.beyond_memory(plans)
    issues = [f["name"] for f in package.fields("issues")]
    for work in works["issues"]:
        assert all(s.typed is None and s.keys is None for s in work.segments)
    assert works["issues"][0].table(0, "typed").column_names == issues  # as stored: every column
    for name, items in works.items():
        keys = [f["name"] for f in package.fields(name) if f["name"] in key_field_names(package, name)]
        assert all(work.table(0, "keys").column_names == keys for work in items if work.segments)
    assert "id" in key_field_names(package, "issues") and "title" not in key_field_names(package, "issues")


def test_beyond_memory_without_a_cache_the_tables_are_held(tiny, monkeypatch):
    """Nothing to load them from: they stay in memory, and the findings are those of a cached run."""
    _, _, works = worked(tiny, FileCache(None), monkeypatch, beyond=True)
    assert all(s.typed is not None for work in works["issues"] for s in work.segments)
    monkeypatch.setattr(scan, "HELD_TABLES_BYTES", 0)
    edit_cell(tiny, "issues/2026.csv", 2, "tier", "hard")
    report, _ = validation.validate(tiny, cache=FileCache(None))
    assert [(f.row, f.field, f.code) for f in report.findings] == [(2, "tier", "constraint-error")]


def test_within_memory_the_segments_keep_the_rules_columns(tiny, tmp_path, monkeypatch):
    package, plans, works = worked(tiny, FileCache(tmp_path / "cache"), monkeypatch, beyond=False)
    assert not scan.beyond_memory(plans)
    kept = validation.columns_the_rules_read(package)["issues"]
    assert works["issues"][0].segments[0].typed.column_names == [
        f["name"] for f in package.fields("issues") if f["name"] in kept]


@pytest.mark.parametrize("ledger_needed, expected", [
    (False, ["ledger", "keys begin", "keys end"]),  # the rules' ledger, let go before the key checks
    (True, ["keys begin", "keys end", "ledger"]),  # the build's, which stays: the key checks go first
])
def test_beyond_memory_the_key_checks_and_the_ledger_come_one_after_the_other(tiny, tmp_path, monkeypatch,
                                                                              ledger_needed, expected):
    order: list[str] = []
    key_checks, build_ledger = validation.key_checks, validation.build_ledger

    def checked(*args):
        order.append("keys begin")
        result = key_checks(*args)
        order.append("keys end")
        return result

    monkeypatch.setattr(validation, "key_checks", checked)
    monkeypatch.setattr(validation, "build_ledger", lambda *args: order.append("ledger") or build_ledger(*args))
    judged(tiny, tmp_path / "cache", monkeypatch, beyond=True, ledger_needed=ledger_needed)
    assert order == expected


def test_beyond_memory_a_stored_table_found_unsound_is_worked_on_again(tiny, tmp_path, monkeypatch):
    """A table let go and then damaged in the cache before it is loaded: its segment is worked on again
    from the file, and the findings are those of a sound run."""
    edit_cell(tiny, "issues/2026.csv", 3, "resolved_on", "2020-01-01")
    expected, _ = judged(tiny, tmp_path / "sound", monkeypatch, beyond=False)
    work_files = validation.work_files

    def damaged_after(package, plans, cache, kept=None):
        works = work_files(package, plans, cache, kept)
        for entry in sorted((tmp_path / "damaged").rglob("*.arrow")):
            entry.write_bytes(entry.read_bytes()[:-8] + b"\0" * 8)
        return works

    monkeypatch.setattr(validation, "work_files", damaged_after)
    found, _ = judged(tiny, tmp_path / "damaged", monkeypatch, beyond=True)
    assert found == expected and [f["code"] for f in found] == ["date-order"]


def test_beyond_memory_ledger_validate_runs_one_rule_at_a_time(tiny, tmp_path, monkeypatch):
    """Two rules' own frames never meet: every rule runs on the same thread, and they do not overlap."""
    import threading

    running, seen, overlapped = [], set(), []
    run_rule = validation.run_rule

    def one(spec, ledger, columns):
        running.append(spec.name)
        overlapped.append(len(running) > 1)
        seen.add(threading.get_ident())
        try:
            return list(run_rule(spec, ledger, columns))
        finally:
            running.remove(spec.name)

    monkeypatch.setattr(validation, "run_rule", one)
    edit_cell(tiny, "issues/2026.csv", 3, "resolved_on", "2020-01-01")
    found, _ = judged(tiny, tmp_path / "cache", monkeypatch, beyond=True)
    package = load(tiny)
    parts = [part for spec in validation.rules_for(package) for part in spec.parts(package)]
    assert len(overlapped) == len(parts) and not any(overlapped) and len(seen) == 1
    assert [f["code"] for f in found] == ["date-order"]


@pytest.mark.parametrize("beyond", [False, True])
def test_a_failure_making_the_ledger_is_the_one_raised(tiny, tmp_path, monkeypatch, beyond):
    """The segments' tables are spent once the ledger is tried: every rule that needs it gets the first
    failure, not an error of the tables being gone."""
    def failing(*args):
        raise ValueError("the ledger could not be made")

    monkeypatch.setattr(validation, "build_ledger", failing)
    with pytest.raises(ValueError, match="the ledger could not be made"):
        judged(tiny, tmp_path / "cache", monkeypatch, beyond=beyond)


def test_a_small_package_on_one_thread_is_judged_as_on_two(tiny, tmp_path, monkeypatch):
    """Below ``ONE_THREAD_BYTES`` validation works on one thread; the findings are those of two."""
    for cell, _ in CELL_DEFECTS.values():
        edit_cell(tiny, *cell)
    assert scan.one_thread(planned(tiny, FileCache(None))[1])
    one, _ = validation.validate(tiny, cache=FileCache(None))
    monkeypatch.setattr(scan, "ONE_THREAD_BYTES", 0)
    assert not scan.one_thread(planned(tiny, FileCache(None))[1])
    two, _ = validation.validate(tiny, cache=FileCache(None))
    assert len(one.findings) >= 15
    assert [f.to_dict() for f in one.findings] == [f.to_dict() for f in two.findings]


@pytest.mark.parametrize("ledger_needed", [True, False])
def test_a_small_package_s_rules_run_on_the_calling_thread(tiny, monkeypatch, ledger_needed):
    """One thread means one: no rule runs on a second thread (whose hand-overs of the interpreter lock
    cost more than a small package's rules), with or without the ledger kept."""
    threads = []
    run_rule = validation.run_rule

    def recorded(*args):
        threads.append(threading.get_ident())
        return run_rule(*args)

    monkeypatch.setattr(validation, "run_rule", recorded)
    validation.validate(tiny, cache=FileCache(None), ledger_needed=ledger_needed)
    assert len(threads) > 20 and set(threads) == {threading.get_ident()}


def test_a_failure_on_the_calling_thread_reaches_the_caller_as_from_a_pool():
    future = validation.InlineExecutor().submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        future.result()
    assert validation.InlineExecutor().submit(lambda: "done").result() == "done"


def planned(folder: Path, cache: FileCache):
    """The package and its files' plans, as validation makes them before any segment is worked on."""
    package = load(folder)
    planner = scan.Planner(package, cache)
    _, facts = check_files(package, planner.held)
    return package, scan.plan_files(package, facts, planner)[1]
