"""A resource as the exports read it: the published text cells, and typed values from the schema.

Exports start from the CSV text as published (not from the ledger's frames,
which add derived columns and defaults), so a download holds exactly the
source rows: an empty cell stays missing, a code stays a code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from pipeline.package import DataPackage

# frictionless' defaults when a boolean field names no trueValues/falseValues
TRUE_VALUES = ["true", "True", "TRUE", "1"]
FALSE_VALUES = ["false", "False", "FALSE", "0"]
TEXT_TYPES = ("string", "list")  # the cells a spreadsheet could take for a formula


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    fields: list[dict]
    text: pd.DataFrame  # schema columns in schema order; cells as published, "" = missing
    part_rows: tuple[int, ...] = ()  # data rows of each file, in the descriptor's path order

    @property
    def rows(self) -> int:
        return len(self.text)

    @property
    def names(self) -> list[str]:
        return [f["name"] for f in self.fields]

    def values(self, field: dict) -> list:
        """The typed Python values of one column (None = missing)."""
        return typed_values(self.text[field["name"]].tolist(), field)

    def records(self) -> list[dict]:
        columns = {f["name"]: self.values(f) for f in self.fields}
        return [dict(zip(columns, row)) for row in zip(*columns.values())] if columns else []


def read_table(package: DataPackage, name: str) -> Table:
    """All files of a resource as text, in file and row order."""
    resource = package.resource(name)
    fields = resource["schema"]["fields"]
    names = [f["name"] for f in fields]
    parts = [pd.read_csv(file.abs, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
             .reindex(columns=names, fill_value="") for file in package.files(name)]
    text = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=names)
    return Table(name=name, title=resource.get("title") or name, fields=fields, text=text,
                 part_rows=tuple(len(part) for part in parts))


def typed_values(cells: list[str], field: dict) -> list:
    """Text cells → Python values by the field's Table Schema type; the data is already validated."""
    ftype = field.get("type", "string")
    if ftype == "integer":
        return [int(c) if c else None for c in cells]
    if ftype == "number":
        return [float(c) if c else None for c in cells]
    if ftype == "boolean":
        truth = {v: True for v in field.get("trueValues", TRUE_VALUES)}
        truth.update({v: False for v in field.get("falseValues", FALSE_VALUES)})
        return [truth.get(c) if c else None for c in cells]
    if ftype == "date":
        return [dt.date.fromisoformat(c) if c else None for c in cells]
    if ftype == "list":
        delimiter = field.get("delimiter", ",")
        return [c.split(delimiter) if c else None for c in cells]
    return [c if c else None for c in cells]


def text_of(value: object, field: dict) -> str:
    """The canonical text of a typed value (the inverse of ``typed_values`` for tests and CSV)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return field.get("delimiter", ",").join(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
