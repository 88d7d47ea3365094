"""Reading the data sheet of an Excel workbook for `ledger import`, without losing a cell.

openpyxl's read-only mode streams a sheet cheaply but believes what the file
says about itself, and county offices' workbooks often lie:

- a stale ``<dimension ref="A1:C2">`` (left by the tool that last wrote the file)
  made it stop after row 2: every row the sheet holds is read instead;
- a formula saved without its result (by a script, or a program that does not
  calculate) reads as an empty cell: each such cell is named, nothing imports;
- only the first cell of a merged range holds its value: a range down one column
  below the header is filled into every row it covers, as the sheet shows it and as
  the person who merged it meant (the same department for three issues); a range
  across columns or over the header has no single field to go to, so it is named;
- the first sheet may be hidden (an old copy, a list of choices): the active sheet is
  read when it is visible, else the first visible one, and its name is reported;
- a workbook in the 1904 date system counts serial dates from 1904-01-01;
- a title row or a merged group header above the header row: the importer finds the
  header row (pipeline/contribute/importer.py) and only then are the merges filled.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter, range_boundaries

EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0, after its 1900 leap-year bug
MAC_EPOCH = dt.date(1904, 1, 1)  # day 0 of the 1904 date system (old Mac Excel, some WPS files)

_MAYBE_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_MERGED = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\"")
_TEXT_RESULTS = ("str", "s", "inlineStr")  # a formula whose text result is "" keeps an empty <v>


class Unreadable(Exception):
    """The file cannot be opened as a sheet at all; the message says why, in Chinese."""


@dataclass(frozen=True)
class Sheet:
    """The cells of one sheet, header first, with what the importer must know about them."""

    rows: list[list[object]]
    name: str | None = None  # the worksheet read; None for a CSV file
    epoch: dt.date = EXCEL_EPOCH  # day 0 of serial dates
    uncalculated: list[tuple[int, int]] = field(default_factory=list)  # (row, column) of formulas without a value
    # every merged range, as (min_col, min_row, max_col, max_row); filled in by fill_merged
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)

    def fill_merged(self, header_row: int = 1) -> list[tuple[int, int, int, int]]:
        """Fill each merged range down one column of data rows (below ``header_row``) with its value, in
        place; return the ranges no single field can take (across columns, or over the header row).
        Ranges wholly above the header row (a title banner, a group header) are nothing to import."""
        return _fill_merged(self.rows, self.merges, header_row)

    def cell(self, row: int, column: int) -> str:
        """A cell as Excel names it, with its sheet: 问题!C5."""
        return f"{self.name}!{get_column_letter(column)}{row}"

    def range(self, min_col: int, min_row: int, max_col: int, max_row: int) -> str:
        """A range as Excel names it, with its sheet: 问题!C3:E3."""
        return f"{self.cell(min_row, min_col)}:{get_column_letter(max_col)}{max_row}"


_WEB_PAGE = ("<html", "<!doctype html", "<table", "<head", "<meta", "<body", "<style")


def web_page(raw: bytes) -> str | None:
    """Why the bytes are not a workbook though they are often named .xls, or None.

    Many systems "export to Excel" as an HTML table named .xls, Excel saves "web pages"
    as MHT, and "XML Spreadsheet 2003" is XML: none of them is a sheet to read cell by cell.
    """
    head = raw[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
    else:
        text = head.decode("utf-8", errors="ignore")
    text = text.lstrip("\ufeff \t\r\n").lower()
    if text.startswith("<?xml"):
        body = text.split("?>", 1)[-1]
        if "urn:schemas-microsoft-com:office:spreadsheet" in text or "progid=\"excel.sheet\"" in text:
            return "这是 XML 表格（Excel 2003 XML）文件，不是 Excel 工作簿：请在 Excel 中打开后另存为 .xlsx"
        text = re.sub(r"^(\s*<\?[^>]*\?>|\s*<!--.*?-->)*\s*", "", body, flags=re.S)
    mht = "mime-version:" in text[:1024] and "multipart/related" in text  # Excel's "single file web page"
    if text.startswith(_WEB_PAGE) or mht or (
            text.startswith("<!--") and re.search(r"<(html|table)\b", text)):
        return "这是网页文件，不是 Excel 工作簿：请在 Excel 中打开后另存为 .xlsx"
    return None


def read_workbook(raw: bytes) -> Sheet:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - BadZipFile, KeyError, InvalidFileException, XML errors: all "broken"
        raise Unreadable(f"文件已损坏，或不是 Excel 工作簿（{exc.__class__.__name__}: {exc}）") from None
    try:
        sheet = _data_sheet(book)
        sheet.reset_dimensions()  # the <dimension> may be stale: read every row and column the sheet holds
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        xml = zipfile.ZipFile(io.BytesIO(raw)).read(sheet._worksheet_path)  # noqa: SLF001 - openpyxl pinned
        uncalculated, merges = _scan(xml)
    except Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - read-only mode parses the sheet lazily, here
        raise Unreadable(f"工作表已损坏（{exc.__class__.__name__}: {exc}）") from None
    finally:
        book.close()
    epoch = MAC_EPOCH if book.epoch.date() == MAC_EPOCH else EXCEL_EPOCH
    return Sheet(rows, sheet.title, epoch, uncalculated, merges)


def _data_sheet(book):
    """The active worksheet when it is visible, else the first visible worksheet."""
    active = book.active
    if active in book.worksheets and active.sheet_state == "visible":
        return active
    for sheet in book.worksheets:
        if sheet.sheet_state == "visible":
            return sheet
    raise Unreadable("工作簿中没有可见的工作表：请在 Excel 中取消隐藏数据所在的工作表后保存")


def _scan(xml: bytes) -> tuple[list[tuple[int, int]], list[tuple[int, int, int, int]]]:
    """(cells holding a formula without a saved result, merged ranges as (min_col, min_row, max_col, max_row))."""
    merges = [range_boundaries(ref.decode()) for ref in _MERGED.findall(xml)]
    if _MAYBE_FORMULA.search(xml) is None:
        return [], merges
    uncalculated = []
    row_number = 0
    for _, element in ElementTree.iterparse(io.BytesIO(xml)):
        if element.tag.rsplit("}", 1)[-1] != "row":
            continue
        row_number = int(element.get("r", row_number + 1))
        column = 0
        for cell in element:
            if cell.tag.rsplit("}", 1)[-1] != "c":
                continue
            where = cell.get("r")
            column = coordinate_to_tuple(where)[1] if where else column + 1
            formula = value = None
            for child in cell:
                name = child.tag.rsplit("}", 1)[-1]
                formula = child if name == "f" else formula
                value = child if name == "v" else value
            if formula is not None and (value is None or (not value.text and cell.get("t") not in _TEXT_RESULTS)):
                uncalculated.append((row_number, column))
        element.clear()
    return uncalculated, merges


def _fill_merged(rows: list[list[object]], merges: list[tuple[int, int, int, int]],
                 header_row: int = 1) -> list[tuple[int, int, int, int]]:
    """Fill each merged range down one column of data rows with its value; return the ranges that cannot be."""
    across = []
    for min_col, min_row, max_col, max_row in sorted(merges, key=lambda m: (m[1], m[0])):
        if max_row < header_row:
            continue  # a title or group header above the header row: not data
        value = rows[min_row - 1][min_col - 1] if min_row <= len(rows) and min_col <= len(rows[min_row - 1]) else None
        if _blank(value):
            continue  # an empty range: nothing to lose
        if min_col != max_col or min_row <= header_row:
            across.append((min_col, min_row, max_col, max_row))
            continue
        for number in range(min_row + 1, min(max_row, len(rows)) + 1):
            row = rows[number - 1]
            if all(_blank(v) for v in row):
                continue  # a row with nothing but the merged cell's height: left blank, as before
            row.extend([None] * (min_col - len(row)))
            row[min_col - 1] = value
    return across


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
