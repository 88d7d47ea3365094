"""`ledger import`: every fixture under tests/fixtures/import carries the defect its name says,
and each test pins the exact canonical CSV or the exact findings (Excel row, field, code)."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from pipeline.cli import cli
from pipeline.core.csv_write import csv_text
from pipeline.contribute.importer import ImportFailed, convert_date, convert_month, import_file
from pipeline.core.package import load

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
FIELDS = ["id", "mechanism", "meeting_id", "request_type", "raised_on", "region_code", "title", "category", "tier",
          "lead_department", "co_departments", "status", "assigned_on", "due_on", "resolved_on", "archived_on",
          "resolved_at_level", "escalated", "summary"]
HEADER = ",".join(FIELDS) + "\n"
ROW_1 = ("Q-2026-00001,monday_night_visit,M-2026-0001,help,2026-03-02,990121001003,村道路灯损坏需维修,infrastructure,"
         "complex,jtj,zrzyj;sthjj,resolved,2026-03-03,2026-03-06,2026-03-05,,township,false,")
ROW_2 = ("Q-2026-00002,hotline,,complaint,2026-03-04,990121002000,大㙟村农贸市场噪音扰民,environment,simple,sthjj,,"
         "assigned,2026-03-04,,,,,true,\n")
EXPECTED_ISSUES = HEADER + ROW_1 + '"已更换路灯12盏, 村民称""亮堂了"""\n' + ROW_2
STATUS_CHOICES = ("registered（已登记）、assigned（已交办）、resolved（已办结）、evaluated（已评价）、"
                  "archived（已归档）、withdrawn（已撤回）")


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    root = tmp_path_factory.mktemp("import") / "data"
    root.mkdir()
    descriptor = json.loads((REPO / "pipeline" / "standard.json").read_text(encoding="utf-8"))
    descriptor["as_of"] = "2026-04-30"
    (root / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    return load(root)


def problems(source: Path, package, resource: str = "issues") -> list[tuple]:
    with pytest.raises(ImportFailed) as failed:
        import_file(source, package, resource)
    return [(f.row, f.field, f.code) for f in failed.value.findings]


def message(source: Path, package, resource: str = "issues", index: int = 0) -> str:
    with pytest.raises(ImportFailed) as failed:
        import_file(source, package, resource)
    return failed.value.findings[index].message_zh


# --- the fixtures that import cleanly ----------------------------------------------------

@pytest.mark.parametrize("name", ["issues-utf8-bom.csv", "issues-gb18030.csv", "issues-utf16-excel.txt",
                                  "issues-chinese-headers-and-labels.csv", "issues-date-forms.csv",
                                  "issues-blank-trailing-rows.csv"])
def test_fixture_imports_to_the_canonical_csv(name, package):
    assert import_file(FIXTURES / name, package, "issues") == (EXPECTED_ISSUES, 2)


def test_the_fixtures_carry_their_defects():
    raw = {p.name: p.read_bytes() for p in FIXTURES.iterdir()}
    assert raw["issues-utf8-bom.csv"].startswith(codecs.BOM_UTF8)
    gb = raw["issues-gb18030.csv"]
    with pytest.raises(UnicodeDecodeError):
        gb.decode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        gb.decode("gbk")  # 㙟 exists only in GB18030
    assert gb.decode("gb18030").startswith("问题编号,来源机制,")
    utf16 = raw["issues-utf16-excel.txt"]
    assert utf16.startswith(codecs.BOM_UTF16_LE) and utf16.decode("utf-16").startswith("问题标题\t问题编号\t")
    assert raw["issues-blank-trailing-rows.csv"].endswith(b"\r\n" + b"," * 18 + b"\r\n\r\n")
    assert "Ｑ－２０２６－０００".encode() in raw["issues-fullwidth-digits.csv"]
    assert b"46083," in raw["issues-date-forms.csv"] and "2026年3月3日".encode() in raw["issues-date-forms.csv"]


def test_full_width_codes_and_dates_are_folded_but_prose_keeps_its_characters(package):
    text, count = import_file(FIXTURES / "issues-fullwidth-digits.csv", package, "issues")
    assert count == 2
    assert text == (HEADER + ROW_1 + "已更换路灯１２盏，Ａ区恢复照明\n"
                    + ROW_2.replace("大㙟村农贸市场噪音扰民", "ＫＴＶ噪音扰民问题"))


def test_header_by_title_and_by_field_name(package, tmp_path):
    source = tmp_path / "mixed.csv"
    source.write_text("ID,来源机制,raised_on,所在区划,问题标题,Category,难易程度,lead_department,办理状态\n"
                      "Q-1,周一夜访,2026-03-02,990121001003,路灯坏了需修,基础设施,complex,jtj,已登记\n",
                      encoding="utf-8")
    assert import_file(source, package, "issues") == (
        HEADER + "Q-1,monday_night_visit,,,2026-03-02,990121001003,路灯坏了需修,infrastructure,complex,jtj,,registered,"
                 ",,,,,,\n", 1)


def test_enum_by_label_by_short_label_and_by_code(package, tmp_path):
    source = tmp_path / "levels.csv"
    source.write_text("区划代码,名称,层级,上级区划代码\n990100000000,示例市,city,\n990121000000,青山县,县,990100000000\n"
                      "990121001000,青山镇,乡镇,990121000000\n990121001001,青山村,村,990121001000\n"
                      "990121002000,城东街道,ｓｔｒｅｅｔ,990121000000\n", encoding="utf-8")
    assert import_file(source, package, "regions") == (
        "code,name,level,parent_code\n990100000000,示例市,city,\n990121000000,青山县,county,990100000000\n"
        "990121001000,青山镇,township,990121000000\n990121001001,青山村,village,990121001000\n"
        "990121002000,城东街道,street,990121000000\n", 5)


def test_rating_by_its_chinese_label(package, tmp_path):
    source = tmp_path / "evaluations.csv"
    source.write_text("评价编号,问题编号,评价机构,评价日期,评价方式,评分\nE-1,Q-1,示例中心,2026/3/5,电话回访,满意\n"
                      "E-2,Q-2,示例中心,2026/3/6,sms,2\n", encoding="utf-8")
    assert import_file(source, package, "evaluations") == (
        "id,issue_id,evaluator,evaluated_on,method,rating,rectified_on,contacted,resolved_view\n"
        "E-1,Q-1,示例中心,2026-03-05,phone,4,,,\nE-2,Q-2,示例中心,2026-03-06,sms,2,,,\n", 2)


def test_header_only_gives_no_rows(package, tmp_path):
    source = tmp_path / "header-only.csv"
    source.write_text(",".join(FIELDS) + "\r\n", encoding="utf-8")
    assert import_file(source, package, "issues") == (HEADER, 0)


# --- the fixtures that fail, with exact findings ---------------------------------------------

def test_regions_excel_scientific_codes(package):
    source = FIXTURES / "regions-excel-scientific-codes.csv"
    assert problems(source, package, "regions") == [
        (3, "code", "import-error"), (4, "code", "import-error"), (4, "parent_code", "import-error"),
        (5, "code", "import-error")]
    assert message(source, package, "regions", 3) == \
        "“区划代码（code）”列 A5：“1.1E+17”是科学计数法，Excel 已把编号截断，无法还原；请把该列设为文本后重新输入。"


def test_regions_lost_leading_zeros(package):
    source = FIXTURES / "regions-lost-leading-zeros.csv"
    assert problems(source, package, "regions") == [
        (2, "code", "import-error"), (3, "code", "import-error"), (3, "parent_code", "import-error"),
        (4, "code", "import-error"), (4, "parent_code", "import-error")]
    assert message(source, package, "regions") == \
        "“区划代码”列 A2：“90100000000”只有 11 位，应为 12 位：Excel 可能去掉了开头的 0；请把该列设为文本。"


def test_scientific_code_in_a_field_without_pattern(package, tmp_path):
    source = tmp_path / "issues-region-scientific.csv"
    source.write_text("id,mechanism,raised_on,region_code,title,category,tier,lead_department,status\n"
                      "Q-1,grid,2026-03-02,9.90121E+11,路灯坏了需修,infrastructure,simple,jtj,registered\n",
                      encoding="utf-8")
    assert problems(source, package) == [(2, "region_code", "import-error")]


def test_blank_row_in_the_middle_is_reported(package):
    source = FIXTURES / "issues-blank-row-in-middle.csv"
    assert problems(source, package) == [(3, None, "blank-row")]
    assert message(source, package) == "这一行是空的。"


def test_extra_unknown_column_is_reported_once(package):
    source = FIXTURES / "issues-extra-column.csv"
    assert problems(source, package) == [(1, None, "extra-label")]
    assert message(source, package) == "T1 格：第 20 列“备注”不是这个资源的字段。"


def test_missing_required_column_is_reported(package):
    source = FIXTURES / "issues-missing-required-column.csv"
    assert problems(source, package) == [(1, "title", "missing-label")]
    assert message(source, package) == "“问题标题”：缺少字段 title 这一列。"


def test_unknown_label_names_the_allowed_values(package):
    source = FIXTURES / "issues-unknown-label.csv"
    assert problems(source, package) == [(2, "status", "import-error")]
    assert message(source, package) == f"“办理状态”列 L2（问题编号 Q-2026-00001）：“已完成”不是可选值；可选值：{STATUS_CHOICES}。"


def test_several_problems_are_all_reported_by_excel_row(package):
    source = FIXTURES / "issues-several-problems.csv"
    assert problems(source, package) == [
        (2, "raised_on", "import-error"), (3, "request_type", "import-error"), (3, "escalated", "import-error"),
        (5, None, "extra-cell")]
    assert message(source, package) == "“提出日期（raised_on）”列 E2（问题编号 Q-2026-00001）：“2026/2/30”不是可识别的日期；请写成 2026-03-05。"
    assert message(source, package, index=2) == \
        "“是否督办（escalated）”列 R3（问题编号 Q-2026-00002）：“也许”应为 是/否 或 true/false。"
    assert message(source, package, index=3) == \
        "T5 格（问题编号 Q-2026-00001）：这一行的单元格比表头多（第 20 个单元格“多出来的”）。"


def test_all_or_nothing_the_cli_writes_no_file(package, tmp_path):
    out = tmp_path / "out" / "2026.csv"
    result = CliRunner().invoke(cli, ["import", str(FIXTURES / "issues-several-problems.csv"), "--resource",
                                      "issues", "--data", str(package.root), "--out", str(out)])
    assert result.exit_code == 1 and not out.exists() and not out.parent.exists()
    result = CliRunner().invoke(cli, ["import", str(FIXTURES / "issues-gb18030.csv"), "--resource", "issues",
                                      "--data", str(package.root), "--out", str(out)])
    assert result.exit_code == 0 and out.read_bytes() == EXPECTED_ISSUES.encode("utf-8")


def test_duplicate_header_is_reported(package, tmp_path):
    source = tmp_path / "duplicate.csv"
    source.write_text(HEADER.replace("title", "问题编号").replace("summary", "title"), encoding="utf-8")
    assert problems(source, package) == [(1, None, "duplicate-label")]
    assert message(source, package) == "G1 格：第 7 列的表头“问题编号”与前面的列重复。"


def test_data_under_a_blank_header_is_reported_once(package, tmp_path):
    source = tmp_path / "blank-header.csv"
    source.write_text(HEADER.strip() + ",,\n" + ROW_2.strip() + ",,张三\n" + ROW_2.strip() + ",,\n", encoding="utf-8")
    assert problems(source, package) == [(1, None, "blank-label")]
    assert message(source, package) == "U1 格：第 21 列没有表头。"


def test_empty_file(package, tmp_path):
    source = tmp_path / "empty.csv"
    source.write_bytes(b"")
    assert problems(source, package) == [(1, None, "empty-file")]


def test_stray_byte_past_the_first_100_kb(package, tmp_path):
    lines = [HEADER] + [f"Q-2026-{i:05d},grid,,,2026-03-02,990121001003,村道路灯损坏需维修,infrastructure,simple,jtj,,"
                        f"registered,,,,,,,\n" for i in range(1, 1301)]
    raw = "".join(lines).encode("utf-8")
    cut = len("".join(lines[:1200]).encode("utf-8")) + len("Q-2026-01200,grid,,,2026-03-02,990121001003,")
    assert cut == 140523 > 100 * 1024  # Excel row 1201, just before the title
    source = tmp_path / "issues-bad-byte-after-100kb.csv"
    source.write_bytes(raw[:cut] + b"\xff" + raw[cut:])
    assert problems(source, package) == [(1201, None, "import-encoding-error")]
    assert message(source, package) == \
        "无法识别文件的编码：第 1201 行有无法识别的字节（第 140524 个字节 FF，按 UTF-8 无法解码）。"


def test_broken_gbk_file_names_the_row(package, tmp_path):
    raw = (FIXTURES / "issues-gb18030.csv").read_bytes().split(b"\r\n")
    raw[2] = raw[2].replace("农贸".encode("gb18030"), b"\xff\xff")
    source = tmp_path / "broken-gbk.csv"
    source.write_bytes(b"\r\n".join(raw))
    assert problems(source, package) == [(3, None, "import-encoding-error")]


# --- xlsx ---------------------------------------------------------------------------------

def test_xlsx_with_real_dates_serial_numbers_and_numbers(package, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["问题编号", "来源机制", "提出日期", "所在区划", "问题标题", "问题类别", "难易程度", "牵头部门",
                  "办理状态", "交办日期", "办结期限", "是否督办"])
    sheet.append(["Q-1", "12345热线", dt.datetime(2026, 3, 2), 990121001003, "路灯坏了需修", "基础设施",
                  "complex", "jtj", "已交办", 46084, "2026/3/6", False])
    sheet.append(["Q-2", "grid", 45658, 990121002000, "噪音扰民问题", "environment", "简单问题", "sthjj",
                  "registered", None, None, True])
    sheet.append(["Q-3", "grid", dt.date(2024, 2, 29), "990121002000", "雨后积水问题", "other", "simple", "jtj",
                  "assigned", dt.datetime(2024, 3, 1, 0, 0), 45352.0, "否"])
    sheet.cell(row=9, column=1).number_format = "@"  # formatted but empty rows below the data
    source = tmp_path / "issues.xlsx"
    book.save(source)
    assert sheet["C3"].value == 45658 and sheet["C2"].is_date
    assert import_file(source, package, "issues") == (HEADER + (
        "Q-1,hotline,,,2026-03-02,990121001003,路灯坏了需修,infrastructure,complex,jtj,,assigned,2026-03-03,"
        "2026-03-06,,,,false,\n"
        "Q-2,grid,,,2025-01-01,990121002000,噪音扰民问题,environment,simple,sthjj,,registered,,,,,,true,\n"
        "Q-3,grid,,,2024-02-29,990121002000,雨后积水问题,other,simple,jtj,,assigned,2024-03-01,2024-03-01,,,,false,\n"),
        3)


def test_xlsx_number_that_lost_its_leading_zero(package, tmp_path):
    book = Workbook()
    book.active.append(["code", "name", "level", "parent_code"])
    book.active.append([90121001000, "青山镇", "township", "990121000000"])
    source = tmp_path / "regions.xlsx"
    book.save(source)
    assert problems(source, package, "regions") == [(2, "code", "import-error")]


# --- date and month forms -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "serial", "expected"), [
    ("2024/1/5", False, "2024-01-05"), ("2024-1-5", False, "2024-01-05"), ("2024.01.05", False, "2024-01-05"),
    ("2024年1月5日", False, "2024-01-05"), ("2024年1月5", False, "2024-01-05"), ("20240105", False, "2024-01-05"),
    ("2024/1/5 0:00", False, "2024-01-05"), ("2024-01-05 00:00:00", False, "2024-01-05"),
    ("２０２４／１／５", False, "2024-01-05"), ("２０２４年１月５日", False, "2024-01-05"),
    ("45658", True, "2025-01-01"), ("45658.0", True, "2025-01-01"), ("４５６５８", True, "2025-01-01"),
    ("60", True, None), ("45658", False, None), ("2024-02-30", False, None), ("2024/13/1", False, None),
    ("2024/1/5 10:30", False, None), ("5/1/2024", False, None), ("明天", False, None),
])
def test_convert_date(text, serial, expected):
    assert convert_date(text, excel_serial=serial) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-03", "2026-03"), ("2026-3", "2026-03"), ("2026/3", "2026-03"), ("2026年3月", "2026-03"),
    ("２０２６－０３", "2026-03"), ("2026/3/1", "2026-03"), ("46082", "2026-03"),
    ("2026-13", None), ("2026-00", None), ("2026年13月", None), ("三月", None),
])
def test_convert_month(text, expected):
    assert convert_month(text) == expected


