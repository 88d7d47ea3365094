"""Names where codes are expected: `ledger import` reads 示例市民政局 as the department mzj.

Clerks know their departments and villages by name, not by ``mzj`` or a 12-digit code.
A cell of a field that holds department or region codes (a foreign key to them, or a
list of department codes) whose text is not a code but the name of exactly one record
of the data package's own departments.csv or regions.csv is converted, and the import
says so; a name that several records share is answered with their codes. A region is
also known by its name after its parents' names (示例县甲镇新村), which is how two
villages called 新村 are told apart.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from pipeline.core.package import DataPackage

TABLES = ("departments", "regions")  # the code lists a name may stand for
LIST_SEPARATORS = re.compile(r"[;；、,，]")


@dataclass(frozen=True)
class Candidate:
    code: str
    name: str  # as a clerk would read it: the department's name, the region's name after its parents'


@dataclass
class Lookup:
    """One code list: its codes, and every way of naming a record."""
    what: str  # 部门 / 区划
    codes: set[str] = field(default_factory=set)
    names: dict[str, list[Candidate]] = field(default_factory=dict)

    def resolve(self, text: str) -> list[Candidate] | None:
        """None when ``text`` is a code or no name at all; else the records it names (one or more)."""
        if text in self.codes:
            return None
        return self.names.get(_key(text))


def _key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def reference(package: DataPackage, resource: str, name: str, ftype: str) -> str | None:
    """The code list (departments or regions) a field of ``resource`` holds codes of, or None."""
    if ftype == "list":
        return "departments" if name.endswith("departments") else None
    for key in package.resource(resource)["schema"].get("foreignKeys", []):
        fields = key.get("fields")
        ref = key.get("reference", {})
        target = ref.get("resource") or resource  # "" is the resource itself (regions.parent_code)
        if fields in (name, [name]) and target in TABLES and ref.get("fields") in ("code", ["code"]):
            return target
    return None


def lookups(package: DataPackage) -> dict[str, Lookup]:
    """The package's departments and regions as lookups; a table that cannot be read is left out."""
    found = {}
    for table in TABLES:
        try:
            rows = [row for item in package.files(table)
                    for row in csv.DictReader(io.StringIO(item.abs.read_text(encoding="utf-8-sig"), newline=""))]
        except (KeyError, OSError, UnicodeDecodeError, csv.Error):
            continue
        found[table] = _regions(rows) if table == "regions" else _departments(rows)
    return found


def _departments(rows: list[dict]) -> Lookup:
    lookup = Lookup("部门")
    for row in rows:
        code, name = (row.get("code") or "").strip(), (row.get("name") or "").strip()
        if code:
            lookup.codes.add(code)
        if code and name:
            lookup.names.setdefault(_key(name), []).append(Candidate(code, name))
    return lookup


def _regions(rows: list[dict]) -> Lookup:
    lookup = Lookup("区划")
    by_code = {(row.get("code") or "").strip(): row for row in rows}
    lookup.codes = {code for code in by_code if code}
    for code, row in by_code.items():
        chain: list[str] = []  # the names from this region up to the root
        seen: set[str] = set()
        current: dict | None = row
        while current is not None and current.get("code") not in seen:
            seen.add(current.get("code"))
            chain.insert(0, (current.get("name") or "").strip())
            current = by_code.get((current.get("parent_code") or "").strip())
        if not code or not chain[-1]:
            continue
        candidate = Candidate(code, "".join(chain))
        for start in range(len(chain)):  # 新村, 甲镇新村, 示例县甲镇新村 …
            name = _key("".join(chain[start:]))
            if name and candidate not in lookup.names.get(name, []):
                lookup.names.setdefault(name, []).append(candidate)
    return lookup


def candidates_text(found: list[Candidate]) -> str:
    return "、".join(f"{c.code}（{c.name}）" for c in sorted(found, key=lambda c: c.code))
