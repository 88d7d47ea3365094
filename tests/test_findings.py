"""Findings are data: one catalogue of codes, the same list in every report format."""

from __future__ import annotations

import json
import string

import pytest

from pipeline.core import findings as fd
from pipeline.core.codes import CODES


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_renders_in_both_languages(code):
    info = CODES[code]
    names = set().union(*(placeholders(t) for t in (info.message_zh, info.message_en, info.fix_zh, info.fix_en)))
    finding = fd.make(code, path="x.csv", row=2, field="title", value="v",
                      **{n: f"<{n}>" for n in names - {"path", "row", "field", "value", "resource"}})
    assert finding.message_zh and finding.message_en and finding.fix_zh and finding.fix_en
    assert finding.severity in (fd.ERROR, fd.WARNING)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in finding.message_zh + finding.fix_zh)


def sample_report():
    return fd.Report.of([
        fd.make("type-error", path="issues/2026.csv", row=9, field="raised_on", value="2026/1/5",
                type_zh="日期", type_en="date", type_fix="写成 2026-01-05", type_fix_en="write 2026-01-05"),
        fd.make("calendar-year-missing", path="holidays.csv", value="2027", year=2027, count=3),
        fd.make("type-error", path="issues/2026.csv", row=3, field="raised_on", value="x",
                type_zh="日期", type_en="date", type_fix="写成 2026-01-05", type_fix_en="write 2026-01-05"),
    ])


def test_report_is_sorted_by_file_then_row():
    assert [(f.path, f.row) for f in sample_report().findings] == [
        ("holidays.csv", None), ("issues/2026.csv", 3), ("issues/2026.csv", 9)]


def test_two_findings_on_one_cell_keep_one_order_whatever_order_they_came_in():
    """A NaN under a minimum and over a maximum: same file, row, field, code and value; the set the
    report dedupes through has no order of its own, so the texts decide (CI once saw the two engines
    disagree on it)."""
    below = fd.make("constraint-error", path="t.csv", row=2, field="n", value="NaN", constraint_zh="不能小于 0",
                    constraint_en="at least 0")
    above = fd.make("constraint-error", path="t.csv", row=2, field="n", value="NaN", constraint_zh="不能大于 0",
                    constraint_en="at most 0")
    expected = [above.message_zh, below.message_zh]
    assert [f.message_zh for f in fd.Report.of([below, above]).findings] == expected
    assert [f.message_zh for f in fd.Report.of([above, below]).findings] == expected


def test_warnings_do_not_make_a_report_invalid():
    report = sample_report()
    assert len(report.errors) == 2 and len(report.warnings) == 1 and not report.valid
    assert fd.Report(report.warnings).valid


def test_json_report_lists_every_field():
    payload = json.loads(fd.to_json(sample_report()))
    assert payload["valid"] is False and payload["errors"] == 2 and payload["warnings"] == 1
    assert sorted(payload["findings"][0]) == ["code", "field", "field_title", "fix_en", "fix_zh", "message_en", "message_zh", "path",
                                              "record", "resource", "row", "severity", "value"]


def test_text_report_names_file_row_field_and_code():
    text = fd.to_text(sample_report())
    assert "[错误] issues/2026.csv，第 9 行，字段 raised_on [type-error]" in text
    assert "[警告] holidays.csv [calendar-year-missing]" in text


def test_huge_cell_values_are_clipped_in_findings():
    finding = fd.make("unsafe-url", path="claims.csv", row=2, field="source_url", value="j" * 10_000)
    assert len(finding.value) == 201


def test_markdown_escapes_cell_text():
    assert fd.md_cell("<script>|*x*") == "&lt;script&gt;\\|\\*x\\*"


def test_markdown_escapes_backslashes_before_pipes():
    # "a\|b" must not end the table cell: the backslash is escaped first.
    assert fd.md_cell("a\\|b") == "a\\\\\\|b"


def test_markdown_file_heading_is_plain_code():
    report = fd.Report.of([fd.make("blank-row", path="deadline_rules.csv", row=3)])
    assert "#### `deadline_rules.csv`" in fd.to_markdown(report)
