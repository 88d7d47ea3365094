"""The version 2 resources and fields through `ledger template` and `ledger import`: both come from the
standard, so a county office fills the new lists in Excel with Chinese headers and labels."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline.contribute.importer import import_file
from pipeline.contribute.workbook import template_bytes
from pipeline.core.package import load
from tests.conftest import make_tiny


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    return load(make_tiny(tmp_path_factory.mktemp("import-v2") / "tiny"))


def test_issue_events_by_chinese_headers_and_labels(package, tmp_path):
    source = tmp_path / "办理过程.csv"
    source.write_text("问题编号,序号,发生日期,事件,部门代码,延期后的办结期限,说明\n"
                      "Q-002,1,2026/3/3,回退,zrzyj,,\nQ-002,2,2026/3/5,延期,jtj,2026/3/13,获批\n", encoding="utf-8")
    assert import_file(source, package, "issue_events") == (
        "issue_id,seq,on,event,department,new_due_on,note\n"
        "Q-002,1,2026-03-03,returned,zrzyj,,\nQ-002,2,2026-03-05,extended,jtj,2026-03-13,获批\n", 2)


def test_callback_answers_by_chinese_labels(package, tmp_path):
    source = tmp_path / "评价.csv"
    source.write_text("评价编号,问题编号,评价机构,评价日期,评价方式,评分,整改完成日期,是否联系,诉求人认为是否解决\n"
                      "E-1,Q-1,示例中心,2026/3/5,电话回访,满意,,是,部分解决\n", encoding="utf-8")
    assert import_file(source, package, "evaluations") == (
        "id,issue_id,evaluator,evaluated_on,method,rating,rectified_on,contacted,resolved_view\n"
        "E-1,Q-1,示例中心,2026-03-05,phone,4,,true,partly\n", 1)


def test_duty_items_by_chinese_headers_and_labels(package, tmp_path):
    source = tmp_path / "履职事项清单.csv"
    source.write_text("事项编号,乡镇（街道）,事项名称,清单类别,部门代码,所依托的赋权事项,清单文件,生效日期,移出日期\n"
                      "LZ-1,990121001000,配合交通运输局做好农村公路养护,配合履职事项,jtj,,示县办发〔2025〕11号,2025/6/30,\n",
                      encoding="utf-8")
    assert import_file(source, package, "duty_items") == (
        "id,region_code,name,list_type,department,devolved_item_id,source_ref,effective_on,removed_on\n"
        "LZ-1,990121001000,配合交通运输局做好农村公路养护,cooperative,jtj,,示县办发〔2025〕11号,2025-06-30,\n", 1)


@pytest.mark.parametrize("resource, sheet, headers, labels", [
    ("issue_events", "办理过程", ["问题编号", "序号", "发生日期", "事件", "部门代码", "延期后的办结期限", "说明"],
     {"回退", "改派", "延期", "催办", "督办", "重办"}),
    ("duty_items", "履职事项清单", ["事项编号", "乡镇（街道）", "事项名称", "清单类别", "部门代码", "所依托的赋权事项",
                                "清单文件", "生效日期", "移出日期"], {"基本履职事项", "配合履职事项", "上级部门收回事项"}),
])
def test_templates_of_the_new_resources(package, resource, sheet, headers, labels):
    book = load_workbook(io.BytesIO(template_bytes(package, resource)))
    assert book.sheetnames[0] == sheet
    assert [c.value for c in book.worksheets[0][1]] == headers
    listed = {c.value for row in book["可选值"].iter_rows() for c in row if c.value}
    assert labels <= listed


def test_the_template_of_evaluations_asks_the_callback_questions(package):
    book = load_workbook(io.BytesIO(template_bytes(package, "evaluations")))
    assert [c.value for c in book.worksheets[0][1]][-2:] == ["是否联系", "诉求人认为是否解决"]
    listed = {c.value for row in book["可选值"].iter_rows() for c in row if c.value}
    assert {"已解决", "部分解决", "未解决"} <= listed


def test_filled_template_imports_back(package, tmp_path):
    book = load_workbook(io.BytesIO(template_bytes(package, "duty_items")))
    book.worksheets[0].append(["LZ-2", "990121002000", "负责河湖长制巡查", "基本履职事项", None, None, "示县办发〔2025〕11号",
                               "2025-06-30", None])
    path = tmp_path / "filled.xlsx"
    book.save(path)
    assert import_file(Path(path), package, "duty_items") == (
        "id,region_code,name,list_type,department,devolved_item_id,source_ref,effective_on,removed_on\n"
        "LZ-2,990121002000,负责河湖长制巡查,basic,,,示县办发〔2025〕11号,2025-06-30,\n", 1)
