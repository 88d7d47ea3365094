"""Template workbooks: Chinese headers the importer reads back, drop-downs, a 说明 sheet, fixed bytes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from pipeline.cli import cli
from pipeline.core.dictionary import dictionary_rows
from pipeline.contribute.importer import import_file
from pipeline.core.package import load
from pipeline.render.excel_templates import render_section
from pipeline.contribute.workbook import code_lists, template_bytes
from pipeline.core.ledger import read_resource

ISSUE_HEADERS = ["问题编号", "来源机制", "会议编号", "诉求类型", "提出日期", "所在区划", "问题标题", "问题类别", "难易程度",
                 "牵头部门", "协办部门", "办理状态", "交办日期", "办结期限", "办结日期", "归档日期", "办结层级", "是否督办",
                 "办理情况"]


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    from tests.conftest import make_tiny

    return load(make_tiny(tmp_path_factory.mktemp("workbook") / "tiny"))


def open_book(raw: bytes):
    return load_workbook(io.BytesIO(raw))


def save_filled(raw: bytes, rows: list[list], path: Path) -> Path:
    book = open_book(raw)
    for row in rows:
        book.worksheets[0].append(row)
    book.save(path)
    return path


def test_two_builds_are_byte_identical_and_dated_by_as_of(package):
    first, second = template_bytes(package, "issues"), template_bytes(package, "issues")
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 4, 30, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2026-04-30T00:00:00Z") == 2  # created and modified, never the clock


def test_sheets_headers_and_column_formats(package):
    book = open_book(template_bytes(package, "issues"))
    assert book.sheetnames == ["问题", "说明", "可选值"]
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ISSUE_HEADERS
    assert sheet.max_row == 1 and sheet.freeze_panes == "A2"
    formats = {c.value: sheet.column_dimensions[c.column_letter].number_format for c in sheet[1]}
    assert (formats["问题编号"], formats["所在区划"], formats["协办部门"]) == ("@", "@", "@")  # no 9.90121E+11
    assert formats["提出日期"] == formats["办结日期"] == "yyyy-mm-dd"
    assert formats["是否督办"] == "General"


def test_drop_downs_list_the_chinese_labels(package):
    book = open_book(template_bytes(package, "issues"))
    rules = {str(rule.sqref): rule for rule in book.worksheets[0].data_validations.dataValidation}
    status = rules["L2:L1048576"]
    assert (status.type, status.formula1, status.errorStyle) == ("list", "'可选值'!$E$2:$E$7", "stop")
    lists = book["可选值"]
    assert [c.value for c in lists["E"] if c.value] == ["办理状态", "已登记", "已交办", "已办结", "已评价", "已归档", "已撤回"]
    assert [c.value for c in lists["G"] if c.value] == ["是否督办", "是", "否"]
    assert rules["R2:R1048576"].formula1 == "'可选值'!$G$2:$G$3"
    assert lists.protection.sheet
    title = rules["G2:G1048576"]  # a free-text column: a prompt, no list
    assert title.type is None and title.prompt == "必填。问题的简要描述，不得包含个人信息。 例：村道路灯损坏需维修"
    assert len(rules) == 19


def test_rating_drop_down_warns_but_accepts_a_number(package):
    book = open_book(template_bytes(package, "evaluations"))
    rules = {str(rule.sqref): rule for rule in book.worksheets[0].data_validations.dataValidation}
    assert (rules["F2:F1048576"].type, rules["F2:F1048576"].errorStyle) == ("list", "warning")
    assert [c.value for c in book["可选值"]["B"] if c.value][1:] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]


def test_readme_sheet_lists_every_field(package):
    rows = list(open_book(template_bytes(package, "issues"))["说明"].iter_rows(values_only=True))
    assert rows[0][0] == "问题（issues）填写说明"
    assert rows[4][0] == "填好后转换为标准 CSV：ledger import 本文件.xlsx --resource issues --out data/issues/2026.csv"
    assert rows[6] == ("中文名", "字段名", "是否必填", "格式", "可选值", "说明", "示例")
    fields = {row[1]: row for row in rows[7:]}
    assert len(fields) == 19
    assert fields["id"] == ("问题编号", "id", "必填", "文本；不重复；3–40 个字母、数字、点、横线或下划线，以字母或数字开头", None,
                            "问题的唯一编号，在所有年份文件中唯一。", "Q-2026-00001")
    assert fields["status"] == ("办理状态", "status", "必填", "从下拉列表中选择", "已登记、已交办、已办结、已评价、已归档、已撤回",
                                "问题所处的闭环阶段。", "已办结")
    assert fields["escalated"][2:] == ("选填", "从下拉列表中选择", "是、否", "联合督查组是否督办；默认为否。", "否")
    assert fields["region_code"][3] == "文本"


def test_filled_template_imports_to_the_canonical_csv(package, tmp_path):
    source = save_filled(template_bytes(package, "issues"), [
        ["Q-2026-00001", "周一夜访", "M-2026-0001", "求助", dt.datetime(2026, 3, 2), "990121001003", "村道路灯损坏需维修",
         "基础设施", "复杂问题（3个工作日）", "jtj", "zrzyj;sthjj", "已办结", "2026/3/3", "2026年3月6日",
         dt.datetime(2026, 3, 5), None, "乡镇（街道）", "否", "已更换路灯12盏"],
        ["Q-2026-00002", "12345热线", None, None, dt.datetime(2026, 3, 4), "090121002000", "农贸市场噪音扰民",
         "生态环境", "简单问题（当天办结）", "sthjj", None, "已交办", dt.datetime(2026, 3, 4), None, None, None, None,
         "是", None],
    ], tmp_path / "问题台账.xlsx")
    text, count = import_file(source, package, "issues")
    assert count == 2
    assert text == (
        "id,mechanism,meeting_id,request_type,raised_on,region_code,title,category,tier,lead_department,"
        "co_departments,status,assigned_on,due_on,resolved_on,archived_on,resolved_at_level,escalated,summary\n"
        "Q-2026-00001,monday_night_visit,M-2026-0001,help,2026-03-02,990121001003,村道路灯损坏需维修,infrastructure,"
        "complex,jtj,zrzyj;sthjj,resolved,2026-03-03,2026-03-06,2026-03-05,,township,false,已更换路灯12盏\n"
        "Q-2026-00002,hotline,,,2026-03-04,090121002000,农贸市场噪音扰民,environment,simple,sthjj,,assigned,"
        "2026-03-04,,,,,true,\n")


@pytest.mark.parametrize("resource", ["regions", "departments", "holidays", "deadline_rules", "meetings", "issues",
                                      "devolved_items", "devolutions", "item_cases", "evaluations", "surveys",
                                      "inspections", "claims"])
def test_every_template_round_trips_the_schema_examples(package, tmp_path, resource):
    """Each field's 示例 from the 说明 sheet, typed into the template, imports as the schema's example."""
    book = open_book(template_bytes(package, resource))
    shown = {row[1]: row[6] for row in book["说明"].iter_rows(min_row=8, values_only=True)}
    fields = dictionary_rows(package, resource)
    source = save_filled(template_bytes(package, resource), [[shown[f.name] for f in fields]], tmp_path / "t.xlsx")
    text, count = import_file(source, package, resource)
    assert count == 1
    assert list(csv.reader(io.StringIO(text)))[1] == [f.example for f in fields]


def test_cli_template_writes_the_workbook(package, tmp_path):
    out = tmp_path / "模板" / "问题台账模板.xlsx"
    result = CliRunner().invoke(cli, ["template", "--resource", "issues", "--data", str(package.root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == f"已写出 issues 的填报模板到 {out}。Wrote the issues template to {out}.\n"
    lists = code_lists(package, read_resource(package, "departments"), read_resource(package, "regions"))
    assert out.read_bytes() == template_bytes(package, "issues", lists)


def test_cli_template_never_overwrites_a_filled_workbook(package, tmp_path):
    """The defect: `ledger template --out 台账.xlsx` wrote an empty template over the clerk's filled workbook."""
    args = ["template", "--resource", "issues", "--data", str(package.root)]
    out = tmp_path / "问题台账.xlsx"
    assert CliRunner().invoke(cli, [*args, "--out", str(out)]).exit_code == 0
    save_filled(out.read_bytes(), [["Q-2026-00001", "市会镇开"]], out)
    filled = out.read_bytes()
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 2
    assert result.output == (f"Error: {out} 已存在，模板不会覆盖它（它可能是已经填好的台账）：请换一个文件名，"
                             f"或确认这个文件无用后自行删除。没有改动任何文件。"
                             f" Refused: {out} exists and a template never overwrites a file; nothing was changed.\n")
    assert out.read_bytes() == filled


