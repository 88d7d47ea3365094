"""JSON downloads: one array of records per resource, typed by the schema.

Integers and numbers are JSON numbers, booleans true/false, dates ISO strings,
list fields arrays, missing cells null. One record per line keeps the file
readable and diffable; ``pandas.read_json(path)`` reads it back.

Each line is what ``json.dumps(record, ensure_ascii=False, sort_keys=True)``
gives, built a block of rows at a time: a typed field's JSON text is computed
once per distinct cell, a text cell is quoted by a kernel (``json.dumps``
only for the rare cell with a quote, backslash or control character).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.export.columns import (concatenated, data_bytes, empty, joined, map_distinct, replace_where,
                                      rows_matching)
from pipeline.export.tables import TYPED, typed_value

JSON_ESCAPED = r'[\x00-\x1f"\\]'  # what json.dumps escapes when ensure_ascii is off


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def dumps(value: object) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, allow_nan=False)


def json_parts(cells: pa.Array, field: dict) -> list[pa.Array | str]:
    """Parts that, joined, are each cell's JSON text: a typed value once per distinct cell; text
    between quotes (the quotes from short per-row strings, so the text itself is copied only once)."""
    if field.get("type", "string") in TYPED:
        return [map_distinct(cells, lambda cell: dumps(typed_value(cell, field)), pa.string())]
    missing = empty(cells)
    escaped = rows_matching([cells], JSON_ESCAPED)
    if escaped is not None:  # rare: quotes, backslashes, control characters
        quoted = replace_where(cells, escaped, dumps, into=joined('"', cells, '"'))
        return [pc.if_else(missing, "null", quoted)]
    if not pc.any(missing).as_py():
        return ['"', cells, '"']
    return [pc.if_else(missing, "null", '"'), cells, pc.if_else(missing, "", '"')]


def json_records(batch: pa.RecordBatch, fields: list[dict]) -> pa.Array:
    """",\n" and one record per row (keys sorted, as ``sort_keys`` sorts them)."""
    order = sorted(range(len(fields)), key=lambda i: fields[i]["name"])
    if not order:
        return pa.array([",\n{}"] * batch.num_rows, type=pa.string())
    parts: list = []
    for number, i in enumerate(order):
        parts.append((",\n{" if number == 0 else ", ") + json.dumps(fields[i]["name"], ensure_ascii=False) + ": ")
        parts += json_parts(batch.column(i), fields[i])
    return concatenated(parts + ["}"])


class JsonWriter:
    def __init__(self, path: Path, fields: list[dict]):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fields = fields
        self.rows = 0
        self.handle = path.open("wb")
        self.handle.write(b"[")

    def write(self, batch: pa.RecordBatch) -> None:
        if not batch.num_rows:
            return
        data = data_bytes(json_records(batch, self.fields))
        self.handle.write(data if self.rows else data[1:])  # the first record follows "[" without a comma
        self.rows += batch.num_rows

    def close(self) -> None:
        self.handle.write(b"\n]\n" if self.rows else b"]\n")
        self.handle.close()