# --- property tests --------------------------------------------------------------------------

# Characters whose GB18030 bytes can never be read as UTF-8 (lead and trail byte below 0xC2):
# a GB18030 file made of other characters may happen to be valid UTF-8 and is then read as
# such, as by every tool that tries UTF-8 first.
CHINESE = "".join(c for c in "村道路灯损坏需维修农贸市场噪音扰民供水停车垃圾安全隐患纠纷保险土地规划住房企业发展"
                  "环境桥梁修复部门施工反映困难新建改造" if max(c.encode("gb18030")) < 0xC2)
TEXT = st.text(alphabet=CHINESE + "abcXYZ0123456789 ,\";，。、（）-", min_size=4, max_size=30).filter(
    lambda t: t == t.strip())
SCHEMA = {f["name"]: f for r in json.loads((REPO / "pipeline" / "standard.json").read_text(encoding="utf-8"))
          ["resources"] if r["name"] == "issues" for f in r["schema"]["fields"]}
DAYS = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2026, 4, 30))


def date_forms(day: dt.date) -> list[str]:
    return [day.isoformat(), f"{day.year}/{day.month}/{day.day}", f"{day.year}年{day.month}月{day.day}日",
            day.strftime("%Y%m%d"), str((day - dt.date(1899, 12, 30)).days)]