def test_cli_template_over_the_same_template_changes_nothing(package, tmp_path):
    args = ["template", "--resource", "issues", "--data", str(package.root), "--out", str(tmp_path / "模板.xlsx")]
    written = CliRunner().invoke(cli, args)
    before = (tmp_path / "模板.xlsx").stat()
    again = CliRunner().invoke(cli, args)
    assert (written.exit_code, again.exit_code) == (0, 0)
    out = tmp_path / "模板.xlsx"
    assert again.output == f"{out} 已是 issues 的这个填报模板，没有改动。{out} is this template already.\n"
    assert (tmp_path / "模板.xlsx").stat().st_mtime_ns == before.st_mtime_ns


def test_cli_template_refuses_a_link_and_leaves_what_it_points_to(package, tmp_path):
    target = tmp_path / "别的文件.txt"
    target.write_text("不是模板\n", encoding="utf-8")
    (tmp_path / "链接.xlsx").symlink_to(target)
    result = CliRunner().invoke(cli, ["template", "--resource", "issues", "--data", str(package.root),
                                      "--out", str(tmp_path / "链接.xlsx")])
    assert result.exit_code == 2 and "已存在，模板不会覆盖它" in result.output
    assert target.read_text(encoding="utf-8") == "不是模板\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--resource", "people", "--out", "x.xlsx"], "没有名为 'people' 的资源"),
    (["--resource", "issues", "--out", "x.csv"], "模板是 Excel 工作簿，文件名应以 .xlsx 结尾。"),
])
def test_cli_template_usage_errors_exit_2(package, tmp_path, args, message):
    result = CliRunner().invoke(cli, ["template", "--data", str(package.root), *args])
    assert result.exit_code == 2 and message in result.output


def test_section_writes_every_template_and_lists_them(tiny_ledger):
    rendered = render_section(tiny_ledger, {})
    assert sorted(rendered.files) == sorted(f"downloads/templates/{name}.xlsx"
                                            for name in tiny_ledger.package.resource_names)
    lists = code_lists(tiny_ledger.package, tiny_ledger.departments, tiny_ledger.regions)
    assert rendered.files["downloads/templates/issues.xlsx"] == template_bytes(tiny_ledger.package, "issues", lists)
    block = rendered.blocks["template-downloads"]
    assert block.count("<li>") == 17  # one per resource of the standard
    size = round(len(rendered.files["downloads/templates/issues.xlsx"]) / 1024)
    assert (f'<li><a href="../downloads/templates/issues.xlsx" download>问题填报模板</a>'
            f"（<code>issues</code>：19 列，必填 9 列；{size} KB）</li>") in block
