"""JSON downloads: one array of records per resource, typed by the schema.

Integers and numbers are JSON numbers, booleans true/false, dates ISO strings,
list fields arrays, missing cells null. One record per line keeps the file
readable and diffable; ``pandas.read_json(path)`` reads it back.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from pipeline.export.tables import Table


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def write_json(table: Table, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = {f["name"]: table.values(f) for f in table.fields}
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("[")
        for number, row in enumerate(zip(*columns.values())):
            record = {name: _plain(value) for name, value in zip(columns, row)}
            handle.write(",\n" if number else "\n")
            handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True, allow_nan=False))
        handle.write("\n]\n" if table.rows else "]\n")
    return table.rows