@st.composite
def issue_sheets(draw):
    """(canonical rows, rows as typed in a sheet, header row, column order)."""
    canonical, typed = [], []
    for number in range(1, draw(st.integers(1, 8)) + 1):
        row = dict.fromkeys(FIELDS, "")
        row.update(id=f"Q-{number:05d}", raised_on=draw(DAYS).isoformat(), title=draw(TEXT),
                   region_code=str(draw(st.integers(10**11, 10**12 - 1))),
                   lead_department=draw(st.sampled_from(["jtj", "zrzyj", "sthjj"])),
                   escalated=draw(st.sampled_from(["true", "false", ""])),
                   summary=draw(st.one_of(st.just(""), TEXT)), assigned_on=draw(st.one_of(st.just(""), DAYS.map(str))))
        for name in ["mechanism", "category", "tier", "status", "request_type"]:
            row[name] = draw(st.sampled_from(SCHEMA[name]["constraints"]["enum"] + ([""] if name == "request_type" else [])))
        canonical.append(row)
        shown = dict(row)
        for name, value in row.items():
            if value and "categories" in SCHEMA[name]:
                shown[name] = draw(st.sampled_from([value] + [c["label"] for c in SCHEMA[name]["categories"]
                                                              if c["value"] == value]))
            elif value and SCHEMA[name]["type"] == "date":
                shown[name] = draw(st.sampled_from(date_forms(dt.date.fromisoformat(value))))
            elif value and name == "escalated":
                shown[name] = draw(st.sampled_from([value, {"true": "是", "false": "否"}[value]]))
        typed.append(shown)
    order = draw(st.permutations(FIELDS))
    header = [SCHEMA[f]["title"] if draw(st.booleans()) else f for f in order]
    return canonical, typed, header, order


