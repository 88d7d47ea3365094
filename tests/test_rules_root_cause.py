"""One root cause, one finding; a deadline before its assignment is flagged (issue #18).

A cell that fails its type reaches the cross-field rules as missing: the rules that read it must
not report it again as missing or out of order. Both engines give the same findings.
Rows count as Excel counts them (header = 1); tests/fixtures/tiny/issues/2026.csv:
row 2 Q-001 archived, row 3 Q-002 evaluated, row 4 Q-003 resolved, row 5 Q-004 assigned 2026-03-09.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.core import values
from pipeline.validate import validate
from tests.conftest import make_tiny
from tests.test_validate import edit_cell

ISSUES = "issues/2026.csv"

# Each defect: the cells set, and the findings expected (file, row, field, code), nothing else.
ROOT_CAUSE_DEFECTS = {
    "assigned-on-with-slashes-on-archived-issue": (
        [(ISSUES, 2, "assigned_on", "2026/1/1")],
        [(ISSUES, 2, "assigned_on", "type-error")]),
    "resolved-on-not-a-date-on-evaluated-issue": (
        [(ISSUES, 3, "resolved_on", "2026年3月9日")],
        [(ISSUES, 3, "resolved_on", "type-error")]),
    "archived-on-not-a-date-on-archived-issue": (
        [(ISSUES, 2, "archived_on", "2026-03-32")],
        [(ISSUES, 2, "archived_on", "type-error")]),
    # the type error of another cell does not hide a finding that does not read it
    "resolved-on-missing-beside-bad-assigned-on": (
        [(ISSUES, 4, "resolved_on", ""), (ISSUES, 4, "assigned_on", "2026/3/5")],
        [(ISSUES, 4, "assigned_on", "type-error"), (ISSUES, 4, "resolved_on", "status-missing-field")]),
    "due-on-before-assigned-on": (
        [(ISSUES, 5, "due_on", "2026-03-05")],
        [(ISSUES, 5, "due_on", "due-before-assigned")]),
    # a deadline whose assignment date is unreadable: only the type error
    "due-on-beside-assigned-on-with-slashes": (
        [(ISSUES, 5, "due_on", "2026-03-05"), (ISSUES, 5, "assigned_on", "2026/3/9")],
        [(ISSUES, 5, "assigned_on", "type-error")]),
}


def flat(folder: Path, engine: str = "fast") -> list[tuple]:
    report, _ = validate(folder, engine=engine)
    return [(f.path, f.row, f.field, f.code) for f in report.findings]


def full(folder: Path, engine: str) -> list[tuple]:
    report, _ = validate(folder, engine=engine)
    return [(f.path, f.row, f.field, f.code, f.value, f.message_zh, f.fix_zh) for f in report.findings]


@pytest.mark.parametrize("defect", sorted(ROOT_CAUSE_DEFECTS))
def test_one_root_cause_gives_one_finding_in_both_engines(tiny, defect):
    cells, expected = ROOT_CAUSE_DEFECTS[defect]
    for cell in cells:
        edit_cell(tiny, *cell)
    assert flat(tiny) == sorted(expected, key=lambda f: (f[0], f[1], f[2], f[3]))
    assert full(tiny, "fast") == full(tiny, "frictionless")


def test_bad_date_in_assigned_on_gives_no_status_missing_field(tiny):
    edit_cell(tiny, ISSUES, 2, "assigned_on", "2026/1/1")
    report, _ = validate(tiny)
    assert [(f.code, f.message_zh) for f in report.findings] == [
        ("type-error", "字段 assigned_on 的值“2026/1/1”不是合法的日期。")]


def test_deadline_before_assignment_is_flagged(tiny):
    edit_cell(tiny, ISSUES, 5, "due_on", "2026-03-05")
    report, _ = validate(tiny)
    (finding,) = report.findings
    assert (finding.path, finding.row, finding.field, finding.value, finding.severity) == (
        ISSUES, 5, "due_on", "2026-03-05", "error")
    assert finding.message_zh == "办结期限（due_on）是 2026-03-05，早于交办日期（assigned_on）2026-03-09。"
    assert finding.fix_zh == ("办结期限从交办日期起算，最早是交办当天：改正两个日期中有误的一个；不确定期限时把办结期限留空，"
                              "系统按办理时限规则（deadline_rules）从交办日期算出期限。")
    assert finding.message_en == "The deadline due_on is 2026-03-05, before the assignment date assigned_on (2026-03-09)."
    edit_cell(tiny, ISSUES, 5, "due_on", "2026-03-09")  # the day of assignment is allowed: same_day rules
    assert flat(tiny) == []


NOT_A_DATE = st.one_of(
    st.sampled_from(["2026/1/1", "2026.3.27", "2026年3月5日", "46000", "3/5/2026", "2026-02-30", "2026-3-5",
                     "２０２６-０３-０２", " 2026-03-02", "2026-03-02 08:00", "N/A", "—"]),
    st.text(min_size=1, max_size=12).filter(lambda t: t.strip() and "\n" not in t and "\r" not in t),
).filter(lambda text: values.read_date(text) is None)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=NOT_A_DATE, row=st.sampled_from([2, 3, 4, 5]), field=st.sampled_from(["assigned_on", "resolved_on"]))
def test_unreadable_lifecycle_date_gives_only_its_type_error(tmp_path_factory, text, row, field):
    folder = make_tiny(tmp_path_factory.mktemp("root") / "tiny")
    if field == "resolved_on" and row == 5:
        edit_cell(folder, ISSUES, row, "status", "resolved")  # Q-004 is not resolved yet: make it so
        edit_cell(folder, ISSUES, row, "resolved_at_level", "township")
    edit_cell(folder, ISSUES, row, field, text)
    assert flat(folder) == [(ISSUES, row, field, "type-error")]
