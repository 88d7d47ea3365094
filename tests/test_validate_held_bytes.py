"""Validation holds at most ``HELD_BYTES`` of the files' bytes between its reads (a megacity's year is
4 GB of CSV); a file beyond it is read again where it is needed, and its work checks that the bytes are
still those it cut. With nothing held, every finding is the one validation gives holding every file."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import pipeline.validate as validation
import pipeline.validate.files as files
from pipeline.core.cache import FileCache
from pipeline.core.package import load
from pipeline.validate.files import FileBytes
from tests.test_engines import broken_copy, mutations
from tests.test_validate import CELL_DEFECTS, FILE_DEFECTS, edit_cell


def findings(folder: Path, budget: int, monkeypatch, cache: FileCache | None = None) -> list[dict]:
    monkeypatch.setattr(files, "HELD_BYTES", budget)
    report, _ = validation.validate(folder, cache=cache)
    return [f.to_dict() for f in report.findings]


def assert_same_holding_nothing(folder: Path, monkeypatch) -> list[dict]:
    held = findings(folder, 512 << 20, monkeypatch)
    assert findings(folder, 0, monkeypatch) == held
    return held


@pytest.mark.parametrize("defect", sorted(FILE_DEFECTS))
def test_file_defects_are_found_the_same_holding_nothing(tiny, monkeypatch, defect):
    apply, expected = FILE_DEFECTS[defect]
    apply(tiny)
    assert [(f["path"], f["row"], f["field"], f["code"]) for f in assert_same_holding_nothing(tiny, monkeypatch)] \
        == expected


def test_all_cell_defects_at_once_are_found_the_same_holding_nothing(tiny, monkeypatch):
    for cell, _ in CELL_DEFECTS.values():
        edit_cell(tiny, *cell)
    assert len(assert_same_holding_nothing(tiny, monkeypatch)) >= 15


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=mutations())
def test_randomly_broken_copies_are_judged_the_same_holding_nothing(tmp_path_factory, monkeypatch, edits):
    assert_same_holding_nothing(broken_copy(tmp_path_factory, edits), monkeypatch)


def test_the_budget_holds_files_until_it_is_spent_and_hands_the_rest_over(tiny):
    package = load(tiny)
    issues = package.files("issues")[0]
    regions = package.files("regions")[0]
    held = FileBytes(budget=regions.abs.stat().st_size)
    assert held.head(issues, 4) == issues.abs.read_bytes()[:4] and not held.whole(issues)  # only its head read
    assert held.read(regions) == regions.abs.read_bytes() and held.whole(regions)  # fits: kept
    assert held.read(issues) == issues.abs.read_bytes() and not held.whole(issues)  # beyond: handed over
    assert held.head(issues, None) == issues.abs.read_bytes()
    held.forget()
    assert held.read(issues) == issues.abs.read_bytes() and held.whole(issues) is False  # still beyond
    assert FileBytes(budget=1 << 30).read(issues) is not None


def test_a_file_changed_after_it_was_cut_and_not_held_is_reported_not_worked_on(tiny, monkeypatch, tmp_path):
    """Not held, a file is read again when it is worked on: if its bytes are no longer those that were
    cut, validation says so instead of checking other bytes than it hashed."""
    import pipeline.validate.scan as scan
    monkeypatch.setattr(files, "HELD_BYTES", 0)
    path = tiny / "issues" / "2026.csv"
    work_files = scan.work_files

    def edited_first(package, plans, cache, kept=None):
        edit_cell(tiny, "issues/2026.csv", 2, "title", "路灯不亮，夜里看不见路，请修一修")
        return work_files(package, plans, cache, kept)

    monkeypatch.setattr(validation, "work_files", edited_first)
    report, ledger = validation.validate(tiny, cache=FileCache(tmp_path / "cache"))
    assert [(f.path, f.code) for f in report.findings] == [("issues/2026.csv", "package-error")]
    assert "文件在校验过程中被修改了" in report.findings[0].message_zh and ledger is None
    assert path.is_file()