def write_sheet(folder: str, typed: list[dict], header: list[str], order: list[str], encoding: str) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[row[f] for f in order] for row in typed])
    source = Path(folder) / "sheet.csv"
    source.write_bytes(buffer.getvalue().encode(encoding))
    return source


@settings(max_examples=50, deadline=None)
@given(sheet=issue_sheets(), encoding=st.sampled_from(["utf-8", "gb18030", "utf-8-sig"]))
def test_import_never_loses_reorders_or_invents_a_row(package, sheet, encoding):
    canonical, typed, header, order = sheet
    with tempfile.TemporaryDirectory() as folder:
        source = write_sheet(folder, typed, header, order, encoding)
        text, count = import_file(source, package, "issues")
    assert count == len(canonical)
    assert text == csv_text(FIELDS, [[row[f] for f in FIELDS] for row in canonical])


BREAKERS = {"raised_on": "2026-02-30", "status": "办好了", "tier": "中等", "escalated": "也许",
            "mechanism": "电话", "assigned_on": "下周", "region_code": "9.90121E+11"}


@settings(max_examples=50, deadline=None)
@given(sheet=issue_sheets(), data=st.data(), encoding=st.sampled_from(["utf-8", "gb18030", "utf-8-sig"]))
def test_one_bad_cell_is_named_by_its_excel_row(package, sheet, data, encoding):
    canonical, typed, header, order = sheet
    index = data.draw(st.integers(0, len(typed) - 1))
    field = data.draw(st.sampled_from(sorted(BREAKERS)))
    typed[index] = dict(typed[index], **{field: BREAKERS[field]})
    with tempfile.TemporaryDirectory() as folder:
        source = write_sheet(folder, typed, header, order, encoding)
        with pytest.raises(ImportFailed) as failed:
            import_file(source, package, "issues")
    assert [(f.row, f.field, f.code) for f in failed.value.findings] == [(index + 2, field, "import-error")]


