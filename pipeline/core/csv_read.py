"""Reading a CSV file as text columns, fast, with every malformed row accounted for.

The common case (every record has as many cells as the header) is read by
pyarrow's multithreaded parser. A file with any record of the wrong length is
read again with Python's csv module, which tells exactly which record it is;
such files are rare and small (they fail validation anyway).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv


TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' own "str": missing is NaN, comparisons are plain bool


@dataclass
class TextTable:
    """Cells as text (``""`` for an empty cell, ``None`` for a cell the record lacks)."""

    frame: pd.DataFrame  # one column per schema field, in schema order
    extra_cells: dict[int, list[str]] = field(default_factory=dict)  # record index → cells past the header's
    short_rows: dict[int, int] = field(default_factory=dict)  # record index → number of cells it has
    blank_lines: set[int] = field(default_factory=set)  # records that are an empty line

    @property
    def records(self) -> int:
        return len(self.frame)


def read_text_table(source: Path | bytes, names: list[str], header: bool = True) -> TextTable:
    """All records (after the header, when there is one) of UTF-8 CSV, as text columns named ``names``.

    ``source`` is a file or the bytes of whole records (a segment of a file, see pipeline/validate/segments.py).
    """
    table = arrow_text(source, names, header=header)
    if table is None:
        return _read_with_csv_module(source, names, header)
    # Arrow-backed strings: no per-cell Python objects for a million rows.
    frame = table.to_pandas(types_mapper={pa.string(): TEXT}.get)
    return TextTable(frame=frame)


def arrow_text(source: Path | bytes, names: list[str], include: list[str] | None = None,
               header: bool = True) -> pa.Table | None:
    """The ``include`` columns (default: all) as Arrow text, read by pyarrow's parser; None when any record
    has the wrong number of cells or Arrow cannot parse the file (the csv module then says which)."""
    malformed: list[int] = []

    def on_invalid(row) -> str:
        malformed.append(row.actual_columns)
        return "skip"

    wanted = names if include is None else include
    try:
        table = pacsv.read_csv(
            pa.BufferReader(source) if isinstance(source, bytes) else source,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1 if header else 0, encoding="utf8"),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False,
                                             invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(include_columns=wanted, column_types={n: pa.string() for n in wanted},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowKeyError):
        return None
    return None if malformed else table


def _read_with_csv_module(source: Path | bytes, names: list[str], header: bool) -> TextTable:
    width = len(names)
    columns: list[list[str | None]] = [[] for _ in names]
    extra: dict[int, list[str]] = {}
    short: dict[int, int] = {}
    blank: set[int] = set()
    raw = io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")
    with io.TextIOWrapper(raw, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        if header:
            next(reader, None)
        for index, record in enumerate(reader):
            if not record:
                blank.add(index)
            elif len(record) < width:
                short[index] = len(record)
            elif len(record) > width:
                extra[index] = record[width:]
            for position in range(width):
                columns[position].append(record[position] if position < len(record) else None)
    frame = pd.DataFrame({name: pd.Series(values, dtype=TEXT) for name, values in zip(names, columns)})
    return TextTable(frame=frame, extra_cells=extra, short_rows=short, blank_lines=blank)
