"""Parquet downloads: one file per resource with Arrow types from the schema.

Written from Arrow arrays with an explicit schema (no pandas metadata, no
writer clock), so the same rows give the same bytes. Each column carries its
Chinese title and description as field metadata; the file carries the
resource name and the snapshot date.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.export.tables import Table

ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
               "date": pa.date32(), "yearmonth": pa.string(), "list": pa.list_(pa.string())}


def arrow_table(table: Table, as_of: str) -> pa.Table:
    fields, arrays = [], []
    for spec in table.fields:
        kind = ARROW_TYPES.get(spec.get("type", "string"), pa.string())
        meta = {"title": spec.get("title", ""), "description": spec.get("description", "")}
        fields.append(pa.field(spec["name"], kind, nullable=True, metadata=meta))
        arrays.append(pa.array(table.values(spec), type=kind))
    schema = pa.schema(fields, metadata={"resource": table.name, "title": table.title, "as_of": as_of})
    return pa.Table.from_arrays(arrays, schema=schema)


def write_parquet(table: Table, path: Path, as_of: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(arrow_table(table, as_of), path, compression="snappy", use_dictionary=True,
                   write_statistics=True, store_schema=True)
    return table.rows
