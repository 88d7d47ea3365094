"""Merging an import into a canonical CSV that already exists (`ledger import … --out EXISTING`).

A maintainer re-imports the whole ledger every month; the pull request must
show only what changed. So the existing file is never re-written: each of its
records keeps its bytes and its place. An imported row whose primary key is
already there takes that record's place (its bytes stay when nothing changed);
rows with a new key are appended in the order of the sheet. A column the sheet
does not have keeps the existing file's value, so a sheet without 办理情况
cannot wipe it out.

The existing file is cut into records by the csv module, the reader validation
falls back to, and read again by validation's own reader (pipeline/core/csv_read.py):
where the two do not see the same records, nothing is merged. The merged text
is read back the same way before anything is written, and must hold exactly
the records it was meant to hold: every record the import did not change, as it
was, and the imported rows. A merge that would lose or alter a single record is
refused, whatever the quoting of the existing file.

Nothing changes silently: the merge is a plan the command line shows before it
writes. Each existing record the import would change is listed with its fields
(old → new) and written only with ``--replace``; a new id that is close to an
existing one (case, zero-padding, one character) is a likely typo, refused unless
named with ``--new-id``; a record goes only when ``--remove`` names it.
"""

from __future__ import annotations

import bisect
import csv
import io
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from pipeline.core import findings as fd
from pipeline.core.csv_write import csv_text
from pipeline.contribute.importer import Imported, ImportFailed
from pipeline.contribute.typos import Suspect, likely_typos
from pipeline.validate.segments import record_ends
from pipeline.core.csv_read import TextTable, read_text_table

Row = tuple[str | None, ...]  # a record as validation reads it: a cell per field (None: missing), extra cells after


@dataclass(frozen=True)
class Record:
    raw: str  # the record's text, its line end included
    cells: list[str]  # as the csv module reads it ([] for an empty line)


@dataclass(frozen=True)
class Change:
    """An existing record the import would change: which fields, from what to what."""
    key: tuple[str, ...]
    sheet_row: int  # the imported row, as the sheet numbers it
    file_row: int  # the record in the existing file (header = 1)
    fields: tuple[tuple[str, str, str], ...]  # (field, old value, new value)


@dataclass(frozen=True)
class Merged:
    text: str
    appended: int  # imported rows with a key the file did not have
    replaced: int  # existing rows the import changed
    unchanged: int  # existing rows the import repeated exactly
    untouched: int  # existing rows the import did not mention (and --remove did not name)
    changes: tuple[Change, ...] = ()  # what ``replaced`` counts, field by field
    removed: int = 0  # records --remove named, taken out
    suspects: tuple[Suspect, ...] = ()  # appended ids close to an existing one


class RemoveRefused(Exception):
    """--remove names a record the file does not hold, or one the import also brings; the message says which."""


def split_records(text: str) -> list[Record]:
    """The records of a CSV text with the raw text of each, read by the csv module.

    The reader takes one physical line at a time (a line ends at LF, CRLF or a lone CR, as
    the csv module and pyarrow both see it) and counts them, so the lines it took for a
    record are that record's text: a quoted cell may span lines, a quote inside an unquoted
    cell is text. Raises csv.Error (a cell over the csv module's size limit).
    """
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines)
    records = []
    taken = 0
    for cells in reader:
        records.append(Record("".join(lines[taken:reader.line_num]), cells))
        taken = reader.line_num
    return records


def read_back(text: str, names: list[str]) -> list[Row]:
    """Every record after the header as validation reads it (pipeline/core/csv_read.py)."""
    return _rows(_read(text, names), names)


def _read(text: str, names: list[str]) -> TextTable:
    return read_text_table(text.encode("utf-8"), names, header=True)


def _rows(table: TextTable, names: list[str], indices: list[int] | None = None) -> list[Row]:
    frame = table.frame if indices is None else table.frame.take(indices)
    numbers = range(table.records) if indices is None else indices
    rows = list(zip(*(frame[name].tolist() for name in names)))
    for position, index in enumerate(numbers):
        if index in table.short_rows or index in table.blank_lines:  # only these lack cells (NaN in the frame)
            rows[position] = _plain(tuple(None if cell != cell else cell for cell in rows[position]))
        if index in table.extra_cells:
            rows[position] += tuple(table.extra_cells[index])
    return rows


def _as_read(cells: list[str], width: int) -> Row:
    if len(cells) == width:
        return tuple(cells)
    return _plain(tuple(cells[:width]) + (None,) * (width - len(cells)) + tuple(cells[width:]))


def _plain(row: Row) -> Row:
    # An empty line is all-missing for the csv module and all-empty for pyarrow: the same record.
    return tuple("" for _ in row) if all(cell is None for cell in row) else row


