"""Template workbooks: an empty Excel sheet per resource, ready to fill and to `ledger import`.

The headers are the schema's Chinese field titles, which the importer reads
back; code columns are text, so Excel cannot turn 990121001003 into
9.90121E+11 or drop a leading 0; date columns show 2026-03-05 whatever the
maintainer types; enum columns have drop-down lists of the Chinese labels; a
说明 sheet explains every field. Every cell is text, never a formula, whatever
the schema's words start with (= + - @). The bytes depend only on the schema and the
package's as_of, so two builds give the same file.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

from pipeline.core.dictionary import DictionaryRow, dictionary_rows
from pipeline.core.package import DataPackage, resource_paths

README = "说明"
LISTS = "可选值"
LAST_ROW = 1_048_576  # Excel's last row: drop-downs and formats cover the whole column
BOOLEAN_LABELS = ("是", "否")  # the importer also reads true/false and 1/0
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "integer": "0", "string": "@", "list": "@", "yearmonth": "@"}
# Patterns in words a maintainer can follow; any other pattern is shown as it is.
PATTERN_WORDS = {
    r"^\d{12}$": "12 位数字（统计用区划代码）",
    r"^[A-Za-z0-9][A-Za-z0-9._-]{2,39}$": "3–40 个字母、数字、点、横线或下划线，以字母或数字开头",
    r"^[a-z0-9][a-z0-9_-]{1,39}$": "2–40 个小写字母、数字、横线或下划线，以字母或数字开头",
    r"^[A-Z]{2,6}-\d{2,6}$": "2–6 个大写字母、横线、2–6 位数字（化名代码）",
}
HEADER_FILL = PatternFill("solid", fgColor="FCE4D6")
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def _choices(row: DictionaryRow) -> tuple[str, ...]:
    if row.categories:
        return tuple(label for _, label in row.categories)
    return BOOLEAN_LABELS if row.type == "boolean" else ()


def _format_words(row: DictionaryRow) -> str:
    if row.categories or row.type == "boolean":
        parts = ["从下拉列表中选择"]
    else:
        parts = [row.type_label]
    for constraint in row.constraints:
        if constraint == "必填":
            continue
        if constraint.startswith("格式 "):
            constraint = PATTERN_WORDS.get(constraint[3:], constraint)
        parts.append(constraint)
    return "；".join(parts)


def _example(row: DictionaryRow) -> str:
    labels = dict(row.categories)
    if row.type == "boolean":
        return {"true": "是", "false": "否"}.get(row.example, row.example)
    return labels.get(row.example, row.example)


def readme_rows(package: DataPackage, resource: str, sheet: str) -> list[list[str]]:
    res = package.resource(resource)
    title = res.get("title") or resource
    target = resource_paths(res)[-1]
    return [
        [f"{title}（{resource}）填写说明"],
        [f"在第一个工作表“{sheet}”中每行填写一条记录；第一行是表头，不要修改、删除或调换。"],
        ["日期可以写成 2026-03-05、2026/3/5 或 2026年3月5日；有下拉箭头的列请从列表中选择；"
         "编号和代码列已设为文本，开头的 0 不会丢失。"],
        ["不要填写姓名、身份证号码、手机号码等个人信息。"],
        [f"填好后转换为标准 CSV：ledger import 本文件.xlsx --resource {resource} --out data/{target}"],
        [],
        ["中文名", "字段名", "是否必填", "格式", "可选值", "说明", "示例"],
    ] + [[row.title, row.name, "必填" if row.required else "选填", _format_words(row), "、".join(_choices(row)),
          row.description, _example(row)] for row in dictionary_rows(package, resource)]


def sheet_title(package: DataPackage, resource: str) -> str:
    title = package.resource(resource).get("title") or resource
    return SHEET_NAME_BAD.sub("_", title)[:31]


def build_workbook(package: DataPackage, resource: str) -> Workbook:
    rows = dictionary_rows(package, resource)
    book = Workbook()
    data = book.active
    data.title = sheet_title(package, resource)
    readme = book.create_sheet(README)
    lists = book.create_sheet(LISTS)
    bold = Font(bold=True)

    # --- The data sheet: headers, column formats, drop-downs and prompts ---
    data.append([row.title for row in rows])
    data.freeze_panes = "A2"
    list_column = 0
    for index, row in enumerate(rows, start=1):
        letter = get_column_letter(index)
        header = data.cell(row=1, column=index)
        header.font = bold
        header.fill = HEADER_FILL
        dimension = data.column_dimensions[letter]
        dimension.width = max(12, min(40, 2 * len(row.title) + 4))
        dimension.number_format = NUMBER_FORMATS.get(row.type, "General")
        choices = _choices(row)
        if choices:
            list_column += 1
            source = _write_list(lists, list_column, row.title, choices)
            rule = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=True,
                                  errorStyle="warning" if row.type in ("integer", "number") else "stop",
                                  errorTitle="不是可选值", error=f"请从下拉列表中选择{row.title}。")
        else:
            rule = DataValidation(allow_blank=True)
        rule.showInputMessage = True
        rule.promptTitle = row.title[:32]
        rule.prompt = _prompt(row)[:255]
        rule.add(f"{letter}2:{letter}{LAST_ROW}")
        data.add_data_validation(rule)

    # --- 说明: what every column means ---
    for line in readme_rows(package, resource, data.title):
        readme.append(line)
    readme["A1"].font = Font(bold=True, size=14)
    header_row = 7
    for cell in readme[header_row]:
        cell.font = bold
        cell.fill = HEADER_FILL
    for letter, width in zip("ABCDEFG", (16, 18, 10, 36, 40, 50, 22)):
        readme.column_dimensions[letter].width = width
    for line in readme.iter_rows(min_row=header_row + 1):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    lists.protection.sheet = True  # the drop-downs read these cells: edit the schema, not the sheet
    as_text(book)
    return book


def as_text(book: Workbook) -> None:
    """Every cell is text: the schema's words never become a formula, whatever they start with.

    openpyxl makes any string starting with "=" a formula; a title or description like
    '=HYPERLINK(…)' (from a changed standard) would then run in the maintainer's Excel.
    A template has no formula of its own (drop-downs refer to 可选值 by data validation).
    """
    for sheet in book.worksheets:
        for line in sheet.iter_rows():
            for cell in line:
                if cell.data_type == "f":
                    cell.data_type = "s"


def _write_list(sheet, column: int, title: str, choices: tuple[str, ...]) -> str:
    letter = get_column_letter(column)
    sheet.cell(row=1, column=column, value=title).font = Font(bold=True)
    sheet.column_dimensions[letter].width = max(12, 2 * max(len(c) for c in choices) + 2)
    for offset, choice in enumerate(choices, start=2):
        sheet.cell(row=offset, column=column, value=choice)
    return f"{quote_sheetname(LISTS)}!${letter}$2:${letter}${len(choices) + 1}"


def _prompt(row: DictionaryRow) -> str:
    need = "必填" if row.required else "选填"
    example = _example(row)
    return f"{need}。{row.description}" + (f" 例：{example}" if example else "")


def template_bytes(package: DataPackage, resource: str) -> bytes:
    """The workbook's bytes: no clock anywhere, timestamps from as_of."""
    book = build_workbook(package, resource)
    stamp = dt.datetime.combine(package.as_of, dt.time())
    book.properties.creator = "阳光台账"
    book.properties.title = f"{package.resource(resource).get('title') or resource} 填报模板"
    book.properties.created = stamp
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # ExcelWriter, not Workbook.save: save() stamps "modified" with the current time.
        book.properties.modified = stamp
        ExcelWriter(book, archive).write_data()
    return _restamp(buffer.getvalue(), package.as_of)


def _restamp(raw: bytes, when: dt.date) -> bytes:
    """The same archive with every entry dated ``when`` (zipfile dates entries by the clock)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(when.year, when.month, when.day, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o100644 << 16
            entry.create_system = 3
            target.writestr(entry, source.read(info))
    return out.getvalue()
