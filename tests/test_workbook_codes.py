"""Templates carry their code lists (issue #18): sheets of departments and places with their names,
drop-downs of names in the data sheet, a 说明 sheet that says how to fill each code column.

Workbooks are written by `ledger template` and opened with openpyxl, as a clerk's Excel would.
tests/fixtures/tiny has 2 departments and 6 places.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from pipeline.cli import cli
from pipeline.contribute.workbook import code_lists, listed_text, template_bytes
from pipeline.core.package import load

DEPARTMENT_ROWS = [("代码", "名称"), ("jtj", "示例市交通运输局"), ("zrzyj", "示例市自然资源和规划局")]
PLACE_ROWS = [("代码", "名称", "层级"), ("990100000000", "示例市", "市"), ("990121000000", "示例县", "县(市、区)"),
              ("990121001000", "甲镇", "乡镇"), ("990121001001", "甲一村", "村"), ("990121002000", "乙镇", "乡镇"),
              ("990121002001", "乙一村", "村")]


def template(folder, resource: str, tmp_path):
    out = tmp_path / f"{resource}.xlsx"
    result = CliRunner().invoke(cli, ["template", "--resource", resource, "--data", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return load_workbook(io.BytesIO(out.read_bytes()))


def validations(sheet) -> dict:
    return {str(rule.sqref): rule for rule in sheet.data_validations.dataValidation}


def test_template_has_no_code_lists(tiny, tmp_path):
    book = template(tiny, "issues", tmp_path)
    assert book.sheetnames == ["问题", "说明", "可选值", "部门代码表", "区划代码表"]
    assert list(book["部门代码表"].iter_rows(values_only=True)) == DEPARTMENT_ROWS
    assert list(book["区划代码表"].iter_rows(values_only=True)) == PLACE_ROWS
    assert book["部门代码表"].protection.sheet and book["区划代码表"].protection.sheet
    assert book["区划代码表"].column_dimensions["A"].number_format == "@"  # no 9.90121E+11
    assert template(tiny, "holidays", tmp_path).sheetnames == ["节假日调整", "说明", "可选值"]  # no code column


def test_template_has_no_drop_down_of_department_names(tiny, tmp_path):
    rules = validations(template(tiny, "issues", tmp_path).worksheets[0])
    lead = rules["J2:J1048576"]  # 牵头部门
    assert (lead.type, lead.formula1, lead.errorStyle, lead.showErrorMessage) == (
        "list", "'部门代码表'!$B$2:$B$3", "warning", True)  # a code typed instead is a warning, not refused
    assert lead.error == "请从下拉列表中选择部门名称，或填写“部门代码表”中的代码。"
    assert lead.prompt == ("必填。牵头办理的部门代码。 从下拉列表中选择部门名称（名称和代码见“部门代码表”工作表），"
                           "导入时自动换成代码；也可以直接填写代码，例如 jtj")
    place = rules["F2:F1048576"]  # 所在区划
    assert (place.type, place.formula1, place.errorStyle) == ("list", "'区划代码表'!$B$2:$B$7", "warning")
    co = rules["K2:K1048576"]  # 协办部门: several codes in a cell, no list
    assert co.type is None and co.prompt == ("选填。协办部门的代码，用英文分号分隔。 填写“部门代码表”工作表中的部门代码，"
                                             "多个用英文分号 ; 隔开，例如 zrzyj;sthjj")
    assert len(rules) == 19


def test_readme_sheet_says_how_to_fill_codes(tiny, tmp_path):
    rows = list(template(tiny, "issues", tmp_path)["说明"].iter_rows(values_only=True))
    assert rows[2][0] == ("日期可以写成 2026-03-05、2026/3/5 或 2026年3月5日；有下拉箭头的列请从列表中选择；"
                          "编号和代码列已设为文本，开头的 0 不会丢失。部门和区划列的下拉列表是名称，导入时自动换成代码；"
                          "同名的区划请直接填写代码（见代码表工作表）。")
    fields = {row[1]: row for row in rows[7:]}
    assert fields["lead_department"] == (
        "牵头部门", "lead_department", "必填",
        "文本；从下拉列表中选择部门名称（名称和代码见“部门代码表”工作表），导入时自动换成代码；也可以直接填写代码，例如 jtj",
        None, "牵头办理的部门代码。", "jtj")
    assert fields["region_code"][2:4] == (
        "必填", "文本；从下拉列表中选择区划名称（名称和代码见“区划代码表”工作表），导入时自动换成代码；"
                "也可以直接填写代码，例如 990121001003")
    assert fields["co_departments"][3] == "列表；填写“部门代码表”工作表中的部门代码，多个用英文分号 ; 隔开，例如 zrzyj;sthjj"
    assert fields["title"][2:4] == ("必填", "文本；至少 4 字；最多 120 字")  # other columns as before


@pytest.mark.parametrize(("resource", "sheets"), [
    ("meetings", ["下沉会议与夜访", "说明", "可选值", "部门代码表", "区划代码表"]),  # departments: a list of codes
    ("departments", ["部门", "说明", "可选值", "区划代码表"]),
    ("devolved_items", ["赋权事项清单", "说明", "可选值", "部门代码表"]),
])
def test_template_has_the_code_sheets_its_columns_need(tiny, tmp_path, resource, sheets):
    assert template(tiny, resource, tmp_path).sheetnames == sheets


def test_template_of_a_package_with_unreadable_departments_is_one_line(tiny, tmp_path):
    (tiny / "departments.csv").write_bytes("code,name,region_code\njtj,交通局,990100000000\n".encode("gb18030"))
    result = CliRunner().invoke(cli, ["template", "--resource", "issues", "--data", str(tiny),
                                      "--out", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 2
    assert "无法读取部门表或区划表" in result.output and "先运行 ledger validate" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "t.xlsx").exists()


def test_template_bytes_are_the_same_twice_with_code_lists(tiny):
    package = load(tiny)
    departments = pd.DataFrame({"code": ["jtj"], "name": ["示例市交通运输局"]})
    regions = pd.DataFrame({"code": ["990100000000"], "name": ["示例市"], "level": ["city"]})
    lists = code_lists(package, departments, regions)
    assert template_bytes(package, "issues", lists) == template_bytes(package, "issues", lists)


NAMES = st.text(min_size=1, max_size=20).filter(lambda t: t.strip())


@settings(max_examples=15, deadline=None)
@given(names=st.lists(NAMES, min_size=1, max_size=5))
def test_any_department_name_is_listed_as_text(tiny_ledger, names):
    """Names from the data reach the workbook as text: "=HYPERLINK(…)" is no formula, a control
    character (which no workbook may hold) shows as �, a line break as XML keeps it."""
    package = tiny_ledger.package
    departments = pd.DataFrame({"code": [f"d{i}" for i in range(len(names))], "name": names})
    lists = code_lists(package, departments, tiny_ledger.regions)
    book = load_workbook(io.BytesIO(template_bytes(package, "issues", lists)))
    sheet = book["部门代码表"]
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert all(cell.data_type == "s" for cell in cells)
    assert [c.value for c in sheet["B"][1:]] == [listed_text(n) for n in names]
    assert validations(book.worksheets[0])["J2:J1048576"].formula1 == f"'部门代码表'!$B$2:$B${len(names) + 1}"


def test_listed_text_keeps_what_a_workbook_can_hold():
    assert listed_text("甲\r\n乙\r丙\x00丁") == "甲\n乙\n丙\ufffd丁"