def _line(values: list[str]) -> str:
    return csv_text(values, [])  # one canonical record, "\n"-terminated


def merge(existing: bytes, imported: Imported, key: list[str], *, path: str, source: str,
          resource: str, remove: Collection[tuple[str, ...]] = ()) -> Merged:
    """The existing file (``path``) with the import of ``source`` merged in, or ImportFailed saying why not.

    ``remove``: keys of records to take out (all records with that key). The caller decides
    whether ``changes`` and ``suspects`` may be written (`ledger import --replace`, `--new-id`).
    """

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
    body = records[1:]
    old = _read(text, imported.fields)
    disagreement = _disagreement(existing, body, old, imported.fields)
    if disagreement is not None:
        raise refuse(f"第 {disagreement + 2} 行的引号不规范，不同的 CSV 读取方式读出的记录不一致；"
                     "请先在文本编辑器中改正这一行的引号")
    positions = [imported.fields.index(name) for name in key]

    # --- Check the import: a key may appear once ---
    _check_unique(imported, positions, source, resource)

    # --- Replace in place, take out what --remove names, append the rest ---
    holders: dict[tuple[str, ...], list[int]] = {}  # key → the records holding it (the first is replaced)
    for number, record in enumerate(body):
        cells = record.cells
        row_key = tuple(cells[i] if i < len(cells) else "" for i in positions)
        if any(row_key):
            found = holders.get(row_key)
            if found is None:
                holders[row_key] = [number]
            else:
                found.append(number)
    gone = _removed(remove, holders, {tuple(row[i] for i in positions) for row in imported.rows}, key)
    remaining = len(body) - len(gone)
    place = _Places(gone)  # record index → index after the removals
    out = [record.raw for record in records]
    for number in gone:
        out[number + 1] = ""
    changes: dict[int, Row] = {}  # index after removals → what it must read back as (past the end: appended)
    listed: list[Change] = []
    appended: list[str] = []
    new_keys: list[tuple[str, int]] = []
    unchanged = 0
    starts = _LineStarts(records)
    for position, row in enumerate(imported.rows):
        row_key = tuple(row[i] for i in positions)
        number = holders[row_key][0] if row_key in holders else None
        if number is None:
            changes[remaining + len(appended)] = tuple(row)
            appended.append(_line(row))
            new_keys.append((row_key[0], imported.sheet_row(position)))
            continue
        before = body[number].cells
        after = [value if name in imported.present or index >= len(before) else before[index]
                 for index, (name, value) in enumerate(zip(imported.fields, row))]
        if after == before:
            unchanged += 1
        else:
            out[number + 1] = _line(after)
            changes[place.of(number)] = tuple(after)
            listed.append(Change(row_key, imported.sheet_row(position), starts.line(number + 1),
                                 tuple((name, old_value, new_value) for name, old_value, new_value
                                       in zip(imported.fields, _padded(before, len(after)), after)
                                       if old_value != new_value)))
    merged = "".join(out)
    if appended and merged and not merged.endswith(("\n", "\r")):
        merged += "\n"
    merged += "".join(appended)

    # --- Read the result back: exactly the records meant, or nothing is written ---
    lost = _first_loss(old, _read(merged, imported.fields), changes, imported.fields, gone)
    if lost is not None:
        raise refuse(f"合并后重新读取，第 {lost + 2} 行与应有的内容不同（已有文件的引号可能没有闭合），"
                     "为免丢失或改动记录，没有合并")
    suspects = []
    if len(positions) == 1 and new_keys:
        suspects = likely_typos(new_keys, [row_key[0] for row_key, numbers in holders.items()
                                           if not gone.issuperset(numbers)])
    return Merged(merged, appended=len(appended), replaced=len(listed), unchanged=unchanged,
                  untouched=remaining - len(listed) - unchanged, changes=tuple(listed), removed=len(gone),
                  suspects=tuple(suspects))


def _padded(cells: list[str], width: int) -> list[str]:
    return cells + [""] * (width - len(cells))


class _Places:
    """A record's index once the records ``gone`` are taken out."""

    def __init__(self, gone: set[int]):
        self.gone = sorted(gone)

    def of(self, number: int) -> int:
        return number - bisect.bisect_left(self.gone, number)


class _LineStarts:
    """The line of the existing file where each record starts (the header is line 1), counted once."""

    def __init__(self, records: list[Record]):
        self.records = records
        self.starts: list[int] | None = None

    def line(self, index: int) -> int:
        if self.starts is None:
            self.starts, line = [], 1
            for record in self.records:
                self.starts.append(line)
                raw = record.raw  # its lines, as io.StringIO(raw, newline="").readlines() counts them
                line += raw.count("\n") + raw.count("\r") - raw.count("\r\n") + (not raw.endswith(("\n", "\r")))
        return self.starts[index]


