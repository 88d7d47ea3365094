"""The streaming XLSX writer: stock readers open its files, hostile text stays inert text, bytes are fixed.

Read back with openpyxl (full mode, so cell types are visible) and with
pandas.read_excel; the ZIP checked with stock zipfile; every part parsed as XML.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.datetime import to_excel

from pipeline.core.dictionary import header_titles
from pipeline.export.tables import read_table
from pipeline.export.xlsx_export import README, parts, write_xlsx
from pipeline.export.xlsx_writer import (BOOL, DATE, NUMBER, TEXT, XlsxWriter, column_letter, date_serial, escape,
                                         escaped_bytes_bound, number_text, sheet_bytes_bound)
from pipeline.core.package import load

AS_OF = dt.date(2026, 4, 30)
LONG = "长" * 4990 + "0123456789"
# (written, read back): formulas, errors, markup, entities, XML-forbidden characters, astral plane, long text
HOSTILE = [
    ('=HYPERLINK("x")', '=HYPERLINK("x")'),
    ("+1", "+1"),
    ("-2+3", "-2+3"),
    ("@SUM(A1)", "@SUM(A1)"),
    ("\t=1+1", "\t=1+1"),
    ("a\rb\r\nc", "a\nb\nc"),  # XML has no bare CR: it becomes LF, as a reader would make it anyway
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("&amp;", "&amp;"),
    ("控\x01制\x1b字\x0b符", "控制字符"),  # control characters XML 1.0 forbids are dropped
    ("前\ufffe后\uffff", "前后"),  # so are the non-characters U+FFFE and U+FFFF
    ("\x01\x02", None),  # nothing left: no cell
    ("😀 emoji 𠀀", "😀 emoji 𠀀"),
    (LONG, LONG),
    (" edge spaces ", " edge spaces "),
    ("#N/A", "#N/A"),
]
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
ORDER = ["[Content_Types].xml", "_rels/.rels", "docProps/core.xml", "docProps/app.xml", "xl/workbook.xml",
         "xl/_rels/workbook.xml.rels", "xl/styles.xml"]


def write_book(path: Path, level: int = 6) -> Path:
    """Two sheets: mixed rows (row API), then typed columns (block API) with gaps."""
    with XlsxWriter(path, ["混合 & <表>", "列"], when=AS_OF, title="标题 & <x>", creator="阳光台账",
                    compresslevel=level) as book:
        sheet = book.sheet("混合 & <表>", rows=len(HOSTILE) + 2, columns=3, frozen_header=True)
        sheet.row(["文本", "数", "日期"], style=1)
        for text, _ in HOSTILE:
            sheet.row([text])
        sheet.row([None, -3.5, dt.date(2026, 4, 30)])
        sheet = book.sheet("列", rows=4, columns=5)
        sheet.columns([["a", "", "=1+1", None], [1, None, -7, 10**15], [0.1, -2.5e-7, 1e20, 97271.0],
                       ["2026-04-30", "", dt.date(1900, 3, 1), None], [True, False, None, True]],
                      [TEXT, NUMBER, NUMBER, DATE, BOOL])
    return path


@pytest.fixture(scope="module")
def book_path(tmp_path_factory) -> Path:
    return write_book(tmp_path_factory.mktemp("xlsx") / "book.xlsx")


# --- the low-level writer -------------------------------------------------------------------------

def test_escape_drops_what_xml_cannot_hold_and_turns_cr_into_lf():
    assert escape("plain 文本") == "plain 文本"
    assert escape("a&b<c>d\r\ne\rf\x00\x01g\x0b\x0c\x1f\x7fh\ufffe\uffffi\ud800j\tk\nl") == \
        "a&amp;b&lt;c&gt;d\ne\nfg\x7fhij\tk\nl"  # DEL (U+007F) is allowed in XML 1.0: kept


def test_helpers():
    assert [column_letter(i) for i in (0, 25, 26, 51, 701, 702, 16383)] == ["A", "Z", "AA", "AZ", "ZZ", "AAA", "XFD"]
    for day in (dt.date(1900, 1, 1), dt.date(1900, 2, 28), dt.date(1900, 3, 1), dt.date(2026, 4, 30)):
        assert date_serial(day) == to_excel(day), day  # openpyxl's count, 1900 leap-year bug included
    assert date_serial(dt.date(2026, 4, 30)) == 46142
    assert escaped_bytes_bound("a&<>长".encode()) == 4 + 3 + 4 * 1 + 3 * 2
    assert sheet_bytes_bound(10, 2, 100) == 2048 + 10 * (24 + 2 * 72) + 100


def test_openpyxl_reads_every_value_with_its_type(book_path):
    book = openpyxl.load_workbook(book_path)  # full mode: data_type and number formats visible
    assert book.sheetnames == ["混合 & <表>", "列"]
    assert book.properties.title == "标题 & <x>" and book.properties.creator == "阳光台账"
    assert book.properties.created == book.properties.modified == dt.datetime(2026, 4, 30)
    mixed = book["混合 & <表>"]
    assert mixed.freeze_panes == "A2" and book["列"].freeze_panes is None
    assert [c.value for c in mixed[1]] == ["文本", "数", "日期"] and all(c.font.b for c in mixed[1])
    cells = [mixed.cell(row=r, column=1) for r in range(2, len(HOSTILE) + 2)]
    assert [c.value for c in cells] == [read for _, read in HOSTILE]
    assert {c.data_type for c in cells if c.value is not None} == {"s"}  # text, never "f" (formula) nor "e" (error)
    assert not mixed.cell(row=2, column=1).font.b
    last = len(HOSTILE) + 2
    assert mixed.cell(row=last, column=1).value is None
    assert mixed.cell(row=last, column=2).value == -3.5 and mixed.cell(row=last, column=2).data_type == "n"
    date = mixed.cell(row=last, column=3)
    assert date.is_date and date.value == dt.datetime(2026, 4, 30) and date.number_format == "yyyy-mm-dd"
    rows = list(book["列"].iter_rows(values_only=True))
    assert rows == [("a", 1, 0.1, dt.datetime(2026, 4, 30), True),
                    (None, None, -2.5e-7, None, False),
                    ("=1+1", -7, 1e20, dt.datetime(1900, 3, 1), None),
                    (None, 10**15, 97271, None, True)]  # a whole float reads back as an int, as before
    assert book["列"]["A3"].data_type == "s" and book["列"]["B3"].data_type == "n"
    assert [number_text(v) for v in (0.1 + 0.2, 1e20, -0.0, 3.0, 2.0**53, float("nan"), float("-inf"))] == \
        ["0.30000000000000004", "1e+20", "0", "3", "9007199254740992.0", None, None]  # exact, unlike "%.16g"


def test_nan_and_infinity_are_text_since_no_cell_can_hold_them(tmp_path):
    with XlsxWriter(tmp_path / "n.xlsx", ["n"], when=AS_OF) as book:
        book.sheet("n", rows=3, columns=1).columns([[float("nan"), float("-inf"), -1.5]], [NUMBER])
    cells = [row[0] for row in openpyxl.load_workbook(tmp_path / "n.xlsx")["n"].iter_rows()]
    assert [(c.value, c.data_type) for c in cells] == [("nan", "s"), ("-inf", "s"), (-1.5, "n")]


def test_no_part_holds_a_formula_and_every_part_is_well_formed_xml(book_path):
    with zipfile.ZipFile(book_path) as archive:
        assert archive.testzip() is None
        for name in archive.namelist():
            data = archive.read(name)
            ET.fromstring(data)  # raises on malformed XML or a forbidden character
            assert not re.search(rb"<(\w+:)?f[ >/]", data), name
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert '<dimension ref="A1:C17"/>' in sheet
    assert ('<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/></sheetView>') in sheet
    assert '<c r="A2" t="inlineStr"><is><t>=HYPERLINK("x")</t></is></c>' in sheet
    assert '<c r="A6" t="inlineStr"><is><t xml:space="preserve">\t=1+1</t></is></c>' in sheet  # leading tab kept
    assert "<t>&lt;script&gt;alert(1)&lt;/script&gt;</t>" in sheet and "<t>&amp;amp;</t>" in sheet


def test_pandas_reads_the_file(book_path):
    frames = pd.read_excel(book_path, sheet_name=None, engine="openpyxl", keep_default_na=False, na_values=[])
    assert list(frames) == ["混合 & <表>", "列"]
    mixed = frames["混合 & <表>"]
    assert list(mixed.columns) == ["文本", "数", "日期"]
    assert mixed["文本"].tolist()[:len(HOSTILE)] == [read or "" for _, read in HOSTILE]
    assert mixed["数"].iloc[-1] == -3.5 and mixed["日期"].iloc[-1] == pd.Timestamp("2026-04-30")


def test_bytes_are_fixed_entries_ordered_dated_and_0644(book_path, tmp_path):
    again = write_book(tmp_path / "again.xlsx")
    assert again.read_bytes() == book_path.read_bytes()
    with zipfile.ZipFile(book_path) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == ORDER + ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"]
    assert {(i.date_time, i.external_attr >> 16, i.compress_type) for i in infos} == \
        {((2026, 4, 30, 0, 0, 0), 0o100644, zipfile.ZIP_DEFLATED)}
    assert {i.extract_version for i in infos} == {20}  # no ZIP64 for small parts
    assert write_book(tmp_path / "fast.xlsx", level=1).read_bytes() != book_path.read_bytes()  # the level is used


def test_zip64_only_when_a_part_may_pass_2_gib(tmp_path):
    path = tmp_path / "big.xlsx"
    with XlsxWriter(path, ["a"], when=AS_OF) as book:
        book.sheet("a", rows=1, columns=1, size_bound=3 * 2**31).row([1])
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
        assert info.extract_version == 45 and archive.testzip() is None
    raw = path.read_bytes()
    assert struct.unpack("<H", raw[info.header_offset + 4:info.header_offset + 6]) == (45,)
    assert openpyxl.load_workbook(path)["a"]["A1"].value == 1


@pytest.mark.parametrize("misuse,message", [
    (lambda book: book.sheet("b", rows=1, columns=1), "out of the declared order"),
    (lambda book: book.sheet("a", rows=2, columns=1).row(["x"]), "1 rows written, 2 declared"),
    (lambda book: book.sheet("a", rows=1, columns=1).columns([["x", "y"]], [TEXT]), "more rows than the 1"),
    (lambda book: book.sheet("a", rows=1, columns=1).row(["x", "y"]), "2 values for 1 columns"),
])
def test_misuse_fails_loudly_and_leaves_no_file(tmp_path, misuse, message):
    path = tmp_path / "bad.xlsx"
    with pytest.raises(ValueError, match=message):
        with XlsxWriter(path, ["a", "b"], when=AS_OF) as book:
            misuse(book)
            book.sheet("b", rows=0, columns=1)
    assert not path.exists()


# --- the workbook of a package ------------------------------------------------------------------------

@pytest.fixture
def hostile_issues(tiny):
    """The tiny issues, 15 rows: hostile titles and summaries, a missing date, a 2025 date."""
    package = load(tiny)
    issues = read_table(package, "issues")
    text = pd.concat([issues.text, issues.text], ignore_index=True).iloc[:len(HOSTILE)].copy()
    text["title"] = [written for written, _ in HOSTILE]
    text["summary"] = list(reversed([written for written, _ in HOSTILE]))
    text.loc[3, "raised_on"] = "2025-12-31"
    text.loc[4, "resolved_on"] = ""
    return package, dataclasses.replace(issues, text=text)


def test_hostile_text_round_trips_as_text_through_the_export(hostile_issues, tmp_path):
    package, issues = hostile_issues
    claims = read_table(package, "claims")
    claims = dataclasses.replace(claims, text=claims.text.assign(value=["-5"] + claims.text["value"].tolist()[1:]))
    sheets = write_xlsx(package, [issues, claims], tmp_path / "x.xlsx")
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    assert book.sheetnames == [README, "问题", "公开报道数据"] and sheets == {"issues": ["问题"], "claims": ["公开报道数据"]}
    sheet = book["问题"]
    headers = [c.value for c in sheet[1]]
    assert headers == header_titles(package, "issues") and sheet.freeze_panes == "A2"
    for column, expected in (("问题标题", [r for _, r in HOSTILE]), ("办理情况", [r for _, r in reversed(HOSTILE)])):
        cells = [sheet.cell(row=r, column=headers.index(column) + 1) for r in range(2, len(HOSTILE) + 2)]
        assert [c.value for c in cells] == expected
        assert {c.data_type for c in cells if c.value is not None} == {"s"}
    assert all(c.data_type != "f" for row in book.worksheets for line in row.iter_rows() for c in line)
    raised = sheet.cell(row=5, column=headers.index("提出日期") + 1)
    assert raised.is_date and raised.value == dt.datetime(2025, 12, 31)
    assert sheet.cell(row=6, column=headers.index("办结日期") + 1).value is None  # missing: no cell
    escalated = sheet.cell(row=2, column=headers.index("是否督办") + 1)
    assert escalated.value is False and escalated.data_type == "b"
    value = book["公开报道数据"].cell(row=2, column=[c.value for c in book["公开报道数据"][1]].index("数值") + 1)
    assert value.value == -5 and value.data_type == "n"  # a real negative number stays a number
    frame = pd.read_excel(tmp_path / "x.xlsx", sheet_name="问题", engine="openpyxl", keep_default_na=False,
                          na_values=[])  # "#N/A" is text here, not pandas' missing value
    assert frame["问题标题"].tolist() == [r or "" for _, r in HOSTILE]
    with zipfile.ZipFile(tmp_path / "x.xlsx") as archive:
        assert archive.testzip() is None


def test_year_split_at_an_injected_row_limit(hostile_issues, tmp_path):
    package, issues = hostile_issues
    text = issues.text.copy()
    text.loc[5, "raised_on"] = ""  # no date: its own sheet, after the years
    issues = dataclasses.replace(issues, text=text)
    years = [suffix for suffix, _ in parts(issues, max_rows=len(HOSTILE) - 1)]
    assert years == ["2025", "2026", "无日期"]
    split = parts(issues, max_rows=5)  # 2026 has 13 rows: three sheets
    assert [(suffix, list(rows)) for suffix, rows in split] == [
        ("2025", [3]), ("2026 (1)", [0, 1, 2, 4, 6]), ("2026 (2)", [7, 8, 9, 10, 11]), ("2026 (3)", [12, 13, 14]),
        ("无日期", [5])]
    assert parts(issues, max_rows=len(HOSTILE)) == [("", range(len(HOSTILE)))]
    sheets = write_xlsx(package, [issues], tmp_path / "split.xlsx", max_rows=5)["issues"]
    assert sheets == ["问题 2025", "问题 2026 (1)", "问题 2026 (2)", "问题 2026 (3)", "问题 无日期"]
    book = openpyxl.load_workbook(tmp_path / "split.xlsx", read_only=True)
    titles = [row[6] for name in sheets for row in list(book[name].iter_rows(values_only=True))[1:]]
    assert titles == [HOSTILE[i][1] for _, rows in split for i in rows]
    readme = list(book[README].iter_rows(values_only=True))
    assert [r[:4] for r in readme if r and r[0] in sheets] == [(n, "issues", "问题", len(rows))
                                                              for n, (_, rows) in zip(sheets, split)]
    book.close()


def test_a_table_without_dates_splits_in_numbered_parts(tiny, tmp_path):
    package = load(tiny)
    departments = read_table(package, "departments")
    assert not any(f.get("type") in ("date", "yearmonth") for f in departments.fields)
    split = parts(departments, max_rows=1)
    assert [suffix for suffix, _ in split] == ["(1)", "(2)"]
    assert [i for _, rows in split for i in rows] == list(range(departments.rows))


def test_memory_stays_flat_as_rows_grow(tiny, tmp_path, monkeypatch):
    """Python memory while writing is one block's worth, whatever the number of rows."""
    import tracemalloc

    from pipeline.export import xlsx_export

    monkeypatch.setattr(xlsx_export, "CHUNK_ROWS", 128)
    monkeypatch.setattr(xlsx_export, "SCAN_ROWS", 128)
    package = load(tiny)
    issues = read_table(package, "issues")
    peaks = []
    for rows in (512, 4096):
        text = pd.concat([issues.text] * (rows // issues.rows + 1), ignore_index=True).iloc[:rows]
        tracemalloc.start()
        write_xlsx(package, [dataclasses.replace(issues, text=text)], tmp_path / f"{rows}.xlsx")
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] * 1.2, peaks  # eight times the rows, (nearly) the same peak
