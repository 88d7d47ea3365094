"""`ledger import`: an Excel sheet or a CSV export → the canonical CSV of a resource.

Maintainers export "CSV" from Excel in GB18030, type dates as 2024/1/5 and
write 已办结 instead of ``resolved``. This reads all of that, and reports by
Excel row number and column whatever it cannot convert. All or nothing: a
file with any problem writes nothing, so no row is ever lost or half-converted.

Importing onto a file that already exists merges instead (pipeline/contribute/merge.py).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.core import findings as fd
from pipeline.core.csv_write import csv_text
from pipeline.core.package import DataPackage
from pipeline.contribute.sheets import EXCEL_EPOCH, Sheet, Unreadable, read_workbook, web_page

DATE_FORMS = [
    re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:[ T]0?0:00(?::00)?)?"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
]
MONTH_FORMS = [re.compile(r"(?P<y>\d{4})[-/.年](?P<m>\d{1,2})月?")]
SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+\d+")
CODE_LIKE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._;/+-]*")  # 990121001003, Q-2026-00001, zrzyj;sthjj


class ImportFailed(Exception):
    def __init__(self, findings: list[fd.Finding]):
        super().__init__(f"{len(findings)} problems")
        self.findings = findings


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


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
NOT_A_SHEET = {b"%PDF": "这是 PDF 文件，不是表格", b"\x89PNG": "这是图片，不是表格", b"\xff\xd8\xff": "这是图片，不是表格"}


def read_sheet(source: Path) -> Sheet:
    """Every row of the workbook's data sheet (pipeline/contribute/sheets.py) or of the CSV/TSV, header first.

    The bytes decide, not the name: an .xlsx renamed to .csv is still read as a workbook,
    and a web page saved as .xls is named as such.
    """
    raw = source.read_bytes()
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


def fold(text: str) -> str:
    """Full-width digits, letters and punctuation → ASCII (NFKC), trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def convert_date(text: str, *, excel_serial: bool, epoch: dt.date = EXCEL_EPOCH) -> str | None:
    folded = fold(text)
    for form in DATE_FORMS:
        match = form.fullmatch(folded)
        if match:
            try:
                return dt.date(int(match["y"]), int(match["m"]), int(match["d"])).isoformat()
            except ValueError:
                return None
    if excel_serial and re.fullmatch(r"\d{5}(\.0+)?", folded):
        return (epoch + dt.timedelta(days=int(float(folded)))).isoformat()
    return None


def convert_month(text: str, epoch: dt.date = EXCEL_EPOCH) -> str | None:
    folded = fold(text)
    for form in MONTH_FORMS:
        match = form.fullmatch(folded)
        if match and 1 <= int(match["m"]) <= 12:
            return f"{int(match['y']):04d}-{int(match['m']):02d}"
    full = convert_date(text, excel_serial=True, epoch=epoch)
    return full[:7] if full else None


def _label_table(field: dict) -> dict[str, str]:
    """Folded Chinese label → code. A label with a note in brackets, 复杂问题（3个工作日）,
    is also known by its words before the brackets, 复杂问题, when no other label shares them."""
    table = {fold(str(c["label"])): str(c["value"]) for c in field.get("categories", [])}
    short: dict[str, list[str]] = {}
    for label, value in list(table.items()):
        words = re.sub(r"\(.*\)$", "", label).strip()
        if words and words != label:
            short.setdefault(words, []).append(value)
    for words, values in short.items():
        if len(values) == 1 and words not in table:
            table[words] = values[0]
    return table


