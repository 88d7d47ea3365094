"""``ledger validate`` builds a ledger of only what the rules read (``columns_the_rules_read``), and its
findings are exactly those of validation with the whole ledger (what ``ledger build`` uses): on the
valid package, every defect fixture, all defects at once, randomly broken copies and the demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import pipeline.validate as validation
from pipeline.core.cache import FileCache
from pipeline.core.package import load
from tests.test_engines import broken_copy, mutations
from tests.test_validate import CELL_DEFECTS, edit_cell


def findings(folder: Path, ledger_needed: bool, cache: FileCache | None = None) -> list[dict]:
    report, ledger = validation.validate(folder, cache=cache, ledger_needed=ledger_needed)
    assert (ledger is None) if not ledger_needed else (ledger is not None or not report.valid)
    return [f.to_dict() for f in report.findings]


def assert_lean_is_whole(folder: Path) -> list[dict]:
    lean = findings(folder, ledger_needed=False)
    assert lean == findings(folder, ledger_needed=True)
    return lean


def test_the_valid_package_is_valid_either_way(tiny):
    assert assert_lean_is_whole(tiny) == []


@pytest.mark.parametrize("defect", sorted(CELL_DEFECTS))
def test_every_defect_is_found_the_same_with_the_lean_ledger(tiny, defect):
    cell, expected = CELL_DEFECTS[defect]
    edit_cell(tiny, *cell)
    found = assert_lean_is_whole(tiny)
    assert {(f["path"], f["row"], f["field"], f["code"]) for f in found} >= set(expected)


def test_all_defects_at_once_are_found_the_same(tiny):
    for cell, _ in CELL_DEFECTS.values():
        edit_cell(tiny, *cell)
    assert len(assert_lean_is_whole(tiny)) >= 15


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=mutations())
def test_randomly_broken_copies_are_judged_the_same(tmp_path_factory, edits):
    assert_lean_is_whole(broken_copy(tmp_path_factory, edits))


def test_the_demo_is_judged_the_same_and_its_lean_ledger_leaves_out_the_titles(demo_copy, monkeypatch, tmp_path):
    edit_cell(demo_copy, "issues/2026.csv", 3, "resolved_on", "2020-01-01")  # before it was raised
    built, made = [], []
    build = validation.build_ledger

    def kept(package, frames=None, derived=None):
        built.append({name: list(frame.columns) for name, frame in frames.items()})
        made.append(build(package, frames, derived))
        return made[-1]

    monkeypatch.setattr(validation, "build_ledger", kept)
    lean = findings(demo_copy, ledger_needed=False, cache=FileCache(tmp_path / "cache"))
    (columns,) = built  # as validation handed them over, before the ledger added its own
    package = load(demo_copy)
    read = validation.columns_the_rules_read(package)
    assert columns["issues"] == ["_path", "_row", *(f["name"] for f in package.fields("issues")
                                                                  if f["name"] in read["issues"])]
    assert "title" not in columns["issues"] and {"id", "status", "tier"} <= set(columns["issues"])
    # read by no rule, nor anything the rules read is derived from: left out, and not derived
    assert not {"region_code", "category", "lead_department"} & set(columns["issues"])
    assert "month" not in made[0].issues and {"due", "due_provisional"} <= set(made[0].issues.columns)
    assert [c for c in made[0].evaluations.columns if c.startswith("issue_")] == [
        "issue_id", "issue_status", "issue_resolved_on"]
    # the file paths and the closed lists as categories, sorted as their text; the rest as text
    issues = made[0].issues
    assert issues["status"].cat.categories.tolist() == sorted(package.field("issues", "status")["constraints"]["enum"])
    assert issues["_path"].cat.categories.tolist() == sorted(f.rel for f in package.files("issues"))
    assert made[0].evaluations["issue_status"].dtype == issues["status"].dtype  # attached as they are
    assert str(issues["id"].dtype) == "str" and str(issues["tier"].dtype) == "category"
    assert issues["status"].astype("str").tolist() == validation.validate(demo_copy)[1].issues["status"].tolist()
    assert len(columns["holidays"]) == 2 + len(package.fields("holidays"))  # the calendar reads it all
    assert lean == findings(demo_copy, ledger_needed=True)
    assert [f["code"] for f in lean] == ["date-order"]


def test_segments_worked_on_keep_only_the_columns_the_rules_read_and_a_warm_run_agrees(demo_copy, tmp_path):
    """A cold ``ledger validate`` let go of every typed column no rule reads as soon as a segment was
    worked on (at a million issues they held most of its memory); what it stored keeps every column, so
    a later ``ledger build`` recalls whole segments."""
    from pipeline.validate.files import check_files
    from pipeline.validate.scan import Planner, plan_files, work_files

    edit_cell(demo_copy, "issues/2026.csv", 3, "resolved_on", "2020-01-01")
    package = load(demo_copy)
    cache = FileCache(tmp_path / "cache")
    planner = Planner(package, cache)
    _, facts = check_files(package, planner.held)
    _, plans = plan_files(package, facts, planner)
    kept = validation.columns_the_rules_read(package)
    works = work_files(package, plans, cache, kept)
    issues = [f["name"] for f in package.fields("issues")]
    for work in works["issues"]:
        for segment in work.segments:
            assert segment.typed.column_names == [n for n in issues if n in kept["issues"]]
    assert works["holidays"][0].segments[0].typed.column_names == [f["name"] for f in package.fields("holidays")]
    recalled = work_files(package, plan_files(package, facts, Planner(package, cache))[1], cache, None)
    assert recalled["issues"][0].segments[0].typed is None  # recalled: loaded when used, with every column
    assert recalled["issues"][0].table(0, "typed").column_names == issues
    cold = findings(demo_copy, ledger_needed=False, cache=FileCache(tmp_path / "cold"))
    assert cold == findings(demo_copy, ledger_needed=False, cache=FileCache(tmp_path / "cold"))  # recalled
    assert cold == findings(demo_copy, ledger_needed=True, cache=FileCache(tmp_path / "cold"))
    assert [f["code"] for f in cold] == ["date-order"]
