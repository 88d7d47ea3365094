"""Merging an import into a canonical CSV that already exists (`ledger import … --out EXISTING`).

A maintainer re-imports the whole ledger every month; the pull request must
show only what changed. So the existing file is never re-written: each of its
records keeps its bytes and its place. An imported row whose primary key is
already there takes that record's place (its bytes stay when nothing changed);
rows with a new key are appended in the order of the sheet. A column the sheet
does not have keeps the existing file's value, so a sheet without 办理情况
cannot wipe it out.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from pipeline import findings as fd
from pipeline.csvio import csv_text
from pipeline.importer import Imported, ImportFailed

_RECORD_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


@dataclass(frozen=True)
class Merged:
    text: str
    appended: int  # imported rows with a key the file did not have
    replaced: int  # existing rows the import changed
    unchanged: int  # existing rows the import repeated exactly
    untouched: int  # existing rows the import did not mention


def split_records(text: str) -> list[str]:
    """The raw records of a CSV text, line ends included; a quoted cell may span lines."""
    records: list[str] = []
    pending: list[str] = []
    quotes = 0
    for line in _RECORD_LINE.findall(text):
        pending.append(line)
        quotes += line.count('"')
        if quotes % 2 == 0:  # "" inside a quoted cell keeps the count even
            records.append("".join(pending))
            pending, quotes = [], 0
    if pending:  # an unclosed quote at the end: kept as it is
        records.append("".join(pending))
    return records


def _cells(record: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(record, newline="")))
    return rows[0] if rows else []


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
    records = split_records(text)
    header = _cells(records[0]) if records else []
    if header != imported.fields:
        raise refuse(_header_difference(header, imported.fields))
    positions = [imported.fields.index(name) for name in key]

    # --- Check the import: a key may appear once ---
    _check_unique(imported, positions, source, resource)

    # --- Replace in place, append the rest ---
    where: dict[tuple[str, ...], int] = {}
    old_cells: dict[int, list[str]] = {}
    for number, record in enumerate(records[1:], start=1):
        cells = _cells(record)
        old_cells[number] = cells
        row_key = tuple(cells[i] if i < len(cells) else "" for i in positions)
        if any(row_key):
            where.setdefault(row_key, number)
    out = list(records)
    appended: list[str] = []
    replaced = unchanged = 0
    for row in imported.rows:
        row_key = tuple(row[i] for i in positions)
        number = where.get(row_key) if any(row_key) else None
        if number is None:
            appended.append(_line(row))
            continue
        before = old_cells[number]
        after = [value if name in imported.present or index >= len(before) else before[index]
                 for index, (name, value) in enumerate(zip(imported.fields, row))]
        if after == before:
            unchanged += 1
        else:
            replaced += 1
            out[number] = _line(after)
    if appended and out and not out[-1].endswith("\n"):
        out[-1] += "\n"
    touched = replaced + unchanged
    return Merged("".join(out + appended), appended=len(appended), replaced=replaced, unchanged=unchanged,
                  untouched=len(records) - 1 - touched if records else 0)


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
