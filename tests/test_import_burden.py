"""The burden resources through `ledger template` and `ledger import` (issue #22): a township office
fills its monthly burden report and the cut list in Excel, with Chinese headers, labels, place and
department names, and gets the standard's CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline.contribute.importer import ImportFailed, import_file
from pipeline.contribute.workbook import template_bytes
from pipeline.core.cache import FileCache
from pipeline.core.package import load
from pipeline.validate import validate
from tests.conftest import make_tiny

REPORT_HEADERS = ["乡镇（街道）", "月份", "收到文件数", "参加会议数", "填报报表数", "督查检查考核次数", "政务工作群和APP数"]
CUT_HEADERS = ["减负事项编号", "适用地区", "类别", "事项名称", "取消日期", "部门代码", "减负依据"]
KIND_LABELS = {"证明事项", "报表", "政务应用程序", "工作群", "会议", "文件", "督查检查考核"}


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    return load(make_tiny(tmp_path_factory.mktemp("import-burden") / "tiny"))


@pytest.mark.parametrize("resource, sheet, headers, labels", [
    ("burden_reports", "基层负担监测", REPORT_HEADERS, set()),
    ("burden_cuts", "减负清单", CUT_HEADERS, KIND_LABELS),
])
def test_templates_of_the_burden_resources(package, resource, sheet, headers, labels):
    book = load_workbook(io.BytesIO(template_bytes(package, resource)))
    assert book.sheetnames[0] == sheet
    assert [c.value for c in book.worksheets[0][1]] == headers
    if labels:
        listed = {c.value for row in book["可选值"].iter_rows() for c in row if c.value}
        assert labels <= listed


def test_burden_cuts_by_chinese_headers_labels_and_names(package, tmp_path):
    source = tmp_path / "减负清单.csv"
    source.write_text(",".join(CUT_HEADERS) + "\n"
                      "JF-9,,证明事项,无犯罪记录证明,2025/6/30,示例市自然资源和规划局,县委办〔2025〕12号\n"
                      "JF-10,甲镇,工作群,甲镇防汛临时工作群,2026/1/10,,甲镇党委〔2026〕3号\n", encoding="utf-8")
    assert import_file(source, package, "burden_cuts") == (
        "id,region_code,kind,name,cut_on,department,source_ref\n"
        "JF-9,,certificate,无犯罪记录证明,2025-06-30,zrzyj,县委办〔2025〕12号\n"
        "JF-10,990121001000,work_group,甲镇防汛临时工作群,2026-01-10,,甲镇党委〔2026〕3号\n", 2)


def test_burden_report_sheet_round_trip_to_csv(package, tmp_path):
    """A filled template: months typed as Excel dates, 2026年3月 or 2026-03, the township by name;
    the CSV written is the standard's, validates, and reads back as the same rows."""
    book = load_workbook(io.BytesIO(template_bytes(package, "burden_reports")))
    sheet = book.worksheets[0]
    sheet.append(["甲镇", dt.datetime(2026, 5, 1), 31, 12, 20, 2, 25])
    sheet.append(["990121002000", "2026年3月", 16, 6, 10, None, None])
    sheet.append(["乙镇", "2026-04", 15, 6, 9, 1, 12])
    path = tmp_path / "负担监测.xlsx"
    book.save(path)
    text, rows = import_file(Path(path), package, "burden_reports")
    assert (text, rows) == (
        "region_code,month,documents_received,meetings_attended,report_forms,inspections_received,work_groups\n"
        "990121001000,2026-05,31,12,20,2,25\n"
        "990121002000,2026-03,16,6,10,,\n"
        "990121002000,2026-04,15,6,9,1,12\n", 3)
    folder = make_tiny(tmp_path / "pkg")
    (folder / "burden_reports.csv").write_text(text, encoding="utf-8")
    report, ledger = validate(folder, cache=FileCache(None))
    # 2026-05 is after the month of the tiny package's as_of (2026-04-30): the import keeps it, validation says so
    assert [(f.row, f.field, f.code) for f in report.findings] == [(2, "month", "date-after-as-of")]
    assert list(csv.DictReader(io.StringIO(text)))[1] == {
        "region_code": "990121002000", "month": "2026-03", "documents_received": "16", "meetings_attended": "6",
        "report_forms": "10", "inspections_received": "", "work_groups": ""}


def test_burden_report_with_a_month_twice_is_refused(package, tmp_path):
    source = tmp_path / "负担.csv"
    source.write_text(",".join(REPORT_HEADERS) + "\n甲镇,2026-03,1,1,1,,\n甲镇,2026/3,2,2,2,,\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        import_file(source, package, "burden_reports")
    assert [(f.code, f.row, f.field) for f in caught.value.findings] == [("primary-key", 3, "region_code、month")]
