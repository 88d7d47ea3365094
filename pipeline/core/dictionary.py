"""The data dictionary, read from the schemas: one row per field.

The single source of truth for what a field is called in Chinese, what it
accepts and what it means. The dictionary pages, the XLSX headers and the
Excel import templates all read these rows, so they cannot drift from the
descriptor.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.package import DataPackage

TYPE_NAMES = {"string": "文本", "integer": "整数", "number": "数字", "date": "日期 YYYY-MM-DD",
              "yearmonth": "年月 YYYY-MM", "boolean": "true / false", "list": "列表"}


@dataclass(frozen=True)
class DictionaryRow:
    name: str
    title: str  # the Chinese column header (falls back to the field name)
    type: str  # the Table Schema type
    type_label: str  # the type in Chinese
    required: bool
    constraints: tuple[str, ...]  # each constraint in Chinese words
    categories: tuple[tuple[str, str], ...]  # (code, Chinese label) of an enum, in the schema's order
    description: str
    example: str

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "type": self.type, "type_label": self.type_label,
                "required": self.required, "constraints": list(self.constraints),
                "categories": [{"value": v, "label": label} for v, label in self.categories],
                "description": self.description, "example": self.example}


def constraint_text(field: dict) -> list[str]:
    c = field.get("constraints", {})
    parts = []
    if c.get("required"):
        parts.append("必填")
    if c.get("unique"):
        parts.append("不重复")
    if "pattern" in c:
        parts.append(f"格式 {c['pattern']}")
    if "minimum" in c:
        parts.append(f"≥ {c['minimum']}")
    if "maximum" in c:
        parts.append(f"≤ {c['maximum']}")
    if "minLength" in c:
        parts.append(f"至少 {c['minLength']} 字")
    if "maxLength" in c:
        parts.append(f"最多 {c['maxLength']} 字")
    if field.get("type") == "list":
        parts.append(f"多个值用“{field.get('delimiter', ',')}”分隔")
    return parts


def _resource(package: DataPackage | dict, resource: str) -> dict:
    """A resource of a loaded package, or of a bare descriptor (pipeline/standard.json)."""
    if isinstance(package, DataPackage):
        return package.resource(resource)
    for res in package["resources"]:
        if res.get("name") == resource:
            return res
    raise KeyError(resource)


def dictionary_rows(package: DataPackage | dict, resource: str) -> list[DictionaryRow]:
    """The fields of ``resource`` in column order, as the dictionary shows them."""
    rows = []
    for field in _resource(package, resource)["schema"]["fields"]:
        ftype = field.get("type", "string")
        rows.append(DictionaryRow(
            name=field["name"], title=field.get("title") or field["name"], type=ftype,
            type_label=TYPE_NAMES.get(ftype, ftype),
            required=bool(field.get("constraints", {}).get("required")),
            constraints=tuple(constraint_text(field)),
            categories=tuple((str(c["value"]), str(c["label"])) for c in field.get("categories", [])),
            description=field.get("description", ""), example=str(field.get("example", ""))))
    return rows


def header_titles(package: DataPackage | dict, resource: str) -> list[str]:
    """Chinese column headers, made unique (a repeated title gets its field name in brackets)."""
    rows = dictionary_rows(package, resource)
    seen: dict[str, int] = {}
    for row in rows:
        seen[row.title] = seen.get(row.title, 0) + 1
    return [row.title if seen[row.title] == 1 else f"{row.title}（{row.name}）" for row in rows]