def test_property_alphabet_is_wide_enough():
    assert len(CHINESE) >= 15


# --- files that are not a sheet at all ---------------------------------------------------------

def test_corrupt_xlsx_is_unreadable_not_an_encoding_problem(package, tmp_path):
    source = tmp_path / "台账.xlsx"
    source.write_bytes(b"PK\x03\x04 the rest of a workbook lost in a WeChat transfer")
    assert problems(source, package) == [(None, None, "unreadable-file")]
    assert message(source, package) == \
        "无法打开文件：文件已损坏，或不是 Excel 工作簿（BadZipFile: File is not a zip file）"


def test_old_xls_is_named_as_such(package, tmp_path):
    source = tmp_path / "台账.xlsx"
    source.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    assert problems(source, package) == [(None, None, "unreadable-file")]
    assert message(source, package) == "无法打开文件：这是旧版 Excel（.xls）或 WPS 表格（.et）文件，不能直接读取"


@pytest.mark.parametrize(("raw", "why"), [
    (b"id,title\n\x00\x00\x00\x01,x\n", "含有二进制内容，不是 CSV 文本文件"),
    (b"%PDF-1.7\n", "这是 PDF 文件，不是表格"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "这是图片，不是表格"),
])
def test_a_file_that_is_not_a_sheet(package, tmp_path, raw, why):
    source = tmp_path / "issues.csv"
    source.write_bytes(raw)
    assert problems(source, package) == [(None, None, "unreadable-file")]
    assert message(source, package) == f"无法打开文件：{why}"


