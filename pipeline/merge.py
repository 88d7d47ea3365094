"""Merging an import into a canonical CSV that already exists (`ledger import … --out EXISTING`).

A maintainer re-imports the whole ledger every month; the pull request must
show only what changed. So the existing file is never re-written: each of its
records keeps its bytes and its place. An imported row whose primary key is
already there takes that record's place (its bytes stay when nothing changed);
rows with a new key are appended in the order of the sheet. A column the sheet
does not have keeps the existing file's value, so a sheet without 办理情况
cannot wipe it out.

The existing file is cut into records by the csv module, the reader validation
falls back to, and read again by validation's own reader (pipeline/tables.py):
where the two do not see the same records, nothing is merged. The merged text
is read back the same way before anything is written, and must hold exactly
the records it was meant to hold: every record the import did not change, as it
was, and the imported rows. A merge that would lose or alter a single record is
refused, whatever the quoting of the existing file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline import findings as fd
from pipeline.csvio import csv_text
from pipeline.importer import Imported, ImportFailed
from pipeline.tables import read_text_table

Row = tuple[str | None, ...]  # a record as validation reads it: a cell per field (None: missing), extra cells after


@dataclass(frozen=True)
class Record:
    raw: str  # the record's text, its line end included
    cells: list[str]  # as the csv module reads it ([] for an empty line)


@dataclass(frozen=True)
class Merged:
    text: str
    appended: int  # imported rows with a key the file did not have
    replaced: int  # existing rows the import changed
    unchanged: int  # existing rows the import repeated exactly
    untouched: int  # existing rows the import did not mention


def split_records(text: str) -> list[Record]:
    """The records of a CSV text with the raw text of each, read by the csv module.

    The reader is fed one physical line at a time (a line ends at LF, CRLF or a lone CR,
    as the csv module and pyarrow both see it), so the lines it took for a record are that
    record's text: a quoted cell may span lines, a quote inside an unquoted cell is text.
    Raises csv.Error (a cell over the csv module's size limit).
    """
    taken: list[str] = []

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            taken.append(line)
            yield line

    records = []
    for cells in csv.reader(lines()):
        records.append(Record("".join(taken), cells))
        taken.clear()
    return records


def read_back(text: str, names: list[str]) -> list[Row]:
    """Every record after the header as validation reads it (pipeline/tables.py)."""
    table = read_text_table(text.encode("utf-8"), names, header=True)
    columns = [table.frame[name].astype(object).tolist() for name in names]
    rows = []
    for index, cells in enumerate(zip(*columns)):
        row = tuple(None if cell is None or cell != cell else cell for cell in cells)  # NaN: a cell the record lacks
        rows.append(_plain(row + tuple(table.extra_cells.get(index, ()))))
    return rows


def _as_read(cells: list[str], width: int) -> Row:
    return _plain(tuple(cells[:width]) + (None,) * (width - len(cells)) + tuple(cells[width:]))


def _plain(row: Row) -> Row:
    # An empty line is all-missing for the csv module and all-empty for pyarrow: the same record.
    return tuple("" for _ in row) if all(cell is None for cell in row) else row


def _line(values: list[str]) -> str:
    return csv_text(values, [])  # one canonical record, "\n"-terminated


def merge(existing: bytes, imported: Imported, key: list[str], *, path: str, source: str,
          resource: str) -> Merged:
    """The existing file (``path``) with the import of ``source`` merged in, or ImportFailed saying why not."""

    def refuse(detail: str) -> ImportFailed:
        return ImportFailed([fd.make("import-target-mismatch", path=path, resource=resource, value=path,
                                     detail=detail)])

    # --- Load the existing file: canonical UTF-8, the same header as the import ---
    if existing.startswith(b"\xef\xbb\xbf"):
        raise refuse("文件开头带有 BOM，不是标准 CSV")
    try:
        text = existing.decode("utf-8")
    except UnicodeDecodeError:
        raise refuse("文件不是 UTF-8 编码") from None
    try:
        records = split_records(text)
    except csv.Error as exc:
        raise refuse(f"文件无法按 CSV 读取（{exc}）") from None
    header = records[0].cells if records else []
    if header != imported.fields:
        raise refuse(_header_difference(header, imported.fields))
    width = len(imported.fields)
    body = records[1:]
    seen = read_back(text, imported.fields)
    disagreement = _first_difference(seen, [_as_read(r.cells, width) for r in body])
    if disagreement is not None:
        raise refuse(f"第 {disagreement + 2} 行的引号不规范，不同的 CSV 读取方式读出的记录不一致；"
                     "请先在文本编辑器中改正这一行的引号")
    positions = [imported.fields.index(name) for name in key]

    # --- Check the import: a key may appear once ---
    _check_unique(imported, positions, source, resource)

    # --- Replace in place, append the rest ---
    where: dict[tuple[str, ...], int] = {}
    for number, record in enumerate(body):
        row_key = tuple(record.cells[i] if i < len(record.cells) else "" for i in positions)
        if any(row_key):
            where.setdefault(row_key, number)
    out = [record.raw for record in records]
    expected = list(seen)
    appended: list[str] = []
    replaced = unchanged = 0
    for row in imported.rows:
        row_key = tuple(row[i] for i in positions)
        number = where.get(row_key) if any(row_key) else None
        if number is None:
            appended.append(_line(row))
            expected.append(tuple(row))
            continue
        before = body[number].cells
        after = [value if name in imported.present or index >= len(before) else before[index]
                 for index, (name, value) in enumerate(zip(imported.fields, row))]
        if after == before:
            unchanged += 1
        else:
            replaced += 1
            out[number + 1] = _line(after)
            expected[number] = tuple(after)
    if appended and not out[-1].endswith(("\n", "\r")):
        out[-1] += "\n"
    merged = "".join(out + appended)

    # --- Read the result back: exactly the records meant, or nothing is written ---
    lost = _first_difference(read_back(merged, imported.fields), expected)
    if lost is not None:
        raise refuse(f"合并后重新读取，第 {lost + 2} 行与应有的内容不同（已有文件的引号可能没有闭合），"
                     "为免丢失或改动记录，没有合并")
    return Merged(merged, appended=len(appended), replaced=replaced, unchanged=unchanged,
                  untouched=len(body) - replaced - unchanged)


def _first_difference(have: list[Row], want: list[Row]) -> int | None:
    """Index of the first record that differs (or is missing from one side), None when all agree."""
    for index, (a, b) in enumerate(zip(have, want)):
        if a != b:
            return index
    return None if len(have) == len(want) else min(len(have), len(want))


def _header_difference(header: list[str], fields: list[str]) -> str:
    if not header:
        return "文件是空的，连表头也没有"
    for column, (have, want) in enumerate(zip(header, fields), start=1):
        if have != want:
            return f"表头与数据字典不一致：第 {column} 列是“{have}”，应为“{want}”"
    if len(header) < len(fields):
        return f"表头与数据字典不一致：缺少 {'、'.join(fields[len(header):])} 列"
    return f"表头与数据字典不一致：多了 {'、'.join(header[len(fields):])} 列"


def _check_unique(imported: Imported, positions: list[int], path: str, resource: str) -> None:
    """Two rows of the sheet with one key: which one should win is a guess, so neither does."""
    first: dict[tuple[str, ...], int] = {}
    problems = []
    names = [imported.fields[i] for i in positions]
    for index, row in enumerate(imported.rows):
        row_key = tuple(row[i] for i in positions)
        if not any(row_key):
            continue
        excel_row = index + 2
        if row_key not in first:
            first[row_key] = excel_row
        elif len(names) == 1:
            problems.append(fd.make("unique-error", path=path, row=excel_row, field=names[0], resource=resource,
                                    value=row_key[0], first_row=first[row_key]))
        else:
            problems.append(fd.make("primary-key", path=path, row=excel_row, field="、".join(names),
                                    resource=resource, value="|".join(row_key), first_row=first[row_key]))
    if problems:
        raise ImportFailed(problems)
