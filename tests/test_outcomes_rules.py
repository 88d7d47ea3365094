"""The cross-field rules of outcomes, each pinned on a broken copy of the tiny package.

Each case changes one or two cells and asserts the exact findings:
(file, spreadsheet row, field, code, severity). Nothing else may be reported.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipeline.validate import validate


def edit(folder: Path, rel: str, row: int, **cells: str) -> None:
    """Set cells of one row; ``row`` counts as a spreadsheet does (header = 1)."""
    path = folder / rel
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    for field, value in cells.items():
        rows[row - 1][rows[0].index(field)] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def flat(report) -> list[tuple]:
    return [(f.path, f.row, f.field, f.code, f.severity) for f in report.findings]


CASES = {
    # E1 rates Q-004, which is only assigned.
    "evaluation-of-unresolved-issue": (
        [("evaluations.csv", 2, {"issue_id": "Q-004"})],
        [("evaluations.csv", 2, "issue_id", "issue-not-resolved", "error")]),
    # E4 rates Q-003 on 2026-03-19; Q-003 was resolved on 2026-03-20.
    "evaluation-before-resolution": (
        [("evaluations.csv", 5, {"evaluated_on": "2026-03-19"})],
        [("evaluations.csv", 5, "evaluated_on", "before-resolution", "error")]),
    # On the resolution day itself is allowed.
    "evaluation-on-resolution-day": (
        [("evaluations.csv", 5, {"evaluated_on": "2026-03-20"})],
        []),
    # Q-007 (registered) and Q-006 (withdrawn) can be neither rated nor inspected.
    "inspection-of-unresolved-issue": (
        [("inspections.csv", 2, {"issue_id": "Q-007"}), ("inspections.csv", 5, {"issue_id": "Q-006"})],
        [("inspections.csv", 2, "issue_id", "issue-not-resolved", "error"),
         ("inspections.csv", 5, "issue_id", "issue-not-resolved", "error")]),
    # I2 inspects Q-002 on 2026-03-08; Q-002 was resolved on 2026-03-09.
    "inspection-before-resolution": (
        [("inspections.csv", 3, {"inspected_on": "2026-03-08"})],
        [("inspections.csv", 3, "inspected_on", "before-resolution", "error")]),
    # E2 (rated 2026-03-12) rectified the day before it was rated.
    "rectified-before-rating": (
        [("evaluations.csv", 3, {"rectified_on": "2026-03-11"})],
        [("evaluations.csv", 3, "rectified_on", "date-order", "error")]),
    # Rectified on the rating day is fine.
    "rectified-on-rating-day": (
        [("evaluations.csv", 3, {"rectified_on": "2026-03-12"})],
        []),
    # E1 is rated 5 (not a 差评) but carries a rectification date: a warning, the data stays publishable.
    "rectified-not-negative": (
        [("evaluations.csv", 2, {"rectified_on": "2026-03-20"})],
        [("evaluations.csv", 2, "rectified_on", "rectified-not-negative", "warning")]),
    # A rating of 3 (基本满意) is not a 差评 either.
    "rectified-basic-rating": (
        [("evaluations.csv", 5, {"rectified_on": "2026-03-30"})],
        [("evaluations.csv", 5, "rectified_on", "rectified-not-negative", "warning")]),
    "survey-period-reversed": (
        [("surveys.csv", 2, {"period_start": "2026-03-31", "period_end": "2026-01-01"})],
        [("surveys.csv", 2, "period_end", "date-order", "error")]),
    "survey-overall-with-reference": (
        [("surveys.csv", 2, {"subject_ref": "hotline"})],
        [("surveys.csv", 2, "subject_ref", "survey-subject-ref", "error")]),
    "survey-mechanism-unknown": (
        [("surveys.csv", 3, {"subject_ref": "jtj"})],
        [("surveys.csv", 3, "subject_ref", "survey-subject-ref", "error")]),
    "survey-mechanism-without-reference": (
        [("surveys.csv", 3, {"subject_ref": ""})],
        [("surveys.csv", 3, "subject_ref", "survey-subject-ref", "error")]),
    "survey-department-unknown": (
        [("surveys.csv", 3, {"subject": "department", "subject_ref": "hotline"})],
        [("surveys.csv", 3, "subject_ref", "survey-subject-ref", "error")]),
    "survey-department-ok": (
        [("surveys.csv", 3, {"subject": "department", "subject_ref": "jtj"})],
        []),
    "survey-devolved-items-with-reference": (
        [("surveys.csv", 2, {"subject": "devolved_items", "subject_ref": "D1"})],
        [("surveys.csv", 2, "subject_ref", "survey-subject-ref", "error")]),
    "survey-without-responses": (
        [("surveys.csv", 3, {"very_satisfied": "0", "satisfied": "0", "basic": "0", "dissatisfied": "0",
                             "very_dissatisfied": "0"})],
        [("surveys.csv", 3, "very_satisfied", "survey-empty", "error")]),
}


# A rectification date on a non-negative rating is a warning: the data stays publishable.
def case_params():
    for name in sorted(CASES):
        yield pytest.param(name, id=name)


@pytest.mark.parametrize("name", list(case_params()))
def test_outcome_rule(tiny, name):
    edits, expected = CASES[name]
    for rel, row, cells in edits:
        edit(tiny, rel, row, **cells)
    report, _ = validate(tiny)
    assert flat(report) == expected


def test_rectification_on_a_positive_rating_does_not_block_publication(tiny):
    edits, _ = CASES["rectified-not-negative"]
    for rel, row, cells in edits:
        edit(tiny, rel, row, **cells)
    report, _ = validate(tiny)
    assert report.valid and [f.severity for f in report.findings] == ["warning"]


def test_messages_name_the_issue_and_its_resolution_date(tiny):
    edit(tiny, "evaluations.csv", 5, evaluated_on="2026-03-19")
    edit(tiny, "inspections.csv", 2, issue_id="Q-004")
    report, _ = validate(tiny)
    by_code = {f.code: f for f in report.findings}
    assert by_code["before-resolution"].message_zh == "evaluated_on 为 2026-03-19，早于问题 Q-003 的办结日期 2026-03-20。"
    assert by_code["issue-not-resolved"].message_zh == "问题 Q-004 的状态是“已交办”，尚未办结，不能有体验官核查。"
