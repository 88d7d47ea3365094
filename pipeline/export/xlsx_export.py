"""The Excel workbook: a 说明 sheet, then one sheet per resource with Chinese column headers.

Written with openpyxl in write-only mode (rows stream to disk). Cells keep
their types: numbers are numbers, dates are Excel dates, codes such as
990121001000 stay text (Excel would turn them into 9.90121E+11 from a CSV).
A text cell is always a text cell: openpyxl would store "=…" as a formula and
"#N/A" as an error, so such cells are written with an explicit string type.
A sheet that would pass Excel's row limit is split by year of the resource's
first date field. Timestamps inside the file come from as_of.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.xml.functions import tostring

from pipeline.dictionary import dictionary_rows, header_titles
from pipeline.export import ziputil
from pipeline.export.tables import Table
from pipeline.package import DataPackage

EXCEL_MAX_ROWS = 1_048_576  # rows per sheet, the header included
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
README = "说明"


def sheet_name(title: str, suffix: str, taken: set[str]) -> str:
    base = SHEET_NAME_BAD.sub("_", title).strip("'") or "sheet"
    name = f"{base} {suffix}".strip()[:31]
    number = 2
    while name in taken:
        name = f"{base[:24]} {suffix} #{number}".strip()[:31]
        number += 1
    taken.add(name)
    return name


def parts(table: Table, max_rows: int) -> list[tuple[str, list[int]]]:
    """(sheet suffix, row positions): one part, or one per year when the rows do not fit a sheet."""
    positions = list(range(table.rows))
    if table.rows <= max_rows:
        return [("", positions)]
    dated = next((f["name"] for f in table.fields if f.get("type") in ("date", "yearmonth")), None)
    groups: dict[str, list[int]] = {}
    for position, cell in zip(positions, table.text[dated].tolist() if dated else [""] * table.rows):
        groups.setdefault(cell[:4] if cell else "无日期", []).append(position)
    result = []
    for key in sorted(groups):
        rows = groups[key]
        if len(rows) <= max_rows:
            result.append((key if dated else "", rows))
            continue
        for number, start in enumerate(range(0, len(rows), max_rows), 1):
            result.append((f"{key if dated else ''} ({number})".strip(), rows[start:start + max_rows]))
    return result


def _text_cell(sheet, value: str):
    """A str as Excel text; a cell object only where openpyxl would otherwise guess a formula or error."""
    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)  # control characters cannot be stored in XLSX
    # XML turns a carriage return into a line feed when read; say so explicitly, whatever the reader.
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if value.startswith("=") or value in ERROR_CODES:
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        return cell
    return value


def _cells(sheet, table: Table) -> list[list]:
    columns = []
    for field in table.fields:
        values = table.values(field)
        if field.get("type") == "list":
            delimiter = field.get("delimiter", ",")
            values = [None if v is None else delimiter.join(v) for v in values]
        if field.get("type", "string") in ("string", "list", "yearmonth"):
            values = [None if v is None else _text_cell(sheet, v) for v in values]
        columns.append(values)
    return columns


def _rows(columns: list[list], positions: list[int]) -> Iterator[list]:
    for position in positions:
        yield [column[position] for column in columns]


def write_xlsx(package: DataPackage, tables: list[Table], path: Path, *,
               max_rows: int = EXCEL_MAX_ROWS - 1) -> dict[str, list[str]]:
    """Write the workbook; return resource → its sheet names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.combine(package.as_of, dt.time())
    book = Workbook(write_only=True)
    book.properties.creator = package.descriptor.get("title") or package.descriptor.get("name", "")
    book.properties.title = package.descriptor.get("title", "")
    book.properties.created = stamp
    book.properties.modified = stamp
    taken = {README}
    plan = [(table, [(sheet_name(table.title, suffix, taken), rows) for suffix, rows in parts(table, max_rows)])
            for table in tables]
    readme = book.create_sheet(README)
    for row in readme_rows(package, plan):
        readme.append([_text_cell(readme, v) if isinstance(v, str) else v for v in row])
    bold = Font(bold=True)
    for table, sheets in plan:
        headers = header_titles(package, table.name)
        for name, positions in sheets:
            sheet = book.create_sheet(name)
            sheet.freeze_panes = "A2"
            columns = _cells(sheet, table)
            header = []
            for title in headers:
                cell = WriteOnlyCell(sheet, title)
                cell.font = bold
                header.append(cell)
            sheet.append(header)
            for row in _rows(columns, positions):
                sheet.append(row)
    book.save(path)
    book.properties.modified = stamp  # openpyxl's save stamps the clock into docProps/core.xml
    ziputil.restamp(path, package.as_of, {"docProps/core.xml": tostring(book.properties.to_tree())})
    return {table.name: [name for name, _ in sheets] for table, sheets in plan}


def readme_rows(package: DataPackage, plan: list[tuple[Table, list[tuple[str, list[int]]]]]) -> list[list]:
    """The 说明 sheet: what the workbook is, its sheets, and every column's meaning."""
    descriptor = package.descriptor
    licence = (descriptor.get("licenses") or [{}])[0]
    rows: list[list] = [
        [descriptor.get("title", "")],
        [descriptor.get("description", "")],
        ["数据截止日", package.as_of.isoformat()],
        ["版本", str(descriptor.get("version", ""))],
        ["许可协议", licence.get("title") or licence.get("name", ""), licence.get("path", "")],
        [],
        ["工作表", "资源", "资源名称", "行数"],
    ]
    for table, sheets in plan:
        for name, positions in sheets:
            rows.append([name, table.name, table.title, len(positions)])
    rows += [[], ["资源", "列名", "字段名", "类型", "要求", "可选值", "说明"]]
    for table, _ in plan:
        for field in dictionary_rows(package, table.name):
            rows.append([table.name, field.title, field.name, field.type_label, "；".join(field.constraints),
                         "、".join(f"{code} {label}" for code, label in field.categories), field.description])
    return rows