def test_xlsx_renamed_to_csv_is_read_as_a_workbook(package, tmp_path):
    book = Workbook()
    book.active.append(["部门代码", "部门名称", "所属区划"])
    book.active.append(["wjw", "示例市卫生健康委员会", "990100000000"])
    source = tmp_path / "部门.csv"
    book.save(source)
    assert import_file(source, package, "departments") == (
        "code,name,region_code\nwjw,示例市卫生健康委员会,990100000000\n", 1)


def test_import_encoding_fix_does_not_send_the_user_back_to_ledger_import(package, tmp_path):
    source = tmp_path / "broken.csv"
    source.write_bytes("问题编号,问题标题\nQ-1,路灯".encode() + b"\xff\n")
    with pytest.raises(ImportFailed) as failed:
        import_file(source, package, "issues")
    (finding,) = failed.value.findings
    assert finding.code == "import-encoding-error" and finding.row == 2
    assert "ledger import" not in finding.fix_zh + finding.fix_en
    assert finding.fix_zh.startswith("把文件另存为“CSV UTF-8”或 .xlsx 后重试")


# --- merging onto an existing file ----------------------------------------------------------------

def issue_line(number: int, status: str = "registered", summary: str = "") -> str:
    return (f"Q-{number},grid,,,2026-03-02,990121001003,路灯坏了需修,infrastructure,simple,jtj,,{status},"
            f",,,,,,{summary}\n")


