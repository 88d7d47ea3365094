"""Each finding on a data row carries that row's record id: the value of its primary key.

A pull-request comment (and the JSON report behind it) then says which record to fix —
"Q-2026-00005" — beside the file and row, so a reviewer and a clerk who edited the record
in a workbook find it without counting rows. The id is the key's text as the file has it
(a composite key's parts joined by "/"); a row whose key is blank has none. An id holding a
personal number is shown masked, as any value is (pipeline/validate/privacy.py).
"""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa

from pipeline.core import findings as fd
from pipeline.core.csv_read import arrow_text, read_text_table
from pipeline.core.package import DataPackage
from pipeline.validate import privacy

SEPARATOR = "/"


def with_record_ids(package: DataPackage, findings: list[fd.Finding]) -> list[fd.Finding]:
    """``findings`` with ``record`` set on those of a data row (row ≥ 2) of a resource with a primary key.

    Only files that have such findings are read, and only once each."""
    wanted: dict[str, set[int]] = {}
    for finding in findings:
        if finding.row is not None and finding.row >= 2 and finding.resource in package.resource_names \
                and _key(package, finding.resource):
            wanted.setdefault(finding.path, set()).add(finding.row)
    if not wanted:
        return findings
    ids: dict[tuple[str, int], str] = {}
    for name in package.resource_names:
        key = _key(package, name)
        for file in package.files(name):
            if file.rel in wanted:
                ids.update({(file.rel, row): record for row, record in _record_ids(package, name, file, key,
                                                                                  wanted[file.rel]).items()})
    return [replace(f, record=ids[(f.path, f.row)]) if (f.path, f.row) in ids else f for f in findings]


def _key(package: DataPackage, name: str) -> list[str]:
    return list(package.resource(name)["schema"].get("primaryKey", []))


def _record_ids(package: DataPackage, name: str, file, key: list[str], rows: set[int]) -> dict[int, str]:
    names = [f["name"] for f in package.fields(name)]
    wanted = sorted(rows)
    text = _key_text(file.abs, names, key)
    indexes = [row - 2 for row in wanted if row - 2 < text.num_rows]  # spreadsheet row: the header is row 1
    taken = text.take(pa.array(indexes, type=pa.int64())).to_pylist()
    found = {}
    for index, values in zip(indexes, taken):
        parts = ["" if values[k] is None else str(values[k]) for k in key]
        if any(part.strip() for part in parts):
            found[index + 2] = shown(SEPARATOR.join(parts))
    return found


def _key_text(path, names: list[str], key: list[str]) -> pa.Table:
    """The key columns' text of every record; only those columns are converted (a file of a million
    rows is read in a fraction of a second). A file with malformed rows is read as validation reads it."""
    table = arrow_text(path, names, include=key)
    if table is None:
        frame = read_text_table(path, names).frame[key]
        return pa.Table.from_pydict({k: pa.array(frame[k].astype(object).where(frame[k].notna(), None).tolist(),
                                                 type=pa.string()) for k in key})
    return table


def shown(record: str) -> str:
    """The id as a report may show it: clipped like a value, masked if it holds a personal number."""
    record = record if len(record) <= 200 else record[:200] + "…"
    return privacy.mask(record) if next(privacy.scan(record), None) is not None else record
