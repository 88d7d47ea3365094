"""Frictionless-shaped errors as findings: one translator for both engines.

frictionless (``structural.run_frictionless``) and the fast engine (``fast.py``) both produce
errors in frictionless' shape — type, row position, field, note. This module turns each into a
Finding with its file, spreadsheet row and Chinese text, so that both engines' messages are
identical: what a row position means in a resource split by year (``RowMapper``), how a
constraint is said in words, and the standard's own value checks (pipeline/core/values.py).
"""

from __future__ import annotations

import re
from bisect import bisect_right

from pipeline.core import findings as fd
from pipeline.core import values
from pipeline.core.package import DataPackage, ResourceFile
from pipeline.validate.files import FileFacts

TYPE_ZH = {
    "date": ("日期", "date", "日期格式为 YYYY-MM-DD，例如 2026-03-05（不要写成 2026/3/5）；`ledger import` 可自动转换。",
             "Write dates as YYYY-MM-DD, e.g. 2026-03-05; `ledger import` converts other forms."),
    "yearmonth": ("年月", "year-month", "年月格式为 YYYY-MM，例如 2026-03。", "Write months as YYYY-MM, e.g. 2026-03."),
    "integer": ("整数", "integer", "填写不带小数点、不带单位的整数，例如 12。", "Write a whole number without unit, e.g. 12."),
    "number": ("数字", "number", "填写数字，不带单位和千位分隔符，例如 90.55。", "Write a number without unit or separators, e.g. 90.55."),
    "boolean": ("是否值", "boolean", "只能填写 true（是）或 false（否）。", "Write true or false."),
}


class RowMapper:
    """Maps a frictionless row position in a (multipart) resource to (file, spreadsheet row)."""

    def __init__(self, facts: list[FileFacts]):
        self.files = [fact.file for fact in facts]
        self.starts = []  # first row position of each file
        position = 2
        for fact in facts:
            self.starts.append(position)
            position += fact.records

    def locate(self, position: int | None) -> tuple[ResourceFile, int | None]:
        if position is None:
            return self.files[0], None
        index = max(bisect_right(self.starts, position) - 1, 0)
        return self.files[index], position - self.starts[index] + 2


def key_names(value: object) -> list[str]:
    """A key's field names: Table Schema writes one field as a string (``"primaryKey": "code"``) or a list."""
    if isinstance(value, str):
        return [value]
    return list(value) if isinstance(value, list) else []


def primary_key(package: DataPackage, resource: str) -> list[str]:
    return key_names(package.resource(resource)["schema"].get("primaryKey"))


def foreign_keys(package: DataPackage, resource: str) -> list[dict]:
    """The resource's foreign keys with list-form fields and the referenced resource named (itself if "")."""
    keys = []
    for fk in package.resource(resource)["schema"].get("foreignKeys", []):
        reference = fk.get("reference", {})
        keys.append({"fields": key_names(fk.get("fields")), "reference": {
            "resource": reference.get("resource") or resource, "fields": key_names(reference.get("fields"))}})
    return keys


def key_is_unique_field(package: DataPackage, resource: str) -> bool:
    keys = primary_key(package, resource)
    return len(keys) == 1 and package.field(resource, keys[0]).get("constraints", {}).get("unique", False)


_FIRST_ROW = re.compile(r'row at position "?(\d+)"?')