def run_import(source: Path, out: Path, package, *extra: str):
    return CliRunner().invoke(cli, ["import", str(source), "--resource", "issues", "--data", str(package.root),
                                    "--out", str(out), *extra])


def test_merge_replaces_in_place_keeps_other_bytes_and_appends(package, tmp_path):
    out = tmp_path / "2026.csv"
    # An untouched row quoted where the canonical form would not be, and a multi-line summary:
    # both keep their bytes.
    odd = '"Q-3",grid,,,2026-03-02,990121001003,路灯坏了需修,infrastructure,simple,jtj,,registered,,,,,,,"第一行\n第二行"\n'
    out.write_bytes((HEADER + issue_line(1) + issue_line(2) + odd + issue_line(4)).encode())
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(HEADER + issue_line(4) + issue_line(9, "assigned") + issue_line(2, "withdrawn")
                     + odd.replace('"Q-3"', "Q-3") + issue_line(7), encoding="utf-8")
    result = run_import(sheet, out, package, "--replace")
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == (HEADER + issue_line(1) + issue_line(2, "withdrawn") + odd
                                               + issue_line(4) + issue_line(9, "assigned") + issue_line(7))
    assert result.stderr == (f"导入会修改 {out} 中的 1 条已有记录：\n"
                             f"  Q-2（sheet.csv 第 4 行 → {out} 第 3 行）：\n"
                             "    办理状态（status）：“registered” → “withdrawn”\n"
                             f"已合并到 {out}：新增 2 行，更新 1 行，2 行与原来相同，其余 1 行保持不变。"
                             f" Merged into {out}: 2 added, 1 changed, 2 unchanged, 1 untouched.\n")


def test_merge_keeps_the_value_of_a_column_the_sheet_does_not_have(package, tmp_path):
    out = tmp_path / "2026.csv"
    out.write_text(HEADER + issue_line(1, "resolved", "已更换路灯") + issue_line(2), encoding="utf-8")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("问题编号,来源机制,提出日期,所在区划,问题标题,问题类别,难易程度,牵头部门,办理状态\n"
                     "Q-1,网格上报,2026/3/2,990121001003,路灯坏了需修,基础设施,简单问题,jtj,已归档\n",
                     encoding="gb18030")
    assert run_import(sheet, out, package, "--replace").exit_code == 0
    assert out.read_text(encoding="utf-8") == HEADER + issue_line(1, "archived", "已更换路灯") + issue_line(2)


def test_merge_appends_after_a_last_line_without_line_end(package, tmp_path):
    out = tmp_path / "2026.csv"
    out.write_bytes((HEADER + issue_line(1)).rstrip("\n").encode())
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(HEADER + issue_line(2), encoding="utf-8")
    assert run_import(sheet, out, package).exit_code == 0
    assert out.read_text(encoding="utf-8") == HEADER + issue_line(1) + issue_line(2)


def test_merge_by_a_composite_key(package, tmp_path):
    out = tmp_path / "devolutions.csv"
    out.write_text("item_id,region_code,effective_on\nFQ-1,990121001000,2025-03-01\nFQ-1,990121002000,\n",
                   encoding="utf-8")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("事项编码,承接乡镇（街道）,承接生效日期\nFQ-1,990121002000,2025/4/1\nFQ-2,990121001000,\n",
                     encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(sheet), "--resource", "devolutions", "--data", str(package.root),
                                      "--out", str(out), "--replace"])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == ("item_id,region_code,effective_on\nFQ-1,990121001000,2025-03-01\n"
                                               "FQ-1,990121002000,2025-04-01\nFQ-2,990121001000,\n")


def test_merge_refuses_a_target_with_another_header_and_writes_nothing(package, tmp_path):
    out = tmp_path / "2026.csv"
    before = (HEADER.replace(",summary", "") + issue_line(1)[:-2] + "\n").encode()
    out.write_bytes(before)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(HEADER + issue_line(2), encoding="utf-8")
    result = run_import(sheet, out, package)
    assert result.exit_code == 1 and out.read_bytes() == before
    assert f"[错误] {out} [import-target-mismatch]\n  无法把导入的行合并到已有文件 {out}：表头与数据字典不一致：缺少 summary 列。\n" \
        in result.output
    assert not list(tmp_path.glob(".*partial"))


