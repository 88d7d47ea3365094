"""The Excel workbook: a 说明 sheet, then one sheet per resource with Chinese column headers.

Written by our streaming writer (``xlsx_writer``): rows go to the file a block
at a time, so a million-row resource never sits in memory as cells. Cells
keep their types: numbers are numbers, dates are Excel dates, booleans are
booleans, codes such as 990121001000 stay text (Excel would turn them into
9.90121E+11 from a CSV). Every text cell is an inline string, which no
spreadsheet evaluates: "=…", "+…", "@…" and "#N/A" stay text. A sheet that
would pass Excel's row limit is split by year of the resource's first date
field. Timestamps inside the file come from as_of.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pipeline.dictionary import dictionary_rows, header_titles
from pipeline.export.tables import Table, typed_values
from pipeline.export.xlsx_writer import (BOOL, CHUNK_ROWS, DATE, NUMBER, STYLE_HEADER, TEXT, XlsxWriter,
                                         escaped_bytes_bound, sheet_bytes_bound)
from pipeline.package import DataPackage

EXCEL_MAX_ROWS = 1_048_576  # rows per sheet, the header included
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
README = "说明"
# Table Schema type → cell kind; every other type (string, list, yearmonth …) is its published text
KINDS = {"integer": NUMBER, "number": NUMBER, "date": DATE, "boolean": BOOL}
SCAN_ROWS = 65_536  # rows of text joined at a time to bound a sheet's size


def sheet_name(title: str, suffix: str, taken: set[str]) -> str:
    base = SHEET_NAME_BAD.sub("_", title).strip("'") or "sheet"
    name = f"{base} {suffix}".strip()[:31]
    number = 2
    while name in taken:
        name = f"{base[:24]} {suffix} #{number}".strip()[:31]
        number += 1
    taken.add(name)
    return name


def parts(table: Table, max_rows: int) -> list[tuple[str, Sequence[int]]]:
    """(sheet suffix, row positions): one part, or one per year when the rows do not fit a sheet."""
    if table.rows <= max_rows:
        return [("", range(table.rows))]
    dated = next((f["name"] for f in table.fields if f.get("type") in ("date", "yearmonth")), None)
    if dated:
        keys = np.array([cell[:4] if cell else "无日期" for cell in table.text[dated].tolist()], dtype=object)
        groups = [(key, np.flatnonzero(keys == key)) for key in sorted(set(keys.tolist()))]
    else:
        groups = [("", np.arange(table.rows))]
    result: list[tuple[str, Sequence[int]]] = []
    for key, rows in groups:
        if len(rows) <= max_rows:
            result.append((key, rows))
            continue
        for number, start in enumerate(range(0, len(rows), max_rows), 1):
            result.append((f"{key} ({number})".strip(), rows[start:start + max_rows]))
    return result


def write_xlsx(package: DataPackage, tables: list[Table], path: Path, *,
               max_rows: int = EXCEL_MAX_ROWS - 1) -> dict[str, list[str]]:
    """Write the workbook; return resource → its sheet names. ``max_rows``: data rows per sheet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    taken = {README}
    plan = [(table, [(sheet_name(table.title, suffix, taken), rows) for suffix, rows in parts(table, max_rows)])
            for table in tables]
    names = [README] + [name for _, sheets in plan for name, _ in sheets]
    title = package.descriptor.get("title", "")
    readme = readme_rows(package, plan)
    with XlsxWriter(path, names, when=package.as_of, title=title,
                    creator=title or package.descriptor.get("name", "")) as book:
        sheet = book.sheet(README, rows=len(readme), columns=max(map(len, readme)))
        for row in readme:
            sheet.row(row)
        for table, sheets in plan:
            headers = header_titles(package, table.name)
            kinds = [KINDS.get(f.get("type", "string"), TEXT) for f in table.fields]
            text_bytes = _text_bytes(table)
            columns = [table.text[f["name"]].array for f in table.fields]  # pandas' own arrays: no copy
            for name, positions in sheets:
                rows = len(positions) + 1
                sheet = book.sheet(name, rows=rows, columns=len(kinds), frozen_header=True,
                                   size_bound=sheet_bytes_bound(rows, len(kinds), text_bytes))
                sheet.row(headers, style=STYLE_HEADER)
                for start in range(0, len(positions), CHUNK_ROWS):
                    # Python strings for one block only: the table stays in pandas' compact columns
                    at = _at(positions[start:start + CHUNK_ROWS])
                    sheet.columns([_values(column[at].tolist(), f, kind)
                                   for column, f, kind in zip(columns, table.fields, kinds)], kinds)
    return {table.name: [name for name, _ in sheets] for table, sheets in plan}


def _at(block: Sequence[int]) -> slice | Sequence[int]:
    return slice(block.start, block.stop) if isinstance(block, range) else block


def _values(cells: list[str], field: dict, kind: str) -> list:
    """Published text → the writer's values: text and dates as published ("" = missing), numbers typed."""
    return cells if kind in (TEXT, DATE) else typed_values(cells, field)


def _text_bytes(table: Table) -> int:
    """An upper bound of the escaped UTF-8 bytes of every cell (a split sheet is bounded by its whole table)."""
    total = 0
    for name in table.names:
        for start in range(0, table.rows, SCAN_ROWS):
            text = "".join(table.text[name].array[start:start + SCAN_ROWS].tolist())
            total += escaped_bytes_bound(text.encode("utf-8", "replace"))
    return total


def readme_rows(package: DataPackage, plan: list[tuple[Table, list[tuple[str, Sequence[int]]]]]) -> list[list]:
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