def _removed(remove: Collection[tuple[str, ...]], holders: dict[tuple[str, ...], list[int]],
             imported: set[tuple[str, ...]], key: list[str]) -> set[int]:
    """Indices of the records --remove names; RemoveRefused when one is not in the file or is also imported."""
    gone: set[int] = set()
    for row_key in remove:
        shown = "|".join(row_key)
        if len(row_key) != len(key):
            raise RemoveRefused(f"--remove {shown}：主键是 {'、'.join(key)} 共 {len(key)} 项，请用“|”隔开写全")
        if row_key in imported:
            raise RemoveRefused(f"--remove {shown}：这条记录也在导入的表格中，不能同时新增或修改又删除")
        if row_key not in holders:
            raise RemoveRefused(f"--remove {shown}：已有文件中没有这条记录（编号须与文件中的完全一致）")
        gone.update(holders[row_key])
    return gone


def _disagreement(data: bytes, body: list[Record], table: TextTable, names: list[str]) -> int | None:
    """The first record the csv module and validation's reader see differently, or None.

    Where every quote is regular RFC 4180 quoting and every line ends in LF or CRLF
    (segments.record_ends), the two readers are the same reader: only their counts are compared.
    """
    if record_ends(data) is not None and b"\x00" not in data:
        return None if len(body) == table.records else min(len(body), table.records)
    width = len(names)
    return _first_difference(_rows(table, names), [_as_read(record.cells, width) for record in body])


def _first_loss(old: TextTable, new: TextTable, changes: dict[int, Row], names: list[str],
                gone: Collection[int] = ()) -> int | None:
    """The first record of ``new`` that is not the record of ``old`` at its place (after the
    records in ``gone`` are taken out), or ``changes`` there.

    Column by column in arrow where both files read cleanly; record by record otherwise.
    """
    kept = [index for index in range(old.records) if index not in gone] if gone else None
    count = old.records if kept is None else len(kept)
    total = count + sum(1 for index in changes if index >= count)
    irregular = any(t.short_rows or t.extra_cells or t.blank_lines for t in (old, new))
    if irregular:
        rows = _rows(old, names)
        want = (rows if kept is None else [rows[index] for index in kept]) + [None] * (total - count)
        for index, row in changes.items():
            want[index] = row
        return _first_difference(_rows(new, names), want)
    shared = min(count, new.records)
    differs = np.zeros(shared, dtype=bool)
    for name in names:
        column = old.frame[name] if kept is None else old.frame[name].take(kept)
        before = column.iloc[:shared].reset_index(drop=True)
        after = new.frame[name].iloc[:shared].reset_index(drop=True)
        differs |= (before != after).to_numpy(dtype=bool)
    bad = {int(index) for index in np.flatnonzero(differs)} - changes.keys()
    present = sorted(index for index in changes if index < new.records)
    bad |= {index for index, row in zip(present, _rows(new, names, present)) if row != changes[index]}
    if new.records != total:
        bad.add(min(new.records, total))
    return min(bad) if bad else None


def _first_difference(have: list[Row], want: list[Row]) -> int | None:
    """Index of the first record that differs (or is missing from one side), None when all agree."""
    if have == want:
        return None
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


# --- what the command line shows ------------------------------------------------------------------

def describe_changes(merged: Merged, fields: list[dict], out: object, source: str) -> str:
    """Each existing record the import would change, field by field (old → new), in the clerk's terms."""
    titles = {f["name"]: f.get("title") or f["name"] for f in fields}
    lines = [f"导入会修改 {out} 中的 {len(merged.changes)} 条已有记录："]
    for change in merged.changes:
        lines.append(f"  {'|'.join(change.key)}（{source} 第 {change.sheet_row} 行 → {out} 第 {change.file_row} 行）：")
        for name, old, new in change.fields:
            lines.append(f"    {titles.get(name, name)}（{name}）：{_shown(old)} → {_shown(new)}")
    return "\n".join(lines) + "\n"


def _shown(value: str) -> str:
    return "（空）" if value == "" else f"“{value}”"


def typo_findings(merged: Merged, imported: Imported, resource: str, allowed: Collection[str]) -> list[fd.Finding]:
    """A finding for each new id close to an existing one, unless --new-id names it."""
    key = imported.key[0] if imported.key else imported.fields[0]
    return [fd.make("likely-id-typo", path=imported.where or "表格", row=s.sheet_row, field=key, resource=resource,
                    value=s.key, existing=s.existing, why=s.why,
                    column=imported.cell(key, s.sheet_row - imported.header_row - 1))
            for s in merged.suspects if s.key not in allowed]
