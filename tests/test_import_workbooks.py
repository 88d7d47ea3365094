"""`ledger import` of workbooks that lie about themselves: each gets a correct import or one clear
finding naming the sheet and cell. The .xlsx files are made by openpyxl here; where openpyxl cannot
make the defect, the XML inside the zip is edited by hand (`rewrite`)."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from pipeline.cli import cli
from pipeline.core.csv_write import csv_text
from pipeline.contribute.importer import ImportFailed, import_file, import_table
from pipeline.core.package import load
from pipeline.contribute.sheets import web_page

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
DEPARTMENTS = ["部门代码", "部门名称", "所属区划"]
ROWS = [["jtj", "示例县交通运输局", "990121000000"], ["zrzyj", "示例县自然资源局", "990121000000"],
        ["sthjj", "示例县生态环境局", "990121000000"]]
CANONICAL = ("code,name,region_code\njtj,示例县交通运输局,990121000000\nzrzyj,示例县自然资源局,990121000000\n"
             "sthjj,示例县生态环境局,990121000000\n")


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    root = tmp_path_factory.mktemp("import-workbooks") / "data"
    root.mkdir()
    descriptor = json.loads((REPO / "pipeline" / "standard.json").read_text(encoding="utf-8"))
    descriptor["as_of"] = "2026-04-30"
    (root / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    return load(root)


def save(book: Workbook, path: Path) -> Path:
    book.save(path)
    return path


def departments_book(title: str = "部门") -> Workbook:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in [DEPARTMENTS, *ROWS]:
        sheet.append(row)
    return book


def rewrite(path: Path, member: str, edit) -> None:
    """Replace one member of the zip by edit(its text): a defect openpyxl will not write."""
    with zipfile.ZipFile(path) as old:
        items = [(info, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info, data in items:
            new.writestr(info, edit(data.decode("utf-8")).encode("utf-8") if info.filename == member else data)


def findings(source: Path, package, resource: str = "departments") -> list[tuple]:
    with pytest.raises(ImportFailed) as failed:
        import_file(source, package, resource)
    return [(f.path, f.row, f.field, f.code, f.value, f.message_zh) for f in failed.value.findings]


def run(source: Path, out: Path, package, resource: str = "departments"):
    return CliRunner().invoke(cli, ["import", str(source), "--resource", resource, "--data", str(package.root),
                                    "--out", str(out)])


# --- 2. a stale <dimension> -------------------------------------------------------------------

@pytest.mark.parametrize("stale", ["A1:C2", "A1:B4", "A1:A1"])
def test_stale_dimension(package, tmp_path, stale):
    source = save(departments_book(), tmp_path / "部门.xlsx")
    rewrite(source, "xl/worksheets/sheet1.xml", lambda xml: xml.replace('<dimension ref="A1:C4"', f'<dimension ref="{stale}"'))
    assert f'<dimension ref="{stale}"'.encode() in zipfile.ZipFile(source).read("xl/worksheets/sheet1.xml")
    out = tmp_path / "departments.csv"
    result = run(source, out, package)
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == CANONICAL
    assert result.stderr == f"读取的是工作表“部门”。Read the sheet '部门'.\n已写出 3 行到 {out}。Wrote 3 rows to {out}.\n"


# --- 3. formulas saved without their result ------------------------------------------------------

def test_formula_without_cached_value(package, tmp_path):
    book = departments_book()
    book.active["B4"] = '=CONCAT("示例县", "生态环境局")'  # openpyxl saves no result: an empty <v/>
    source = save(book, tmp_path / "部门.xlsx")
    assert b"<f>" in zipfile.ZipFile(source).read("xl/worksheets/sheet1.xml")
    out = tmp_path / "departments.csv"
    out.write_text(CANONICAL, encoding="utf-8")  # a merge would otherwise have erased the name
    result = run(source, out, package)
    assert result.exit_code == 1 and out.read_text(encoding="utf-8") == CANONICAL
    assert result.output.startswith(
        "[错误] 部门.xlsx（工作表“部门”），第 4 行，字段 name（部门名称） [formula-without-value]\n"
        "  单元格 部门!B4（“部门名称”列，字段 name，部门代码 sthjj）是公式，但文件里没有保存它的计算结果，读不到值。\n"
        "  修改方法：在 Excel 或 WPS 中打开这个工作簿，等公式算出结果后保存；或复制这些单元格，"
        "用“选择性粘贴→数值”粘回原处。然后重新导入。\n")


def test_formula_without_any_value_element_and_formulas_with_results(package, tmp_path):
    # Hand-made: B3 holds a formula with no <v> at all (uncalculated), C2 a formula whose cached
    # result is the text "990121000000", C4 a formula that evaluated to "" (an empty <v> of type str).
    source = save(departments_book(), tmp_path / "部门.xlsx")
    rewrite(source, "xl/worksheets/sheet1.xml", lambda xml: xml
            .replace('<c r="B3" t="inlineStr"><is><t>示例县自然资源局</t></is></c>', '<c r="B3"><f>A1&amp;A2</f></c>')
            .replace('<c r="C2" t="inlineStr"><is><t>990121000000</t></is></c>',
                     '<c r="C2" t="str"><f>C3</f><v>990121000000</v></c>')
            .replace('<c r="C4" t="inlineStr"><is><t>990121000000</t></is></c>',
                     '<c r="C4" t="str"><f>IF(A4="","","x")</f><v></v></c>'))
    assert [(row, field, code, value) for _, row, field, code, value, _ in findings(source, package)] == [
        (3, "name", "formula-without-value", "部门!B3")]
    rewrite(source, "xl/worksheets/sheet1.xml", lambda xml: xml.replace('<c r="B3"><f>A1&amp;A2</f></c>',
                                                                        '<c r="B3" t="str"><f>A1</f><v>x</v></c>'))
    assert import_file(source, package, "departments") == (
        CANONICAL.replace("示例县自然资源局", "x").replace("示例县生态环境局,990121000000", "示例县生态环境局,"), 3)


# --- 4. merged cells -----------------------------------------------------------------------------

def test_merged_cells(package, tmp_path):
    # 所属区划 merged down rows 2–4 (one county for three departments): every row gets it, as the
    # sheet shows it. Only the first cell of a merged range holds the value in the file.
    book = departments_book()
    for cell in ("C3", "C4"):
        book.active[cell] = None
    book.active.merge_cells("C2:C4")
    source = save(book, tmp_path / "部门.xlsx")
    assert import_file(source, package, "departments") == (CANONICAL, 3)


def test_merged_cells_across_columns_or_over_the_header_are_named(package, tmp_path):
    book = departments_book()
    book.active["C3"] = None
    book.active.merge_cells("B3:C3")  # a name spread over 名称 and 所属区划: which field is it?
    source = save(book, tmp_path / "部门.xlsx")
    assert findings(source, package) == [(
        "部门.xlsx（工作表“部门”）", 3, "name", "merged-cells", "部门!B3:C3",
        "部门!B3:C3（“部门名称”列，字段 name，部门代码 zrzyj）是跨列或含表头行的合并单元格，它的值只在左上角一格，"
        "无法确定属于哪个字段。")]
    # A title banner above the header is no longer a merged range to complain of: the header row is
    # found below it and the rows import (tests/test_import_clerk.py has the title-row cases).
    book = departments_book()
    book.active.insert_rows(1)
    book.active["A1"] = "示例县部门名录"
    book.active.merge_cells("A1:C1")  # a title banner above the header
    source = save(book, tmp_path / "部门.xlsx")
    assert import_file(source, package, "departments") == (CANONICAL, 3)


# --- 5. a hidden first sheet ------------------------------------------------------------------------

def test_hidden_first_sheet(package, tmp_path):
    book = Workbook()
    old = book.active
    old.title = "旧表"
    old.append(DEPARTMENTS)
    old.append(["old", "已撤销的部门", "990121000000"])
    old.sheet_state = "hidden"
    data = book.create_sheet("部门")
    for row in [DEPARTMENTS, *ROWS]:
        data.append(row)
    book.active = data
    source = save(book, tmp_path / "部门.xlsx")
    out = tmp_path / "departments.csv"
    result = run(source, out, package)
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == CANONICAL
    assert result.stderr.startswith("读取的是工作表“部门”。Read the sheet '部门'.\n")
    # A workbook whose active tab is the hidden sheet: the first visible one is read.
    rewrite(source, "xl/workbook.xml", lambda xml: xml.replace('activeTab="1"', 'activeTab="0"'))
    assert b'activeTab="0"' in zipfile.ZipFile(source).read("xl/workbook.xml")
    assert import_table(source, package, "departments").sheet == "部门"


def test_the_active_sheet_is_read_not_the_first(package, tmp_path):
    book = departments_book()
    other = book.create_sheet("备用")
    other.append(["code", "name", "region_code"])
    other.append(["wjw", "示例县卫生健康局", "990121000000"])
    book.active = other
    table = import_table(save(book, tmp_path / "部门.xlsx"), package, "departments")
    assert (table.sheet, table.csv()) == ("备用", "code,name,region_code\nwjw,示例县卫生健康局,990121000000\n")


# --- 6. the 1904 date system -------------------------------------------------------------------------

def test_1904_date_system(package, tmp_path):
    book = Workbook()
    book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    sheet.append(["日期", "类型", "节日名称"])
    sheet.append([dt.date(2026, 2, 16), "放假", "春节"])  # a date cell
    sheet.append([44621, "调休上班", "春节"])  # a serial number in a number cell: 2026-03-02 from 1904-01-01
    sheet.append(["44622", "holiday", ""])  # and typed as text
    source = save(book, tmp_path / "节假日.xlsx")
    assert b'date1904="1"' in zipfile.ZipFile(source).read("xl/workbook.xml")
    assert import_file(source, package, "holidays") == (
        "date,kind,name\n2026-02-16,holiday,春节\n2026-03-02,workday,春节\n2026-03-03,holiday,\n", 3)


# --- 7. web pages, MHT and XML Spreadsheet 2003 named .xls -------------------------------------------

WEB_PAGE = "这是网页文件，不是 Excel 工作簿：请在 Excel 中打开后另存为 .xlsx"
XML_2003 = "这是 XML 表格（Excel 2003 XML）文件，不是 Excel 工作簿：请在 Excel 中打开后另存为 .xlsx"


@pytest.mark.parametrize(("raw", "why"), [
    ("<html><body><table><tr><td>部门代码</td></tr></table></body></html>".encode(), WEB_PAGE),
    ("\ufeff\r\n  <!DOCTYPE html>\n<html><table><tr><td>部门代码</td></tr></table>".encode(), WEB_PAGE),
    ("<TABLE border=1><TR><TD>部门代码</TD><TD>部门名称</TD></TR></TABLE>".encode("gb18030"), WEB_PAGE),
    ('<meta http-equiv="Content-Type" content="text/html; charset=gbk"><table><tr><td>部门代码'.encode("gb18030"),
     WEB_PAGE),
    ("<html><table><tr><td>部门代码</td></tr></table></html>".encode("utf-16"), WEB_PAGE),
    ('<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><table/></html>'.encode(),
     WEB_PAGE),
    (b'MIME-Version: 1.0\r\nX-Document-Type: Workbook\r\nContent-Type: multipart/related; boundary="----=_NextPart"'
     b'\r\n\r\n------=_NextPart\r\nContent-Type: text/html; charset="us-ascii"\r\n\r\n<html></html>', WEB_PAGE),
    (b'<?xml version="1.0"?>\r\n<?mso-application progid="Excel.Sheet"?>\r\n<Workbook xmlns='
     b'"urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Sheet1"><Table/></Worksheet></Workbook>',
     XML_2003),
])
def test_html_table_saved_as_xls(package, tmp_path, raw, why):
    source = tmp_path / "部门.xls"
    source.write_bytes(raw)
    with pytest.raises(ImportFailed) as failed:
        import_file(source, package, "departments")
    assert [(f.row, f.code, f.message_zh) for f in failed.value.findings] == [(None, "unreadable-file", f"无法打开文件：{why}")]


def test_html_table_saved_as_xls_fixture(package):
    # What a county's case system gives for "导出 Excel": an HTML table in GBK named .xls.
    source = FIXTURES / "departments-html-table-saved-as-xls.xls"
    assert source.read_bytes().lstrip().lower().startswith(b"<html")
    result = CliRunner().invoke(cli, ["import", str(source), "--resource", "departments",
                                      "--data", str(package.root)])
    assert result.exit_code == 1
    assert result.output.startswith(
        f"[错误] departments-html-table-saved-as-xls.xls [unreadable-file]\n  无法打开文件：{WEB_PAGE}\n")


def test_a_workbook_with_a_password_to_open_is_named_as_such(package):
    """The defect: a workbook saved with a password (an OLE2 file, as an old .xls is) was called an old .xls,
    and saving it again as .xlsx, as the message said, kept the password."""
    source = FIXTURES / "issues-password-protected.xlsx"
    result = CliRunner().invoke(cli, ["import", str(source), "--resource", "issues", "--data", str(package.root)])
    assert result.exit_code == 1
    assert result.output.startswith(
        "[错误] issues-password-protected.xlsx [unreadable-file]\n  无法打开文件：这个工作簿设置了打开密码（已加密），不能读取："
        "请在 Excel 或 WPS 中用密码打开它，取消密码（Excel：文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码；"
        "WPS：文件 → 文档加密 → 密码加密，清空密码），保存后重试\n")


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="部门代码,\"\n\r\t<>ab1 ", max_size=40))
def test_a_csv_is_never_taken_for_a_web_page(text):
    # Only markup at the very start (after a BOM and blank space) names a web page.
    if not text.lstrip("\ufeff \t\r\n").startswith("<"):
        assert web_page(text.encode("utf-8")) is None
        assert web_page(text.encode("gb18030")) is None


def test_findings_of_a_workbook_name_its_sheet(package, tmp_path):
    book = Workbook()
    book.active.title = "2026年"
    book.active.append(["日期", "类型", "节日名称"])
    book.active.append(["2026-02-30", "放假", "春节"])
    assert findings(save(book, tmp_path / "节假日.xlsx"), package, "holidays") == [(
        "节假日.xlsx（工作表“2026年”）", 2, "date", "import-error", "2026-02-30",
        "“日期”列 A2：“2026-02-30”不是可识别的日期；请写成 2026-03-05。")]


CODE = st.from_regex(r"[a-z][a-z0-9]{2,6}", fullmatch=True)
NAME = st.text(alphabet="示例县交通运输局自然资源生态环境卫生健康委员会 ()（）-1\"", min_size=1, max_size=12).filter(
    lambda t: t == t.strip())


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_every_row_of_a_workbook_arrives_whatever_its_dimension_and_merges(package, data, tmp_path_factory):
    # Any number of rows, a <dimension> that may lie about rows and columns, 所属区划 merged down
    # runs of rows that share it: the import is the table as the sheet shows it.
    codes = data.draw(st.lists(CODE, min_size=1, max_size=12, unique=True))
    rows = [[code, data.draw(NAME), data.draw(st.sampled_from(["990121000000", "990122000000"]))] for code in codes]
    book = departments_book()
    sheet = book.active
    sheet.delete_rows(2, 3)
    for row in rows:
        sheet.append(row)
    start = 0
    while start < len(rows):  # runs of equal region codes, each merged when the draw says so
        stop = start
        while stop + 1 < len(rows) and rows[stop + 1][2] == rows[start][2]:
            stop += 1
        if stop > start and data.draw(st.booleans()):
            for number in range(start + 3, stop + 3):
                sheet.cell(row=number, column=3).value = None
            sheet.merge_cells(start_row=start + 2, start_column=3, end_row=stop + 2, end_column=3)
        start = stop + 1
    source = save(book, tmp_path_factory.mktemp("property") / "部门.xlsx")
    stale = f"A1:{data.draw(st.sampled_from('ABC'))}{data.draw(st.integers(1, len(rows) + 1))}"
    rewrite(source, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(f'<dimension ref="A1:C{len(rows) + 1}"',
                                                                          f'<dimension ref="{stale}"'))
    assert import_file(source, package, "departments") == (csv_text(["code", "name", "region_code"], rows), len(rows))


def test_a_sheet_declaring_an_external_entity_reads_no_local_file(package, tmp_path):
    # Hostile: a sheet that asks the XML parser to paste /etc/hostname into a cell (and a formula,
    # so that the formula scan parses it too). Neither parser fetches it: the sheet is unreadable.
    from xml.etree.ElementTree import ParseError

    from pipeline.contribute.sheets import _scan

    book = departments_book()
    book.active["B2"] = "=A2"
    source = save(book, tmp_path / "部门.xlsx")
    rewrite(source, "xl/worksheets/sheet1.xml", lambda xml: xml
            .replace("<worksheet", '<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/hostname">]><worksheet', 1)
            .replace("<t>jtj</t>", "<t>&x;</t>"))
    with pytest.raises(ImportFailed) as failed:
        import_file(source, package, "departments")
    ((code, message),) = [(f.code, f.message_zh) for f in failed.value.findings]
    assert code == "unreadable-file" and message.startswith("无法打开文件：工作表已损坏（ParseError: undefined entity &x;")
    with pytest.raises(ParseError, match="undefined entity"):
        _scan(zipfile.ZipFile(source).read("xl/worksheets/sheet1.xml"))


def test_a_workbook_whose_every_sheet_is_hidden(package, tmp_path):
    source = save(departments_book(), tmp_path / "部门.xlsx")
    rewrite(source, "xl/workbook.xml", lambda xml: xml.replace('state="visible"', 'state="hidden"'))
    assert b'state="hidden"' in zipfile.ZipFile(source).read("xl/workbook.xml")
    assert [(f.code, f.message_zh) for f in pytest.raises(ImportFailed, import_file, source, package,
                                                           "departments").value.findings] == [
        ("unreadable-file", "无法打开文件：工作簿中没有可见的工作表：请在 Excel 中取消隐藏数据所在的工作表后保存")]