def test_merge_refuses_a_sheet_that_repeats_a_key(package, tmp_path):
    out = tmp_path / "2026.csv"
    out.write_text(HEADER + issue_line(1), encoding="utf-8")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(HEADER + issue_line(1, "assigned") + issue_line(2) + issue_line(1, "resolved"), encoding="utf-8")
    result = run_import(sheet, out, package)
    assert result.exit_code == 1 and out.read_text(encoding="utf-8") == HEADER + issue_line(1)
    assert ("[错误] sheet.csv，第 4 行，字段 id（问题编号） [unique-error]\n"
            "  “问题编号（id）”列 A4：字段 id 的值“Q-1”重复出现（第一次出现在第 2 行）。\n") in result.output


def test_replace_never_drops_the_records_the_sheet_does_not_name(package, tmp_path):
    # --replace once overwrote the whole file: vanished without a word. It now only
    # confirms changes to records the sheet names; removing a record takes --remove.
    out = tmp_path / "2026.csv"
    out.write_text(HEADER + issue_line(1) + issue_line(2), encoding="utf-8")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(HEADER + issue_line(3), encoding="utf-8")
    result = run_import(sheet, out, package, "--replace")
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8") == HEADER + issue_line(1) + issue_line(2) + issue_line(3)
    assert result.stderr == (f"已合并到 {out}：新增 1 行，更新 0 行，0 行与原来相同，其余 2 行保持不变。"
                             f" Merged into {out}: 1 added, 0 changed, 0 unchanged, 2 untouched.\n")


def test_replace_without_out_is_a_usage_error(package):
    result = CliRunner().invoke(cli, ["import", str(FIXTURES / "issues-gb18030.csv"), "--resource", "issues",
                                      "--data", str(package.root), "--replace"])
    assert result.exit_code == 2 and "--replace 只能与 --out 一起使用" in result.output


SUMMARY = st.one_of(st.just(""), TEXT, st.tuples(TEXT, TEXT).map("\n".join))  # a cell may hold a line break


@settings(max_examples=40, deadline=None)
@given(sheet=issue_sheets(), summaries=st.lists(SUMMARY, min_size=8, max_size=8))
def test_importing_a_file_onto_itself_changes_no_byte(package, sheet, summaries):
    from pipeline.contribute.importer import import_table
    from pipeline.contribute.merge import merge

    canonical = [dict(row, summary=summary) for row, summary in zip(sheet[0], summaries)]
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "2026.csv"
        target.write_text(csv_text(FIELDS, [[row[f] for f in FIELDS] for row in canonical]), encoding="utf-8")
        before = target.read_bytes()
        merged = merge(before, import_table(target, package, "issues"), ["id"], path="2026.csv",
                       source="2026.csv", resource="issues")
    assert merged.text.encode("utf-8") == before
    assert (merged.appended, merged.replaced, merged.unchanged, merged.untouched) == (0, 0, len(canonical), 0)


@settings(max_examples=40, deadline=None)
@given(old=issue_sheets(), new=issue_sheets(), encoding=st.sampled_from(["utf-8", "gb18030"]))
def test_importing_k_new_rows_appends_exactly_k_rows(package, old, new, encoding):
    from pipeline.contribute.importer import import_table
    from pipeline.contribute.merge import merge

    existing = csv_text(FIELDS, [[row[f] for f in FIELDS] for row in old[0]])
    canonical, typed, header, order = new
    for rows in (canonical, typed):  # new keys: Q-0010x never meets the Q-0000x of the existing file
        for row in rows:
            row["id"] = row["id"].replace("Q-0000", "Q-0010")
    with tempfile.TemporaryDirectory() as folder:
        merged = merge(existing.encode(), import_table(write_sheet(folder, typed, header, order, encoding),
                                                       package, "issues"),
                       ["id"], path="2026.csv", source="sheet.csv", resource="issues")
    added = csv_text(FIELDS, [[row[f] for f in FIELDS] for row in canonical]).split("\n", 1)[1]
    assert merged.text == existing + added
    assert merged.appended == len(canonical) and merged.untouched == len(old[0])
