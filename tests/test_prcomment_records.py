"""Validation findings of a pull request carry the record id, and the comment shows it (issue #18).

The record id is the row's primary key as the file has it ("Q-001"; a composite key joined by
"/"). It is data in the JSON report (``record``), read back under the artifact's exact schema,
and shown escaped in its own column of the comment.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.contribute.diff import to_markdown as diff_markdown
from pipeline.contribute.prcomment import BadArtifact, comment_for, parse_report
from pipeline.core import findings as fd
from pipeline.validate import validate
from tests.test_prcomment import artifact, payload, rejected
from tests.test_validate import edit_cell

ISSUES = "issues/2026.csv"
UNESCAPED_PIPE = re.compile(r"(?<!\\)(?:\\\\)*\|")


def records(folder: Path, engine: str = "fast") -> list[tuple]:
    report, _ = validate(folder, engine=engine)
    return [(f.path, f.row, f.code, f.record) for f in report.findings]


def test_pr_comment_has_no_record_id_column(tiny, tmp_path):
    edit_cell(tiny, ISSUES, 5, "due_on", "2026-03-05")
    report, _ = validate(tiny)
    body = comment_for(artifact(tmp_path / "artifact", report, diff_markdown([])))
    assert "| | 行 | 记录 | 字段 | 值 | 问题 | 修改方法 |\n|---|---|---|---|---|---|---|\n" in body
    assert ("| ☐ | 5 | Q-004 | due\\_on（办结期限） | 2026-03-05 | 办结期限（due\\_on）是 2026-03-05，早于交办日期（assigned\\_on）2026-03-09。 | "
            in body)


def test_findings_of_a_row_carry_its_record_id_in_both_engines(tiny):
    edit_cell(tiny, ISSUES, 2, "assigned_on", "2026/1/1")
    edit_cell(tiny, "item_cases.csv", 2, "cases", "十二")  # composite key (item_id, region_code, month)
    edit_cell(tiny, "regions.csv", 2, "name", "\u3000")
    expected = [(ISSUES, 2, "type-error", "Q-001"),
                ("item_cases.csv", 2, "type-error", "D1/990121001000/2026-01"),
                ("regions.csv", 2, "invisible-value", "990100000000")]
    assert records(tiny) == expected
    assert records(tiny, "frictionless") == expected


def test_findings_without_a_data_row_carry_no_record_id(tiny):
    path = tiny / "departments.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("code,name", "代码,name", 1), encoding="utf-8")
    assert records(tiny) == [("departments.csv", 1, "incorrect-label", None)]


def test_record_id_holding_a_mobile_number_is_masked(tiny):
    edit_cell(tiny, ISSUES, 3, "id", "13812345678")
    report, _ = validate(tiny)
    (finding,) = [f for f in report.findings if f.path == ISSUES]  # the others: Q-002's references
    assert (finding.code, finding.value, finding.record) == ("pii-mobile", "138******78", "138******78")


def test_record_id_is_in_the_json_report(tiny):
    edit_cell(tiny, ISSUES, 5, "due_on", "2026-03-05")
    report, _ = validate(tiny)
    (item,) = json.loads(fd.to_json(report))["findings"]
    assert item["record"] == "Q-004"
    assert parse_report(fd.to_json(report)) == report


def hostile(record: object) -> dict:
    item = payload(fd.make("type-error", path=ISSUES, row=2, field="raised_on", resource="issues", value="x",
                           type_zh="日期", type_en="date", type_fix="", type_fix_en=""))
    item["findings"][0]["record"] = record
    return item


def test_record_id_of_the_wrong_type_is_refused(tmp_path):
    folder = artifact(tmp_path, hostile(7), diff_markdown([]))
    assert comment_for(folder) == rejected("问题条目的 record 类型不对")


def test_report_of_a_branch_without_record_ids_is_still_read():
    item = hostile(None)
    del item["findings"][0]["record"]
    (finding,) = parse_report(json.dumps(item)).findings
    assert finding.record is None


def test_record_id_is_escaped_in_the_comment(tmp_path):
    body = comment_for(artifact(tmp_path, hostile("Q-1|<b>@admin #12 [x](http://e.cn)"), diff_markdown([])))
    row = next(line for line in body.splitlines() if line.startswith("| ☐ | 2 |"))
    assert row.split(" | ")[2] == "Q-1\\|&lt;b&gt;@\u200badmin #\u200b12 \\[x\\](http:\u200b//e.cn)"
    assert "<b>" not in body


@settings(max_examples=200, deadline=None)
@given(record=st.text(max_size=60))
def test_any_record_id_stays_in_its_cell(record):
    from pipeline.contribute.prcomment import render
    report = parse_report(json.dumps(hostile(record)))
    body = render(report, [])
    (row,) = [line for line in body.splitlines() if line.startswith("| ☐ | 2 |")]
    assert len(UNESCAPED_PIPE.findall(row)) == 8  # seven columns, one row


def test_a_record_id_that_is_not_text_is_no_finding():
    with pytest.raises(BadArtifact, match="record"):
        parse_report(json.dumps(hostile(["Q-1"])))
