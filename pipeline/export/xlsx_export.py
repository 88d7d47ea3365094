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
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.dictionary import dictionary_rows, header_titles
from pipeline.export.columns import data_bytes, escaped_bytes, map_distinct
from pipeline.export.tables import ExportTable
from pipeline.export.xlsx_rows import row_markup
from pipeline.export.xlsx_writer import (BOOL, DATE, NUMBER, STYLE_HEADER, TEXT, XlsxWriter,
                                         sheet_bytes_bound)
from pipeline.core.package import DataPackage

EXCEL_MAX_ROWS = 1_048_576  # rows per sheet, the header included
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
README = "说明"
# Table Schema type → cell kind; every other type (string, list, yearmonth …) is its published text
KINDS = {"integer": NUMBER, "number": NUMBER, "date": DATE, "boolean": BOOL}
CHUNK_ROWS = 16_384  # rows formatted at a time (about 16 MB of markup for the widest resource)
SCAN_ROWS = 65_536  # rows measured at a time to bound a sheet's size


def sheet_name(title: str, suffix: str, taken: set[str]) -> str:
    base = SHEET_NAME_BAD.sub("_", title).strip("'") or "sheet"
    name = f"{base} {suffix}".strip()[:31]
    number = 2
    while name in taken:
        name = f"{base[:24]} {suffix} #{number}".strip()[:31]
        number += 1
    taken.add(name)
    return name


def parts(table: ExportTable, max_rows: int) -> list[tuple[str, Sequence[int]]]:
    """(sheet suffix, row positions): one part, or one per year when the rows do not fit a sheet."""
    if table.rows <= max_rows:
        return [("", range(table.rows))]
    dated = next((f["name"] for f in table.fields if f.get("type") in ("date", "yearmonth")), None)
    if dated:
        keys = pc.dictionary_encode(map_distinct(table.column(dated), lambda cell: cell[:4] if cell else "无日期",
                                                 pa.string()))
        codes = keys.indices.to_numpy(zero_copy_only=False)
        named = keys.dictionary.to_pylist()
        groups = [(key, np.flatnonzero(codes == named.index(key))) for key in sorted(named)]
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


def write_xlsx(package: DataPackage, tables: list[ExportTable], path: Path, *,
               max_rows: int = EXCEL_MAX_ROWS - 1) -> dict[str, list[str]]:
    """Write the workbook; return resource → its sheet names. ``max_rows``: data rows per sheet."""
    with Workbook(package, tables, path, max_rows=max_rows) as book:
        for table in tables:
            if book.begin(table):
                for block in table.blocks(CHUNK_ROWS):
                    book.write(block)
            book.end(table)
    return book.sheets


class Workbook:
    """The workbook, fed a resource's blocks in file order (``begin``, ``write``…, ``end``, for each
    table in order), so that one reading of the rows can serve every format. A resource split into
    several sheets is not fed: ``begin`` says so, and ``end`` writes its sheets, reading it once a sheet."""

    def __init__(self, package: DataPackage, tables: list[ExportTable], path: Path, *,
                 max_rows: int = EXCEL_MAX_ROWS - 1, background: bool = False):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.package = package
        taken = {README}
        self.plan = {table.name: [(sheet_name(table.title, suffix, taken), rows)
                                  for suffix, rows in parts(table, max_rows)] for table in tables}
        names = [README] + [name for sheets in self.plan.values() for name, _ in sheets]
        title = package.descriptor.get("title", "")
        readme = readme_rows(package, [(table, self.plan[table.name]) for table in tables])
        self.book = XlsxWriter(path, names, when=package.as_of, title=title,
                               creator=title or package.descriptor.get("name", ""), background=background)
        try:
            sheet = self.book.sheet(README, rows=len(readme), columns=max(map(len, readme)))
            for row in readme:
                sheet.row(row)
        except BaseException as error:
            self.book.__exit__(type(error), error, error.__traceback__)
            raise
        self.sheet = None
        self.kinds: list[str] = []
        self.bounds: dict[str, int] = {}  # resource → its text's escaped bytes, when the table has no measure

    @property
    def sheets(self) -> dict[str, list[str]]:
        return {name: [sheet for sheet, _ in sheets] for name, sheets in self.plan.items()}

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, kind, error, trace) -> None:
        self.book.__exit__(kind, error, trace)

    def begin(self, table: ExportTable) -> bool:
        """Open the table's sheet; False when the table is split (then ``end`` writes it)."""
        sheets = self.plan[table.name]
        if len(sheets) != 1 or sheets[0][1] != range(table.rows):
            return False
        self.sheet = self._open(table, *sheets[0])
        return True

    def write(self, block: pa.RecordBatch) -> None:
        """The next rows of the open sheet's table, in file order."""
        for start in range(0, block.num_rows, CHUNK_ROWS):
            self._rows(block.slice(start, CHUNK_ROWS))

    def end(self, table: ExportTable) -> None:
        if self.sheet is None:  # split: each sheet takes its rows in a reading of its own
            for name, positions in self.plan[table.name]:
                self.sheet = self._open(table, name, positions)
                for block in _blocks_at(table, positions):
                    self._rows(block)
        self.sheet = None

    def _open(self, table: ExportTable, name: str, positions: Sequence[int]):
        self.table = table
        self.kinds = [KINDS.get(f.get("type", "string"), TEXT) for f in table.fields]
        if table.text_bytes is None and table.name not in self.bounds:  # measured once for all its sheets
            self.bounds[table.name] = _text_bytes(table)
        text_bytes = table.text_bytes if table.text_bytes is not None else self.bounds[table.name]
        rows = len(positions) + 1
        sheet = self.book.sheet(name, rows=rows, columns=len(self.kinds), frozen_header=True,
                                size_bound=sheet_bytes_bound(rows, len(self.kinds), text_bytes))
        sheet.row(header_titles(self.package, table.name), style=STYLE_HEADER)
        return sheet

    def _rows(self, block: pa.RecordBatch) -> None:
        if block.num_rows:
            markup = row_markup(block.columns, self.kinds, self.table.fields, self.sheet.letters, self.sheet.next_row)
            self.sheet.markup(data_bytes(markup), block.num_rows)

    def close(self) -> None:
        self.book.close()


def _blocks_at(table: ExportTable, positions: Sequence[int]) -> Iterator[pa.RecordBatch]:
    """The table's rows at ``positions`` (ascending), in blocks of at most CHUNK_ROWS rows."""
    if isinstance(positions, range) and positions == range(table.rows):
        yield from table.blocks(CHUNK_ROWS)
        return
    wanted = np.asarray(positions, dtype=np.int64)
    offset = 0
    for batch in table.blocks(CHUNK_ROWS):
        low, high = np.searchsorted(wanted, [offset, offset + batch.num_rows])
        if high > low:
            yield batch.take(pa.array(wanted[low:high] - offset))
        offset += batch.num_rows


def _text_bytes(table: ExportTable) -> int:
    """An upper bound of the escaped UTF-8 bytes of every cell (a split sheet is bounded by its whole table)."""
    return sum(escaped_bytes(batch) for batch in table.blocks(SCAN_ROWS))


def readme_rows(package: DataPackage, plan: list[tuple[ExportTable, list[tuple[str, Sequence[int]]]]]) -> list[list]:
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
