"""`ledger import`: an Excel sheet or a CSV export → the canonical CSV of a resource.

Maintainers export "CSV" from Excel in GB18030, type dates as 2024/1/5 and
write 已办结 instead of ``resolved``. This reads all of that, and reports by
Excel row number and column whatever it cannot convert. All or nothing: a
file with any problem writes nothing, so no row is ever lost or half-converted.

Importing onto a file that already exists merges instead (pipeline/contribute/merge.py).

Findings speak the clerk's terms: the workbook and sheet, the row as Excel numbers it,
the column by its header (“牵头部门”列 H5) and the record's id. A title row or a
merged group header above the header row is skipped (and said so); a department or
place typed by its name is converted to its code (pipeline/contribute/names.py).
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from openpyxl.utils.cell import get_column_letter

from pipeline.core import findings as fd
from pipeline.core.csv_write import csv_text
from pipeline.core.package import DataPackage
from pipeline.contribute import names as nm
from pipeline.contribute.cells import _NON_ASCII, _cell_text, _Converter, convert_date, convert_month, fold
from pipeline.contribute.sheets import Sheet, Unreadable, read_workbook, web_page

__all__ = ["ImportFailed", "Imported", "convert_date", "convert_month", "decode", "fold", "import_file",
           "import_table", "read_sheet"]


class ImportFailed(Exception):
    def __init__(self, findings: list[fd.Finding]):
        super().__init__(f"{len(findings)} problems")
        self.findings = findings


def decode(raw: bytes) -> str:
    """Text of a CSV export: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030.

    Raises UnicodeDecodeError (whose ``object`` and ``start`` locate the bad byte) when
    the bytes are none of these. A file that is UTF-8 except for a few damaged bytes is
    reported at the first of them, not read as GB18030: that would turn every Chinese
    character of the file into a wrong one without any error.
    """
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[len(codecs.BOM_UTF8):].decode("utf-8")
        except UnicodeDecodeError as exc:  # keep the positions those of the file, BOM included
            bom = len(codecs.BOM_UTF8)
            raise UnicodeDecodeError("utf-8", raw, exc.start + bom, exc.end + bom, exc.reason) from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        good, bad = _utf8_counts(raw)
        if good >= 4 * bad:  # UTF-8 with a few damaged bytes: never read it as GB18030
            raise
        try:
            return raw.decode("gb18030")  # a superset of GBK and GB2312; raises on truly broken bytes
        except UnicodeDecodeError:
            if good > bad:  # neither: name the byte where the likelier encoding broke
                raise utf8_error from None
            raise


def _utf8_counts(raw: bytes) -> tuple[int, int]:
    """(non-ASCII characters that decode as UTF-8, byte runs that do not).

    GBK/GB18030 text read as UTF-8 fails on nearly every Chinese character (about four
    failures to one accidental success on real ledgers); UTF-8 with a stray byte decodes
    everywhere but there.
    """
    text = raw.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    return len(_NON_ASCII.findall(text)) - bad, bad


def _undecodable_row(exc: UnicodeDecodeError) -> int:
    """Line number (1 = the header) of the first byte that could not be decoded."""
    before = exc.object[:exc.start]
    encoding = "utf-16" if before.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else exc.encoding
    try:
        text = before.decode(encoding, errors="replace")
    except LookupError:
        text = before.decode("latin-1")
    return text.count("\n") + 1


ZIP_MAGIC = b"PK\x03\x04"  # .xlsx (and .ods, .docx …) are ZIP archives
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, WPS .et: a format openpyxl cannot read
# A workbook saved with a password to open is an OLE2 file holding the encrypted ZIP in a stream of this
# name (ECMA-376 encryption, Excel and WPS alike): saving it again as .xlsx would not help, removing the
# password does.
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
PASSWORD_PROTECTED = ("这个工作簿设置了打开密码（已加密），不能读取：请在 Excel 或 WPS 中用密码打开它，"
                      "取消密码（Excel：文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码；WPS：文件 → 文档加密 → 密码加密，清空密码），"
                      "保存后重试")
NOT_A_SHEET = {b"%PDF": "这是 PDF 文件，不是表格", b"\x89PNG": "这是图片，不是表格", b"\xff\xd8\xff": "这是图片，不是表格"}


def read_sheet(source: Path) -> Sheet:
    """Every row of the workbook's data sheet (pipeline/contribute/sheets.py) or of the CSV/TSV, header first.

    The bytes decide, not the name: an .xlsx renamed to .csv is still read as a workbook,
    and a web page saved as .xls is named as such.
    """
    raw = source.read_bytes()
    if raw.startswith(OLE2_MAGIC) and ENCRYPTED_PACKAGE in raw:
        raise Unreadable(PASSWORD_PROTECTED)
    if raw.startswith(OLE2_MAGIC):
        raise Unreadable("这是旧版 Excel（.xls）或 WPS 表格（.et）文件，不能直接读取")
    for magic, why in NOT_A_SHEET.items():
        if raw.startswith(magic):
            raise Unreadable(why)
    why = web_page(raw)
    if why:
        raise Unreadable(why)
    if raw.startswith(ZIP_MAGIC) or source.suffix.lower() in (".xlsx", ".xlsm"):
        return read_workbook(raw)
    if b"\x00" in raw and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise Unreadable("含有二进制内容，不是 CSV 文本文件")
    text = decode(raw)
    dialect = "excel-tab" if text.split("\n", 1)[0].count("\t") > text.split("\n", 1)[0].count(",") else "excel"
    try:
        return Sheet([list(row) for row in csv.reader(io.StringIO(text, newline=""), dialect=dialect)])
    except csv.Error as exc:  # e.g. a quote left open: not a sheet any tool can read back
        raise Unreadable(f"不是 CSV 文本文件（{exc}）") from None


@dataclass(frozen=True)
class Imported:
    """The canonical rows of an import, and which fields the sheet had a column for."""
    fields: list[str]
    present: frozenset[str]
    rows: list[list[str]]  # row i came from the sheet's row header_row + 1 + i
    sheet: str | None = None  # the worksheet read, for a workbook
    header_row: int = 1  # the sheet's header row (below any title rows), as Excel numbers it
    where: str = ""  # the workbook and sheet, as findings name them: 问题台账.xlsx（工作表“问题”）
    columns: tuple[tuple[str, int, str], ...] = ()  # (field, column number, header as the sheet shows it)
    notes: tuple[str, ...] = ()  # what the import did that the clerk should know (names → codes, title rows)
    key: tuple[str, ...] = ()  # the resource's primary key

    def column(self, field: str) -> str:
        """A field's column as the clerk knows it: “问题编号”列 (or the field's name)."""
        for name, _, label in self.columns:
            if name == field:
                return f"“{label}”列"
        return f"字段 {field}"

    def cell(self, field: str, index: int) -> str:
        """Where row ``index``'s value of ``field`` is in the sheet: “问题编号”列 A5 (or the field's name)."""
        for name, column, label in self.columns:
            if name == field:
                return f"“{label}”列 {get_column_letter(column)}{self.sheet_row(index)}"
        return f"字段 {field}"

    def sheet_row(self, index: int) -> int:
        """Row ``index`` of ``rows`` as the sheet numbers it (Excel's numbers: the header row counted)."""
        return self.header_row + 1 + index

    def csv(self) -> str:
        return csv_text(self.fields, self.rows)


def import_file(source: Path, package: DataPackage, resource: str) -> tuple[str, int]:
    """(canonical CSV text, row count) or ImportFailed with a finding per problem."""
    table = import_table(source, package, resource)
    return table.csv(), len(table.rows)


def import_table(source: Path, package: DataPackage, resource: str) -> Imported:
    fields = package.fields(resource)
    try:
        sheet = read_sheet(source)
    except UnicodeDecodeError as exc:
        bad = exc.object[exc.start:min(exc.end, exc.start + 4)].hex(" ").upper()
        encoding = {"utf-8": "UTF-8", "gb18030": "GB18030"}.get(exc.encoding, "UTF-16")
        raise ImportFailed([fd.make("import-encoding-error", path=source.name, row=_undecodable_row(exc),
                                    resource=resource, value=bad,
                                    detail=f"第 {exc.start + 1} 个字节 {bad}，按 {encoding} 无法解码")]) from None
    except Unreadable as exc:
        raise ImportFailed([fd.make("unreadable-file", path=source.name, resource=resource, detail=str(exc))]) from None
    except OSError as exc:
        raise ImportFailed([fd.make("unreadable-file", path=source.name, resource=resource,
                                    detail=f"{exc.strerror or exc}")]) from None
    where = source.name if sheet.name is None else f"{source.name}（工作表“{sheet.name}”）"  # rows count in this sheet
    if not any(_cell_text(v).strip() for row in sheet.rows for v in row) and not sheet.uncalculated:
        raise ImportFailed([fd.make("empty-file", path=where, row=1, resource=resource)])
    refs = {}
    tables = nm.lookups(package)
    for f in fields:
        table = nm.reference(package, resource, f["name"], f.get("type", "string"))
        if table in tables:
            refs[f["name"]] = tables[table]
    converter = _Converter(fields, sheet.epoch, refs)

    # --- Find the header row: a title row or a merged group header may stand above it ---
    top = _header_index(sheet.rows, converter)
    if top and _header_above(sheet.rows, top, converter):
        raise ImportFailed([fd.make("title-rows", path=where, row=top + 1, resource=resource, rows=_span(1, top))])
    notes = [f"表头在第 {top + 1} 行：已跳过表头上方的第 {_span(1, top)} 行（标题行）。"] if top else []
    across = sheet.fill_merged(top + 1)
    rows = sheet.rows[top:]
    header = rows[0] if rows else []
    mapping = [converter.header(label) for label in header]
    titles = {f["name"]: f.get("title") or f["name"] for f in fields}
    columns = tuple((name, column, _label(label, titles[name]))
                    for column, (label, name) in enumerate(zip(header, mapping), start=1) if name)
    key = _primary_key(package, resource)
    layout = Imported([f["name"] for f in fields], frozenset(), [], sheet.name, top + 1, where, columns, (), key)

    # --- Read and convert every cell ---
    problems: list[fd.Finding] = []
    problems += _sheet_problems(sheet, across, mapping, layout, resource, top + 1)
    seen: set[str] = set()
    for column, (label, name) in enumerate(zip(header, mapping), start=1):
        if name in seen:
            problems.append(_prefixed(fd.make("duplicate-label", path=where, row=top + 1, resource=resource,
                                              value=_cell_text(label), column=column),
                                      f"{get_column_letter(column)}{top + 1} 格"))
            mapping[column - 1] = None  # its cells are not read: which of the two would win is a guess
        elif name is not None:
            seen.add(name)
        elif _cell_text(label).strip():
            problems.append(_prefixed(fd.make("extra-label", path=where, row=top + 1, resource=resource,
                                              value=_cell_text(label), column=column),
                                      f"{get_column_letter(column)}{top + 1} 格"))
        elif any(column - 1 < len(row) and _cell_text(row[column - 1]).strip() for row in rows[1:]):
            problems.append(_prefixed(fd.make("blank-label", path=where, row=top + 1, resource=resource,
                                              column=column), f"{get_column_letter(column)}{top + 1} 格"))
    for f in fields:
        if f["name"] not in mapping and f.get("constraints", {}).get("required"):
            problems.append(_prefixed(fd.make("missing-label", path=where, row=top + 1, resource=resource,
                                              field=f["name"]), f"“{titles[f['name']]}”"))
    out_rows = list(_convert_rows(rows[1:], mapping, fields, converter, layout, resource, problems))
    if not problems:
        problems += _repeated_keys(out_rows, key, layout, resource)
    if problems:
        raise ImportFailed(problems)
    notes += [f"已把 {name} 换成代码 {code}（{layout.column(field)}，第 {_rows_text(rows_at)} 行）。"
              for (field, name, code), rows_at in converter.renamed.items()]
    return dataclasses.replace(layout, present=frozenset(name for name in mapping if name), rows=out_rows,
                               notes=tuple(notes))


def _prefixed(finding: fd.Finding, where: str) -> fd.Finding:
    """A finding of a check validation shares, with where it is in the clerk's sheet put first."""
    return dataclasses.replace(finding, message_zh=f"{where}：{finding.message_zh}")


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"


def _rows_text(rows: list[int], shown: int = 10) -> str:
    text = "、".join(str(r) for r in rows[:shown])
    return text if len(rows) <= shown else f"{text} 等 {len(rows)} 行"


def _label(header: object, title: str) -> str:
    """A column as the clerk knows it: its header when that is Chinese, else the field's title."""
    text = _cell_text(header).strip()
    return text if _NON_ASCII.search(text) else f"{title}（{text}）"


def _primary_key(package: DataPackage, resource: str) -> tuple[str, ...]:
    key = package.resource(resource)["schema"].get("primaryKey") or []
    return (key,) if isinstance(key, str) else tuple(key)


HEADER_SEARCH = 10  # rows searched for the header when the first row is a title


def _header_index(rows: list[list[object]], converter: _Converter) -> int:
    """The index of the header row: the first row unless a later one (of the first ten) names more fields."""
    def named(row: list[object]) -> int:
        return len({converter.header(v) for v in row} - {None})

    scores = [named(row) for row in rows[:HEADER_SEARCH]]
    if not scores:
        return 0
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    return best if scores[best] >= 2 and scores[best] > 2 * scores[0] else 0


def _header_above(rows: list[list[object]], top: int, converter: _Converter) -> bool:
    """Whether a column's header stands above the header row (a two-level header: 问题编号 merged down
    two rows beside 基本信息 over its columns), rather than only titles and group names above it."""
    header = rows[top]
    for row in rows[:top]:
        for column, value in enumerate(row):
            blank_below = column >= len(header) or not _cell_text(header[column]).strip()
            if blank_below and converter.header(value):
                return True
    return False


def _sheet_problems(sheet: Sheet, across, mapping, layout: Imported, resource: str,
                    header_row: int) -> list[fd.Finding]:
    """Cells of a workbook whose value cannot be known: formulas saved without a result, merged ranges
    that span columns or the header."""
    labels = {column: label for _, column, label in layout.columns}

    def field_at(column: int) -> str | None:
        return mapping[column - 1] if column <= len(mapping) else None

    def which(column: int, row: int) -> str:
        parts = [f"“{labels[column]}”列"] if column in labels else []
        parts += [f"字段 {field_at(column)}"] if field_at(column) else []
        record = _record(sheet.rows[row - 1], layout) if layout.header_row < row <= len(sheet.rows) else ""
        parts += [record] if record else []
        return f"（{'，'.join(parts)}）" if parts else ""

    problems = []
    for row, column in sheet.uncalculated:
        if row < header_row:
            continue  # a title row: nothing is read from it
        problems.append(fd.make("formula-without-value", path=layout.where, row=row, field=field_at(column),
                                resource=resource, value=sheet.cell(row, column), where=which(column, row)))
    for bounds in across:
        min_col, min_row = bounds[:2]
        problems.append(fd.make("merged-cells", path=layout.where, row=min_row, field=field_at(min_col),
                                resource=resource, value=sheet.range(*bounds), where=which(min_col, min_row)))
    return problems


def _record(cells: list[object], layout: Imported) -> str:
    """The record's id as its row of the sheet shows it: 问题编号 Q-2026-00005, or ""."""
    parts = []
    for name, column, label in layout.columns:
        if name in layout.key and column <= len(cells) and _cell_text(cells[column - 1]).strip():
            parts.append(f"{label.split('（')[0]} {fold(_cell_text(cells[column - 1]))}")
    return "，".join(parts)


def _convert_rows(rows, mapping, fields, converter, layout: Imported, resource, problems) -> Iterator[list[str]]:
    spec = {f["name"]: f for f in fields}
    path = layout.where
    # Trailing blank rows (Excel leaves many) are dropped; blank rows in the middle are reported.
    last = len(rows)
    while last and all(_cell_text(v).strip() == "" for v in rows[last - 1]):
        last -= 1
    for offset, row in enumerate(rows[:last]):
        excel_row = layout.sheet_row(offset)
        converter.row = excel_row
        if all(_cell_text(v).strip() == "" for v in row):
            problems.append(fd.make("blank-row", path=path, row=excel_row, resource=resource))
            continue
        record = _record(row, layout)
        values = {name: "" for name in spec}
        failed = set()
        for column, value in enumerate(row):
            if column >= len(mapping):
                if _cell_text(value).strip():
                    finding = fd.make("extra-cell", path=path, row=excel_row, resource=resource,
                                      value=_cell_text(value), column=column + 1)
                    where = f"{get_column_letter(column + 1)}{excel_row} 格" + (f"（{record}）" if record else "")
                    problems.append(_prefixed(finding, where))
                continue
            name = mapping[column]
            if name is None:  # a column whose header is unknown, repeated or blank: reported on row 1
                continue
            text, reason = converter.cell(spec[name], value)
            if reason:
                failed.add(name)
                at = layout.cell(name, offset) + (f"（{record}）" if record and name not in layout.key else "")
                problems.append(fd.make("import-error", path=path, row=excel_row, field=name, resource=resource,
                                        value=_cell_text(value), reason=reason, column=at))
            else:
                values[name] = text
        for name in layout.key:
            if name in mapping and values[name] == "" and name not in failed:
                problems.append(fd.make("missing-id", path=path, row=excel_row, field=name, resource=resource,
                                        column=layout.cell(name, offset), title=spec[name].get("title") or name))
        yield [values[f["name"]] for f in fields]


def _repeated_keys(rows: list[list[str]], key: tuple[str, ...], layout: Imported,
                   resource: str) -> list[fd.Finding]:
    """Two rows of the sheet with one key: which one should win is a guess, so neither does."""
    if not key:
        return []
    positions = [layout.fields.index(name) for name in key]
    first: dict[tuple[str, ...], int] = {}
    problems = []
    for index, row in enumerate(rows):
        row_key = tuple(row[i] for i in positions)
        excel_row = layout.sheet_row(index)
        if row_key not in first:
            first[row_key] = excel_row
            continue
        at = layout.cell(key[0], index)
        if len(key) == 1:
            finding = fd.make("unique-error", path=layout.where, row=excel_row, field=key[0], resource=resource,
                              value=row_key[0], first_row=first[row_key])
        else:
            finding = fd.make("primary-key", path=layout.where, row=excel_row, field="、".join(key),
                              resource=resource, value="|".join(row_key), first_row=first[row_key])
        problems.append(_prefixed(finding, at))
    return problems