def translate(package: DataPackage, resource: str, mapper: RowMapper, error: dict) -> fd.Finding:
    """One frictionless error as a Finding with file, spreadsheet row and Chinese text."""
    kind = error.get("type", "")
    file, row = mapper.locate(error.get("rowNumber"))
    field = error.get("fieldName") or None
    value = error.get("cell")
    where = {"path": file.rel, "row": row, "resource": resource}
    if kind == "type-error":
        ftype = package.field(resource, field).get("type", "string")
        zh, en, fix_zh, fix_en = TYPE_ZH.get(ftype, (ftype, ftype, "按数据字典的格式填写。", "Follow the data dictionary."))
        return fd.make(kind, **where, field=field, value=value, type_zh=zh, type_en=en, type_fix=fix_zh, type_fix_en=fix_en)
    if kind == "constraint-error":
        zh, en = describe_constraint(package.field(resource, field), error.get("note", ""))
        if value in ("", None) or '"required"' in error.get("note", ""):  # a missing cell has no value to show
            return fd.make(kind, **where, field=field, value="", constraint_zh="必填字段不能为空", constraint_en="required")
        return fd.make(kind, **where, field=field, value=value, constraint_zh=zh, constraint_en=en)
    if kind in ("unique-error", "primary-key"):
        first = _FIRST_ROW.search(error.get("note", ""))
        first_row = mapper.locate(int(first.group(1)))[1] if first else "?"
        if kind == "primary-key":
            keys = primary_key(package, resource)
            cells = error.get("cells") or []
            if not first:  # the key cells are empty: frictionless says "all None"
                return fd.make("constraint-error", **where, field="+".join(keys), value="",
                               constraint_zh="主键字段不能为空", constraint_en="the primary key cannot be empty")
            names = [f["name"] for f in package.fields(resource)]
            shown = [str(cells[names.index(k)]) if names.index(k) < len(cells) else "" for k in keys]
            return fd.make(kind, **where, field="+".join(keys), value=",".join(shown), first_row=first_row)
        return fd.make(kind, **where, field=field, value=value, first_row=first_row)
    if kind == "foreign-key":
        names = error.get("fieldNames") or []
        cells = error.get("fieldCells") or []
        target = f"{error.get('referenceName') or resource}（{'、'.join(error.get('referenceFieldNames') or [])}）"
        shown = ",".join("" if c is None else str(c) for c in cells)  # an empty key part shows as nothing
        return fd.make(kind, **where, field="+".join(names), value=shown, target=target)
    if kind in VALUE_CODES:
        return value_finding(package, kind, where, field, value)
    if kind in ("missing-cell", "extra-cell", "blank-row"):
        return fd.make(kind, **where, field=field, value=value, column=error.get("fieldNumber"))
    return fd.make("frictionless-error", **where, field=field, value=value, type=kind, detail=error.get("message", ""))


def describe_constraint(field: dict, note: str) -> tuple[str, str]:
    constraints = field.get("constraints", {})
    if '"enum"' in note:
        labels = {str(c["value"]): c["label"] for c in field.get("categories", [])}
        allowed = "、".join(f"{v}（{labels[str(v)]}）" if str(v) in labels and labels[str(v)] != str(v) else str(v)
                           for v in constraints.get("enum", []))
        return f"只能是以下之一：{allowed}", f"must be one of {', '.join(map(str, constraints.get('enum', [])))}"
    if '"pattern"' in note:
        example = field.get("example", "")
        return (f"格式不对，应符合 {constraints.get('pattern')}（例如 {example}）",
                f"must match {constraints.get('pattern')} (e.g. {example})")
    for key, zh, en in (("minimum", "不能小于 {}", "at least {}"), ("maximum", "不能大于 {}", "at most {}"),
                        ("minLength", "至少 {} 个字符", "at least {} characters"),
                        ("maxLength", "最多 {} 个字符", "at most {} characters")):
        if f'"{key}"' in note:
            return zh.format(constraints[key]), en.format(constraints[key])
    if '"required"' in note:
        return "必填字段不能为空", "required"
    return note, note


VALUE_CODES = ("integer-out-of-range", "number-out-of-range", "invisible-value")  # fast.value_checks
NUMBER_PROBLEM_ZH = {
    "nan": ("NaN 表示“不是数字”", "NaN means 'not a number'"),
    "infinite": ("这是无穷大", "it is infinite"),
    "too-large": ("绝对值超出双精度浮点数的范围（约 1.8×10^308），会变成无穷大",
                  "it is beyond the range of a 64-bit float (about 1.8e308) and would become infinite"),
    "too-small": ("太接近 0，双精度浮点数只能存为 0", "it is so close to 0 that a 64-bit float holds it as 0"),
}


def value_finding(package: DataPackage, kind: str, where: dict, field: str, value: str) -> fd.Finding:
    """A finding of the standard's own value checks, with the field's Chinese title."""
    title = package.field(where["resource"], field).get("title") or field
    if kind == "number-out-of-range":
        problem = values.number_problem(values.read_number(value)) or "nan"
        reason_zh, reason_en = NUMBER_PROBLEM_ZH[problem]
        return fd.make(kind, **where, field=field, value=value, title=title, reason_zh=reason_zh, reason_en=reason_en)
    if kind == "invisible-value":
        return fd.make(kind, **where, field=field, value=values.shown_codepoints(value), title=title)
    return fd.make(kind, **where, field=field, value=value, title=title)
