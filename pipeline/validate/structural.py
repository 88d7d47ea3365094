"""Structural checks: headers (ours) and frictionless (types, constraints, keys).

frictionless numbers the rows of a multipart resource (issues split by year)
continuously and does not look at the headers of the second and later files,
so headers are checked here for every file and frictionless' row positions
are mapped back to (file, spreadsheet row).
"""

from __future__ import annotations

import copy
import csv
import re
from bisect import bisect_right
from collections.abc import Iterator

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


def check_headers(package: DataPackage, facts: dict[str, list[FileFacts]]) -> Iterator[fd.Finding]:
    for name, file_facts in facts.items():
        expected = [f["name"] for f in package.fields(name)]
        for fact in file_facts:
            yield from _header_findings(fact.file, _read_header(fact.file), expected)


def _read_header(file: ResourceFile) -> list[str]:
    with file.abs.open("r", encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle), [])


def _header_findings(file: ResourceFile, header: list[str], expected: list[str]) -> Iterator[fd.Finding]:
    """Compare the header with the schema, column by column (order matters, as in frictionless)."""
    where = {"path": file.rel, "row": 1, "resource": file.resource}
    seen: set[str] = set()
    for column, label in enumerate(header, start=1):
        want = expected[column - 1] if column <= len(expected) else None
        if label.strip() == "":
            yield fd.make("blank-label", **where, field=want, column=column)
        elif label in seen:
            yield fd.make("duplicate-label", **where, field=want, value=label, column=column)
        elif want is None:
            yield fd.make("extra-label", **where, value=label, column=column)
        elif label != want:
            yield fd.make("incorrect-label", **where, field=want, value=label, column=column, expected=want)
        seen.add(label)
    for name in expected[len(header):]:
        yield fd.make("missing-label", **where, field=name)


def run_frictionless(package: DataPackage, facts: dict[str, list[FileFacts]]) -> Iterator[fd.Finding]:
    from frictionless import Package  # heavy import: only when validation runs

    # The package's descriptor, not the file: its schemas are the standard's (pipeline/core/descriptor.py);
    # whole_value_patterns works on a copy.
    from pipeline.validate.fast import value_check_errors  # fast imports this module

    report = Package(whole_value_patterns(package.descriptor), basepath=str(package.root)).validate()
    mappers = {name: RowMapper(file_facts) for name, file_facts in facts.items()}
    for error in report.errors:  # package-level problems (descriptor)
        yield fd.make("package-error", path="datapackage.json", detail=error.message)
    for task in report.tasks:
        name = task.name
        errors = [error.to_descriptor() for error in task.errors]
        if name in facts:  # the standard's own checks on values frictionless reads (pipeline/core/values.py)
            errors += value_check_errors(package, name, facts[name])
        # A blank row is one problem, not also a missing key on that row.
        blank = {e.get("rowNumber") for e in errors if e.get("type") == "blank-row"}
        for error in errors:
            if error.get("type") != "blank-row" and error.get("rowNumber") in blank:
                continue
            if error.get("type") == "primary-key" and _key_is_unique_field(package, name):
                continue  # the unique-error on the same row already says it, with the field
            yield translate(package, name, mappers[name], error)


def whole_value_patterns(descriptor: dict) -> dict:
    """The descriptor with every pattern anchored at the very end of the value.

    frictionless compiles ``^(pattern)$`` and uses ``re.match``, where ``$`` also matches before a
    trailing newline: "Q-001\\n" would pass ``^Q-\\d{3}$``. ``(?:pattern)\\Z`` leaves it no such
    place, so frictionless checks what the fast engine checks (``re.fullmatch``)."""
    anchored = copy.deepcopy(descriptor)
    for resource in anchored.get("resources", []):
        for spec in resource.get("schema", {}).get("fields", []):
            constraints = spec.get("constraints", {})
            if isinstance(constraints.get("pattern"), str):
                constraints["pattern"] = f"(?:{constraints['pattern']})\\Z"
    return anchored


def _key_is_unique_field(package: DataPackage, resource: str) -> bool:
    keys = package.resource(resource)["schema"].get("primaryKey", [])
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
            keys = package.resource(resource)["schema"].get("primaryKey", [])
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
