"""A resource as the exports read it: the published text cells, in blocks of rows, and typed values.

Exports start from the CSV text as published (not from the ledger's frames,
which add derived columns and defaults), so a download holds exactly the
source rows: an empty cell stays missing, a code stays a code. Integers,
numbers and dates are written in their canonical text (``canonical_batch``):
validation reads ``+5``, ``05`` and ``５`` as 5, so every download says ``5``.

A table read for the build (``source_table``) holds no cells: its files (in the
build, the copies among the downloads, checked against the bytes validation
read: pipeline/export/downloads.py) are parsed again, a block of rows at a
time, by whichever writer needs them, so a million-row resource never sits in
memory whole. ``read_table`` holds the
cells in a frame (tests, and anything that wants to edit them first).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipeline.export.columns import escaped_bytes, replace_where
from pipeline.core.package import DataPackage
from pipeline.core.values import canonical_text

# frictionless' defaults when a boolean field names no trueValues/falseValues
TRUE_VALUES = ["true", "True", "TRUE", "1"]
FALSE_VALUES = ["false", "False", "FALSE", "0"]
TEXT_TYPES = ("string", "list")  # the cells a spreadsheet could take for a formula
# Small blocks: the export runs beside the render's peak (downloads_process), and at a million issues
# these wrote every download as fast as 16,384 rows and 1 MB did, with a peak of 292 MB against 385 MB.
BLOCK_ROWS = 4096  # rows per block: about 1.5 MB of text for the widest resource
READ_BYTES = 256 << 10  # the parser's block: its read-ahead holds about twenty


@dataclass(frozen=True)
class ExportTable:
    name: str
    title: str
    fields: list[dict]
    text: pd.DataFrame | None = None  # cells in memory, schema order, "" = missing; None: read ``paths``
    part_rows: tuple[int, ...] = ()  # data rows of each file, in the descriptor's path order
    paths: tuple[Path, ...] = ()  # the files, read block by block when ``text`` is None
    text_bytes: int | None = None  # UTF-8 bytes of every cell once & < > are XML entities (None: not measured)

    @property
    def rows(self) -> int:
        return len(self.text) if self.text is not None else sum(self.part_rows)

    @property
    def names(self) -> list[str]:
        return [f["name"] for f in self.fields]

    def blocks(self, rows: int | None = None) -> Iterator[pa.RecordBatch]:
        """The cells as string columns (schema order), ``rows`` (default BLOCK_ROWS) rows a block
        (the last may be shorter); integers, numbers and dates in their canonical text."""
        rows = rows or BLOCK_ROWS
        if self.text is not None:
            batches = frame_table(self.text, self.names).to_reader()
        else:
            batches = (b for path in self.paths for b in file_batches(path, self.names))
        yield from (canonical_batch(b, self.fields) for b in rebatch(batches, rows))

    def column(self, name: str) -> pa.ChunkedArray:
        """One column's cells, whole (for the XLSX year split of a resource too big for one sheet)."""
        return pa.chunked_array([b.column(name) for b in self.blocks()], type=pa.string())


def read_table(package: DataPackage, name: str) -> ExportTable:
    """All files of a resource as text in memory, in file and row order."""
    resource = package.resource(name)
    fields = resource["schema"]["fields"]
    names = [f["name"] for f in fields]
    parts = [pa.Table.from_batches(list(file_batches(file.abs, names)), schema=text_schema(names))
             for file in package.files(name)]
    whole = pa.concat_tables(parts) if parts else text_schema(names).empty_table()
    text = whole.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow", na_value=float("nan"))}.get)
    return ExportTable(name=name, title=resource.get("title") or name, fields=fields, text=text,
                 part_rows=tuple(part.num_rows for part in parts))


def source_table(package: DataPackage, name: str) -> ExportTable:
    """A resource to be read block by block; one pass now counts its rows and measures its text."""
    resource = package.resource(name)
    fields = resource["schema"]["fields"]
    names = [f["name"] for f in fields]
    paths = tuple(file.abs for file in package.files(name))
    counts, text_bytes = [], 0
    for path in paths:
        rows = 0
        for batch in file_batches(path, names):
            rows += batch.num_rows
            text_bytes += escaped_bytes(canonical_batch(batch, fields))  # what the writers will write
        counts.append(rows)
    return ExportTable(name=name, title=resource.get("title") or name, fields=fields, part_rows=tuple(counts),
                 paths=paths, text_bytes=text_bytes)


# --- reading ------------------------------------------------------------------------------------------

def text_schema(names: list[str]) -> pa.Schema:
    return pa.schema([pa.field(n, pa.string()) for n in names])


def frame_table(frame: pd.DataFrame, names: list[str]) -> pa.Table:
    """Cells of a frame (missing → "") as string columns: Arrow-backed text is not copied, and no
    pandas slice is made per block (pandas keeps a reference to each view of its columns)."""
    columns = [pc.fill_null(pa.array(frame[name], type=pa.string(), from_pandas=True), "") for name in names]
    return pa.Table.from_arrays(columns, schema=text_schema(names))


