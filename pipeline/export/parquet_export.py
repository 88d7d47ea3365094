"""Parquet downloads: one file per resource with Arrow types from the schema.

Written from Arrow arrays with an explicit schema (no pandas metadata, no
writer clock), so the same rows give the same bytes. Each column carries its
Chinese title and description as field metadata; the file carries the
resource name and the snapshot date. Rows are written a row group of
ROW_GROUP_ROWS rows at a time, so that a million-row resource is never held
in memory whole (a resource of up to that many rows is one row group, as
``pyarrow.parquet.write_table`` writes it).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.export.columns import empty, map_distinct
from pipeline.export.tables import TYPED, typed_value

ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
               "date": pa.date32(), "yearmonth": pa.string(), "list": pa.list_(pa.string())}
ROW_GROUP_ROWS = 65_536
OPTIONS = {"compression": "snappy", "use_dictionary": True, "write_statistics": True, "store_schema": True}


def arrow_schema(fields: list[dict], name: str, title: str, as_of: str) -> pa.Schema:
    columns = []
    for spec in fields:
        kind = ARROW_TYPES.get(spec.get("type", "string"), pa.string())
        meta = {"title": spec.get("title", ""), "description": spec.get("description", "")}
        columns.append(pa.field(spec["name"], kind, nullable=True, metadata=meta))
    return pa.schema(columns, metadata={"resource": name, "title": title, "as_of": as_of})


def arrow_values(cells: pa.Array, field: dict) -> pa.Array:
    """Text cells → typed Arrow values (null = missing), each distinct cell converted once."""
    kind = ARROW_TYPES.get(field.get("type", "string"), pa.string())
    if field.get("type", "string") in TYPED:
        return map_distinct(cells, lambda cell: typed_value(cell, field), kind)
    return pc.if_else(empty(cells), pa.scalar(None, pa.string()), cells)


def arrow_batch(batch: pa.RecordBatch, fields: list[dict], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_arrays([arrow_values(cells, f) for cells, f in zip(batch.columns, fields)], schema=schema)


class ParquetWriter:
    """Blocks of any size in, row groups of ROW_GROUP_ROWS rows out (typed values held until a group is full)."""

    def __init__(self, path: Path, fields: list[dict], schema: pa.Schema):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fields = fields
        self.schema = schema
        self.rows = 0
        self.held: list[pa.Table] = []
        self.writer = pq.ParquetWriter(path, schema, **OPTIONS)

    def write(self, batch: pa.RecordBatch) -> None:
        if not batch.num_rows:
            return
        self.held.append(arrow_batch(batch, self.fields, self.schema))
        self.rows += batch.num_rows
        while sum(t.num_rows for t in self.held) >= ROW_GROUP_ROWS:
            self._flush(ROW_GROUP_ROWS)

    def close(self) -> None:
        if self.held:
            self._flush(None)
        if not self.rows:  # an empty resource: one empty row group, as write_table writes it
            self.writer.write_table(self.schema.empty_table())
        self.writer.close()

    def _flush(self, rows: int | None) -> None:
        whole = pa.concat_tables(self.held)
        group = whole if rows is None else whole.slice(0, rows)
        self.writer.write_table(group.combine_chunks())
        rest = whole.slice(group.num_rows)
        self.held = [rest] if rest.num_rows else []
