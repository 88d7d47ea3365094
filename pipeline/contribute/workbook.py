"""Template workbooks: an empty Excel sheet per resource, ready to fill and to `ledger import`.

The headers are the schema's Chinese field titles, which the importer reads
back; code columns are text, so Excel cannot turn 990121001003 into
9.90121E+11 or drop a leading 0; date columns show 2026-03-05 whatever the
maintainer types; enum columns have drop-down lists of the Chinese labels;
department and place columns have drop-down lists of the names, from the
package's own departments and regions, which are listed with their codes in
部门代码表 and 区划代码表 (the importer turns a name into its code); a
说明 sheet explains every field. Every cell is text, never a formula, whatever
the schema's words start with (= + - @). The bytes depend only on the schema, the
package's as_of and the code lists, so two builds give the same file.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass

import pandas as pd

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
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
DEPARTMENTS = "部门代码表"
PLACES = "区划代码表"
# Fields of a list of department codes (checked by the rule department_lists_exist): no drop-down
# (a cell holds several), the 说明 sheet and the prompt point to the code sheet.
DEPARTMENT_LISTS = {("issues", "co_departments"), ("meetings", "departments")}


@dataclass(frozen=True)
class CodeList:
    """A sheet of codes and names a template offers: what it lists, its header and rows."""

    sheet: str
    what: str  # "部门" or "区划"
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # (code, name, …) in the package's file order


@dataclass(frozen=True)
class CodeLists:
    departments: CodeList
    places: CodeList


def code_lists(package: DataPackage, departments: pd.DataFrame, regions: pd.DataFrame) -> CodeLists:
    """The package's departments (code, name) and places (code, name, level in Chinese), from their frames."""
    levels = {str(c["value"]): c["label"] for c in package.field("regions", "level").get("categories", [])}

    def rows(frame: pd.DataFrame, columns: list[str]) -> tuple[tuple[str, ...], ...]:
        found = []
        for values in frame[columns].itertuples(index=False):
            cells = ["" if pd.isna(v) else listed_text(str(v)) for v in values]
            if cells[0].strip() and cells[1].strip():
                found.append(tuple(cells))
        return tuple(found)

    places = tuple((code, name, levels.get(level, level)) for code, name, level in rows(regions, ["code", "name", "level"]))
    return CodeLists(CodeList(DEPARTMENTS, "部门", ("代码", "名称"), rows(departments, ["code", "name"])),
                     CodeList(PLACES, "区划", ("代码", "名称", "层级"), places))


