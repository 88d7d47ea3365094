"""Findings are data: one catalogue of codes, the same list in every report format."""

from __future__ import annotations

import json
import re
import string
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core import findings as fd
from pipeline.core.codes import CODES
from pipeline.core.descriptor import load_standard


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


# --- The field's Chinese title ----------------------------------------------------------------------

STANDARD = load_standard()
TITLES, FILES = fd.field_titles(STANDARD)
TITLED = sorted((rel, name, title) for rel, resource in FILES.items() for name, title in TITLES[resource].items())


def date_error(field: str = "raised_on", path: str = "issues/2026.csv", **where) -> fd.Finding:
    return fd.make("type-error", path=path, row=9, field=field, value="2026/1/5", type_zh="日期", type_en="date",
                   type_fix="写成 2026-01-05", type_fix_en="write 2026-01-05", **where)


def test_the_standard_gives_titles_by_resource_and_each_data_file_its_resource():
    assert TITLES["issues"]["raised_on"] == "提出日期" and TITLES["meetings"]["departments"] == "参会部门"
    assert FILES["issues/2026.csv"] == "issues" and FILES["meetings.csv"] == "meetings"


def test_a_titled_field_shows_its_title_in_text_markdown_and_json():
    report = fd.Report.of(fd.with_field_titles([date_error()], STANDARD))
    (finding,) = report.findings
    assert finding.field_title == "提出日期"
    assert fd.to_text(report).splitlines()[0] == "[错误] issues/2026.csv，第 9 行，字段 raised_on（提出日期） [type-error]"
    assert ("| ☐ | 9 | raised\\_on（提出日期） | 2026/1/5 | 字段 raised\\_on 的值“2026/1/5”不是合法的日期。 | "
            "写成 2026-01-05 |") in fd.to_markdown(report)
    (item,) = json.loads(fd.to_json(report))["findings"]
    assert (item["field"], item["field_title"]) == ("raised_on", "提出日期")


def test_a_field_the_standard_does_not_know_shows_no_title():
    report = fd.Report.of(fd.with_field_titles([date_error("remarks"), date_error(path="notes.csv")], STANDARD))
    assert [f.field_title for f in report.findings] == [None, None]
    text = fd.to_text(report)
    assert "[错误] issues/2026.csv，第 9 行，字段 remarks [type-error]" in text
    assert "[错误] notes.csv，第 9 行，字段 raised_on [type-error]" in text  # no resource: no title
    assert "| remarks | 2026/1/5 |" in fd.to_markdown(report)
    assert json.loads(fd.to_json(report))["findings"][0]["field_title"] is None


def test_the_title_is_the_one_of_the_resource_the_file_belongs_to():
    # region_code is 所在区划 in issues, 举行地点 in meetings, 所属区划 in departments: the path decides,
    # then (a workbook being imported, datapackage.json) the resource the finding names or the import's.
    found = fd.with_field_titles([date_error("region_code"), date_error("region_code", path="meetings.csv"),
                                  date_error("region_code", path="部门.xlsx（工作表“部门”）", resource="departments"),
                                  date_error("region_code", path="datapackage.json", resource="meetings")], STANDARD)
    assert [f.field_title for f in found] == ["所在区划", "举行地点", "所属区划", "举行地点"]
    # An import names its resource: a workbook called meetings.csv imported into issues is about issues.
    (imported,) = fd.with_field_titles([date_error("region_code", path="meetings.csv", resource="issues")],
                                       STANDARD, resource="issues")
    assert imported.field_title == "所在区划"


def test_a_composite_key_is_titled_field_by_field():
    found = fd.with_field_titles([date_error("issue_id+seq", path="issue_events.csv"),
                                  date_error("issue_id、seq", path="问题.xlsx", resource="issue_events"),
                                  date_error("issue_id+remarks", path="issue_events.csv")], STANDARD)
    titles = TITLES["issue_events"]
    assert [f.field_title for f in found] == [f"{titles['issue_id']}+{titles['seq']}",
                                              f"{titles['issue_id']}、{titles['seq']}", None]


def test_titling_is_idempotent_and_leaves_findings_without_a_field_alone():
    once = fd.with_field_titles([date_error(), fd.make("blank-row", path="issues/2026.csv", row=3)], STANDARD)
    assert fd.with_field_titles(once, STANDARD) == once
    assert once[1] == fd.make("blank-row", path="issues/2026.csv", row=3)


def test_a_title_with_markup_is_escaped_in_markdown():
    descriptor = {"resources": [{"name": "t", "path": "t.csv", "schema": {"fields": [
        {"name": "d", "title": "<b>日期</b>|*[x](y)*_`"}]}}]}
    report = fd.Report.of(fd.with_field_titles([date_error("d", path="t.csv")], descriptor))
    row = next(line for line in fd.to_markdown(report).splitlines() if line.startswith("| ☐"))
    assert row.startswith("| ☐ | 9 | d（&lt;b&gt;日期&lt;/b&gt;\\|\\*\\[x\\](y)\\*\\_\\`） | 2026/1/5 |")
    assert len(re.findall(r"(?<!\\)(?:\\\\)*\|", row)) == 7  # the pipe in the title opens no column
    assert "字段 d（<b>日期</b>|*[x](y)*_`）" in fd.to_text(report)  # a terminal shows it as written


def test_a_name_that_already_shows_its_title_does_not_repeat_it():
    # The inbox names a field by its workbook column, which holds the title: 参会部门（F 列）.
    finding = replace(date_error("参会部门（F 列）", path="inbox/会议.xlsx"), field_title="参会部门")
    assert fd.field_label(finding) == "参会部门（F 列）"
    assert "，字段 参会部门（F 列） [type-error]" in fd.to_text(fd.Report.of([finding]))


def test_descriptors_of_odd_shapes_give_no_titles_rather_than_fail():
    for descriptor in ({}, {"resources": "x"}, {"resources": [1, {"name": 2}, {"name": "a", "schema": []},
                                                              {"name": "b", "schema": {"fields": [1, {"name": "x"}]}},
                                                              {"name": "c", "path": ["c.csv", 3],
                                                               "schema": {"fields": [{"name": "y", "title": "y"}]}}]}):
        assert fd.with_field_titles([date_error()], descriptor) == [date_error()]


@pytest.mark.parametrize("code", sorted(CODES))
@settings(max_examples=15, deadline=None)
@given(where=st.sampled_from(TITLED))
def test_every_code_that_names_a_field_names_its_title_in_every_report(code, where):
    """Whatever the code (each may name a field) and whichever field of whichever data file: the
    where-line, the Markdown row and the JSON name the field with its Chinese title."""
    rel, name, title = where
    info = CODES[code]
    names = set().union(*(placeholders(t) for t in (info.message_zh, info.message_en, info.fix_zh, info.fix_en)))
    finding = fd.make(code, path=rel, row=2, field=name, value="v",
                      **{n: f"<{n}>" for n in names - {"path", "row", "field", "value", "resource"}})
    report = fd.Report.of(fd.with_field_titles([finding], STANDARD))
    assert fd.to_text(report).splitlines()[0].endswith(f"，第 2 行，字段 {name}（{title}） [{code}]")
    assert f" | {fd.md_cell(name)}（{fd.md_cell(title)}） | " in fd.to_markdown(report)
    assert json.loads(fd.to_json(report))["findings"][0]["field_title"] == title