class _Converter:
    """Per-field conversion of one resource, with the lookups built once."""

    def __init__(self, fields: list[dict], epoch: dt.date = EXCEL_EPOCH):
        self.fields = fields
        self.epoch = epoch  # day 0 of the sheet's serial dates
        self.by_header: dict[str, str] = {}
        for f in fields:
            self.by_header[f["name"]] = f["name"]
            self.by_header[fold(f["name"]).lower()] = f["name"]
            if f.get("title"):
                self.by_header[fold(f["title"])] = f["name"]
        self.labels = {f["name"]: _label_table(f) for f in fields}
        self.codes = {f["name"]: {str(v) for v in f.get("constraints", {}).get("enum", [])} for f in fields}

    def header(self, label: object) -> str | None:
        text = fold(_cell_text(label))
        return self.by_header.get(text) or self.by_header.get(text.lower())

    def cell(self, field: dict, value: object) -> tuple[str | None, str | None]:
        """(canonical text, None) or (None, reason in Chinese)."""
        name, ftype = field["name"], field.get("type", "string")
        text = _cell_text(value).strip()
        if text == "":
            return "", None
        if isinstance(value, (dt.date, dt.datetime)) and ftype in ("date", "yearmonth"):
            return (text[:10] if ftype == "date" else text[:7]), None
        if self.codes[name]:
            folded = fold(text)
            if folded in self.codes[name]:
                return folded, None
            if folded in self.labels[name]:
                return self.labels[name][folded], None
            allowed = "、".join(f"{c['value']}（{c['label']}）" for c in field.get("categories", []))
            return None, f"“{text}”不是可选值；可选值：{allowed}"
        if fold(text) in self.labels[name]:  # categories without an enum, e.g. rating 4 = 满意
            return self.labels[name][fold(text)], None
        if ftype == "date":
            converted = convert_date(text, excel_serial=not isinstance(value, str) or text.isdigit(), epoch=self.epoch)
            return (converted, None) if converted else (None, f"“{text}”不是可识别的日期；请写成 2026-03-05")
        if ftype == "yearmonth":
            converted = convert_month(text, self.epoch)
            return (converted, None) if converted else (None, f"“{text}”不是可识别的年月；请写成 2026-03")
        if ftype in ("integer", "number"):
            folded = fold(text).replace(",", "")
            if SCIENTIFIC.fullmatch(folded):
                return None, f"“{text}”是科学计数法，Excel 已把长数字截断，无法还原；请把该列设为文本后重新输入"
            pattern = r"[+-]?\d+" if ftype == "integer" else r"[+-]?(\d+(\.\d*)?|\.\d+)"
            return (folded, None) if re.fullmatch(pattern, folded) else (None, f"“{text}”不是{'整数' if ftype == 'integer' else '数字'}")
        if ftype == "boolean":
            folded = fold(text).lower()
            truth = {"true": "true", "是": "true", "1": "true", "false": "false", "否": "false", "0": "false"}
            return (truth[folded], None) if folded in truth else (None, f"“{text}”应为 是/否 或 true/false")
        pattern = field.get("constraints", {}).get("pattern")
        if SCIENTIFIC.fullmatch(fold(text)):  # no text is just "9.90121E+11": a code Excel turned into a number
            return None, f"“{text}”是科学计数法，Excel 已把编号截断，无法还原；请把该列设为文本后重新输入"
        if (pattern and ftype == "string") or CODE_LIKE.fullmatch(fold(text)):
            # Codes, ids and lists of codes typed in full-width characters become ASCII;
            # prose keeps its full-width digits and punctuation as written.
            text = fold(text)
        if pattern and ftype == "string":
            if re.fullmatch(r"\d+", text) and re.fullmatch(pattern, text) is None and pattern.startswith("^\\d{"):
                width = int(re.match(r"\^\\d\{(\d+)\}", pattern).group(1))
                if len(text) < width:
                    return None, f"“{text}”只有 {len(text)} 位，应为 {width} 位：Excel 可能去掉了开头的 0；请把该列设为文本"
        return text, None