def listed_text(text: str) -> str:
    """A cell's text as a workbook keeps it: a control character cannot be in one at all (openpyxl
    refuses it) and shows as �; XML reads every line break as \\n."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))


def coded_fields(package: DataPackage, resource: str, lists: CodeLists | None) -> dict[str, CodeList]:
    """Field → the code list whose names its drop-down offers: a single-field foreign key to
    departments.code or regions.code."""
    if lists is None:
        return {}
    found = {}
    for fk in package.resource(resource)["schema"].get("foreignKeys", []):
        target = fk["reference"]["resource"] or resource
        listed = {"departments": lists.departments, "regions": lists.places}.get(target)
        if len(fk["fields"]) == 1 and fk["reference"]["fields"] == ["code"] and listed is not None and listed.rows:
            found[fk["fields"][0]] = listed
    return found


def code_sheets(package: DataPackage, resource: str, lists: CodeLists | None) -> list[CodeList]:
    """The code lists a resource's template has as sheets (departments first): those its drop-downs
    read, and the departments for a field that lists department codes."""
    if lists is None:
        return []
    used = list(coded_fields(package, resource, lists).values())
    names = {f["name"] for f in package.fields(resource)}
    if lists.departments.rows and any(r == resource and f in names for r, f in DEPARTMENT_LISTS):
        used.append(lists.departments)
    return [listed for listed in (lists.departments, lists.places) if any(u is listed for u in used)]


def _code_words(row: DictionaryRow, listed: CodeList | None, resource: str, lists: CodeLists | None) -> str | None:
    """How to fill a code column, for the 说明 sheet and the prompt; None for other columns."""
    if listed is not None:
        return (f"从下拉列表中选择{listed.what}名称（名称和代码见“{listed.sheet}”工作表），导入时自动换成代码；"
                f"也可以直接填写代码，例如 {row.example}")
    if lists is not None and lists.departments.rows and (resource, row.name) in DEPARTMENT_LISTS:
        return f"填写“{DEPARTMENTS}”工作表中的部门代码，多个用英文分号 ; 隔开，例如 {row.example}"
    return None
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


def readme_rows(package: DataPackage, resource: str, sheet: str, lists: CodeLists | None = None) -> list[list[str]]:
    res = package.resource(resource)
    coded = coded_fields(package, resource, lists)
    title = res.get("title") or resource
    target = resource_paths(res)[-1]
    return [
        [f"{title}（{resource}）填写说明"],
        [f"在第一个工作表“{sheet}”中每行填写一条记录；第一行是表头，不要修改、删除或调换。"],
        ["日期可以写成 2026-03-05、2026/3/5 或 2026年3月5日；有下拉箭头的列请从列表中选择；"
         "编号和代码列已设为文本，开头的 0 不会丢失。"
         + ("部门和区划列的下拉列表是名称，导入时自动换成代码；同名的区划请直接填写代码（见代码表工作表）。" if coded else "")],
        ["不要填写姓名、身份证号码、手机号码等个人信息。"],
        [f"填好后转换为标准 CSV：ledger import 本文件.xlsx --resource {resource} --out data/{target}"],
        [],
        ["中文名", "字段名", "是否必填", "格式", "可选值", "说明", "示例"],
    ] + [[row.title, row.name, "必填" if row.required else "选填",
          _readme_format(row, _code_words(row, coded.get(row.name), resource, lists)), "、".join(_choices(row)),
          row.description, _example(row)] for row in dictionary_rows(package, resource)]


def _readme_format(row: DictionaryRow, code_words: str | None) -> str:
    return f"{row.type_label}；{code_words}" if code_words else _format_words(row)


def sheet_title(package: DataPackage, resource: str) -> str:
    title = package.resource(resource).get("title") or resource
    return SHEET_NAME_BAD.sub("_", title)[:31]


def build_workbook(package: DataPackage, resource: str, lists: CodeLists | None = None) -> Workbook:
    rows = dictionary_rows(package, resource)
    coded = coded_fields(package, resource, lists)
    book = Workbook()
    data = book.active
    data.title = sheet_title(package, resource)
    readme = book.create_sheet(README)
    choice_lists = book.create_sheet(LISTS)
    bold = Font(bold=True)
    for listed in code_sheets(package, resource, lists):
        _code_sheet(book, listed)

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
        listed = coded.get(row.name)
        if listed is not None:
            # Names to pick; a code typed instead is accepted (a warning, not a stop): the importer reads both.
            rule = DataValidation(type="list", formula1=_code_sheet_names(listed), allow_blank=True,
                                  showErrorMessage=True, errorStyle="warning", errorTitle=f"不是列表中的{listed.what}",
                                  error=f"请从下拉列表中选择{listed.what}名称，或填写“{listed.sheet}”中的代码。")
        elif choices:
            list_column += 1
            source = _write_list(choice_lists, list_column, row.title, choices)
            rule = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=True,
                                  errorStyle="warning" if row.type in ("integer", "number") else "stop",
                                  errorTitle="不是可选值", error=f"请从下拉列表中选择{row.title}。")
        else:
            rule = DataValidation(allow_blank=True)
        rule.showInputMessage = True
        rule.promptTitle = row.title[:32]
        rule.prompt = _prompt(row, _code_words(row, listed, resource, lists))[:255]
        rule.add(f"{letter}2:{letter}{LAST_ROW}")
        data.add_data_validation(rule)

    # --- 说明: what every column means ---
    for line in readme_rows(package, resource, data.title, lists):
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
    choice_lists.protection.sheet = True  # the drop-downs read these cells: edit the schema, not the sheet
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


def _prompt(row: DictionaryRow, code_words: str | None = None) -> str:
    need = "必填" if row.required else "选填"
    if code_words:
        return f"{need}。{row.description} {code_words}"
    example = _example(row)
    return f"{need}。{row.description}" + (f" 例：{example}" if example else "")


def _code_sheet(book: Workbook, listed: CodeList) -> None:
    """A protected sheet of codes and names: the drop-downs read its names, a clerk looks up codes."""
    sheet = book.create_sheet(listed.sheet)
    sheet.append(list(listed.header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for line in listed.rows:
        sheet.append(list(line))
    for letter, width in zip("ABC", (16, 30, 12)):
        sheet.column_dimensions[letter].width = width
    sheet.column_dimensions["A"].number_format = "@"
    sheet.freeze_panes = "A2"
    sheet.protection.sheet = True  # edit departments.csv or regions.csv, not the sheet


def _code_sheet_names(listed: CodeList) -> str:
    """The range of the names in ``listed``'s sheet, for a drop-down."""
    return f"{quote_sheetname(listed.sheet)}!$B$2:$B${len(listed.rows) + 1}"


def template_bytes(package: DataPackage, resource: str, lists: CodeLists | None = None) -> bytes:
    """The workbook's bytes: no clock anywhere, timestamps from as_of. ``lists``: the package's departments
    and places (:func:`code_lists`), for the code sheets and the drop-downs of names."""
    book = build_workbook(package, resource, lists)
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