def header_of(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle), [])


def file_batches(path: Path, names: list[str]) -> Iterator[pa.RecordBatch]:
    """A CSV file's records after the header as string columns ``names``, a parser block at a time.

    Columns are found by header name (a schema column the file lacks is all ""); blank lines are
    skipped. From a record pyarrow cannot parse on (one of the wrong length, which fails validation,
    or one longer than READ_BYTES) the file is read by the csv module instead."""
    header = header_of(path)
    labels = [f"_{i}" for i in range(len(header))]
    where = {}
    for label, name in zip(labels, header):
        where.setdefault(name, label)
    done = 0
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=labels, skip_rows=1, encoding="utf8", block_size=READ_BYTES),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types={label: pa.string() for label in labels},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
        for batch in reader:
            yield _select(batch, names, where)
            done += batch.num_rows
    except pa.ArrowInvalid:
        yield from _csv_module_batches(path, names, header, skip=done)


def _select(batch: pa.RecordBatch, names: list[str], where: dict[str, str]) -> pa.RecordBatch:
    empty = None
    arrays = []
    for name in names:
        if name in where:
            arrays.append(batch.column(where[name]))
        else:
            empty = empty if empty is not None else pa.array([""] * batch.num_rows, type=pa.string())
            arrays.append(empty)
    return pa.RecordBatch.from_arrays(arrays, schema=text_schema(names))


def _csv_module_batches(path: Path, names: list[str], header: list[str], skip: int) -> Iterator[pa.RecordBatch]:
    """The records after the first ``skip``, read by the csv module, BLOCK_ROWS at a time."""
    index = {}
    for position, name in enumerate(header):
        index.setdefault(name, position)
    columns: list[list[str]] = [[] for _ in names]

    def block() -> pa.RecordBatch:
        batch = pa.RecordBatch.from_arrays([pa.array(c, type=pa.string()) for c in columns], schema=text_schema(names))
        for column in columns:
            column.clear()
        return batch

    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for number, record in enumerate(r for r in reader if r):  # blank lines are no records, as for pyarrow
            if number < skip:
                continue
            for column, name in zip(columns, names):
                position = index.get(name)
                column.append(record[position] if position is not None and position < len(record) else "")
            if len(columns[0]) >= BLOCK_ROWS:
                yield block()
    if not columns or columns[0]:
        yield block()


def rebatch(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Blocks of exactly ``rows`` rows (the last may be shorter) from blocks of any size.

    Slices share the parser's buffers; only a block that spans two parser blocks is copied."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        while batch.num_rows:
            take = min(rows - held, batch.num_rows)
            pending.append(batch.slice(0, take))
            held += take
            batch = batch.slice(take)
            if held == rows:
                yield _concatenated(pending)
                pending, held = [], 0
    if held:
        yield _concatenated(pending)


def _concatenated(pieces: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(pieces) == 1:
        return pieces[0]
    return pa.Table.from_batches(pieces).combine_chunks().to_batches()[0]


# --- canonical text ------------------------------------------------------------------------------------

# Cells already in canonical form (or empty): most cells of most files, recognised by one kernel.
CANONICAL = {"integer": r"^(0|-?[1-9][0-9]*)?$", "number": r"^(-?(0|[1-9][0-9]*)(\.[0-9]+)?)?$",
             "date": r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"}


def canonical_batch(batch: pa.RecordBatch, fields: list[dict]) -> pa.RecordBatch:
    """The block with every integer, number and date cell in its canonical text (pipeline/core/values.py):
    what validation reads as 5 is written 5 in every download, whether the file says +5, 05 or ５."""
    columns = list(batch.columns)
    changed = False
    for position, spec in enumerate(fields):
        ftype = spec.get("type", "string")
        if ftype not in CANONICAL:
            continue
        odd = pc.invert(pc.match_substring_regex(columns[position], CANONICAL[ftype]))
        if pc.any(odd).as_py():
            columns[position] = replace_where(columns[position], odd, lambda cell, t=ftype: canonical_text(cell, t))
            changed = True
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema) if changed else batch


# --- typed values ---------------------------------------------------------------------------------------

TYPED = ("integer", "number", "boolean", "date", "list")  # every other type is its text ("" = missing)


def typed_value(cell: str, field: dict) -> object:
    """One text cell → its Python value (None = missing)."""
    if not cell:
        return None
    ftype = field.get("type", "string")
    if ftype == "integer":
        return int(cell)
    if ftype == "number":
        return float(cell)
    if ftype == "boolean":
        if cell in field.get("falseValues", FALSE_VALUES):  # a value in both lists is false, as it always was
            return False
        return True if cell in field.get("trueValues", TRUE_VALUES) else None
    if ftype == "date":
        return dt.date.fromisoformat(cell)
    if ftype == "list":
        return cell.split(field.get("delimiter", ","))
    return cell