@dataclass(frozen=True)
class Imported:
    """The canonical rows of an import, and which fields the sheet had a column for."""
    fields: list[str]
    present: frozenset[str]
    rows: list[list[str]]  # row i came from Excel row i + 2
    sheet: str | None = None  # the worksheet read, for a workbook

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
    rows = sheet.rows
    where = source.name if sheet.name is None else f"{source.name}（工作表“{sheet.name}”）"  # rows count in this sheet
    if not any(_cell_text(v).strip() for row in rows for v in row) and not sheet.uncalculated:
        raise ImportFailed([fd.make("empty-file", path=where, row=1, resource=resource)])
    converter = _Converter(fields, sheet.epoch)
    problems: list[fd.Finding] = []
    header = rows[0] if rows else []
    mapping = [converter.header(label) for label in header]
    problems += _sheet_problems(sheet, mapping, fields, where, resource)
    seen: set[str] = set()
    for column, (label, name) in enumerate(zip(header, mapping), start=1):
        if name in seen:
            problems.append(fd.make("duplicate-label", path=where, row=1, resource=resource,
                                    value=_cell_text(label), column=column))
            mapping[column - 1] = None  # its cells are not read: which of the two would win is a guess
        elif name is not None:
            seen.add(name)
        elif _cell_text(label).strip():
            problems.append(fd.make("extra-label", path=where, row=1, resource=resource,
                                    value=_cell_text(label), column=column))
        elif any(column - 1 < len(row) and _cell_text(row[column - 1]).strip() for row in rows[1:]):
            problems.append(fd.make("blank-label", path=where, row=1, resource=resource, column=column))
    for f in fields:
        if f["name"] not in mapping and f.get("constraints", {}).get("required"):
            problems.append(fd.make("missing-label", path=where, row=1, resource=resource, field=f["name"]))
    out_rows = list(_convert_rows(rows[1:], mapping, fields, converter, where, resource, problems))
    if problems:
        raise ImportFailed(problems)
    return Imported([f["name"] for f in fields], frozenset(name for name in mapping if name), out_rows, sheet.name)


def _sheet_problems(sheet: Sheet, mapping, fields, path: str, resource: str) -> list[fd.Finding]:
    """Cells of a workbook whose value cannot be known: formulas saved without a result, merged ranges
    that span columns or the header."""
    titles = {f["name"]: f.get("title") or f["name"] for f in fields}

    def field_at(column: int) -> str | None:
        return mapping[column - 1] if column <= len(mapping) else None

    def which(name: str | None) -> str:
        return f"（字段 {name}，{titles[name]}）" if name else ""

    problems = []
    for row, column in sheet.uncalculated:
        name = field_at(column)
        problems.append(fd.make("formula-without-value", path=path, row=row, field=name, resource=resource,
                                value=sheet.cell(row, column), where=which(name)))
    for bounds in sheet.merged_across:
        min_col, min_row = bounds[:2]
        name = field_at(min_col)
        problems.append(fd.make("merged-cells", path=path, row=min_row, field=name, resource=resource,
                                value=sheet.range(*bounds), where=which(name)))
    return problems


def _convert_rows(rows, mapping, fields, converter, path, resource, problems) -> Iterator[list[str]]:
    spec = {f["name"]: f for f in fields}
    # Trailing blank rows (Excel leaves many) are dropped; blank rows in the middle are reported.
    last = len(rows)
    while last and all(_cell_text(v).strip() == "" for v in rows[last - 1]):
        last -= 1
    for offset, row in enumerate(rows[:last]):
        excel_row = offset + 2
        if all(_cell_text(v).strip() == "" for v in row):
            problems.append(fd.make("blank-row", path=path, row=excel_row, resource=resource))
            continue
        values = {name: "" for name in spec}
        for column, value in enumerate(row):
            if column >= len(mapping):
                if _cell_text(value).strip():
                    problems.append(fd.make("extra-cell", path=path, row=excel_row, resource=resource,
                                            value=_cell_text(value), column=column + 1))
                continue
            name = mapping[column]
            if name is None:  # a column whose header is unknown, repeated or blank: reported on row 1
                continue
            text, reason = converter.cell(spec[name], value)
            if reason:
                problems.append(fd.make("import-error", path=path, row=excel_row, field=name, resource=resource,
                                        value=_cell_text(value), reason=reason))
            else:
                values[name] = text
        yield [values[f["name"]] for f in fields]
