"""CSV downloads: one file per resource, UTF-8 (canonical) and UTF-8 with BOM for Excel.

Excel opens a CSV without a BOM as the local code page (GBK on Chinese
Windows) and garbles it; the BOM variant opens correctly by double-click.
Excel also runs a cell that starts with = + - @ (or a tab / carriage return
before one) as a formula ("CSV injection"), so in the Excel variant such a
text cell gets a leading apostrophe. Only text and list fields are guarded:
an integer or number field is a real number and stays one (−3 stays −3).

Lines are the csv module's (``lineterminator="\\n"``, minimal quoting), and a
row with a carriage return in any cell has every cell quoted, which the csv
module would not do. They are built a block of rows at a time by Arrow's
kernels (``csv_lines``); tests compare them with the csv module's.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.export.columns import byte_in, data_bytes, edge_bytes, empty, joined, rows_matching
from pipeline.export.tables import TEXT_TYPES

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA = r"^[=+\-@\t\r]"  # a cell starting with one of FORMULA_START
BOM = "\ufeff"


def guard(cell: str) -> str:
    """A text cell that a spreadsheet would take for a formula, made inert."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def quoted_line(cells: list[str]) -> str:
    """One CSV line, every cell quoted: for rows with a carriage return, which the csv module
    leaves unquoted when the line terminator is \\n (a reader would split the row there)."""
    return ",".join('"' + c.replace('"', '""') + '"' for c in cells) + "\n"


def _csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


def _quoting_characters() -> str:
    """The characters that make the csv module quote a cell (asked, not assumed: it changed across versions)."""
    return "".join(ch for ch in map(chr, range(128)) if _csv_line([ch, "x"]).startswith('"'))


QUOTING = _quoting_characters()
NEEDS_QUOTES = "[" + "".join(f"\\x{ord(ch):02x}" for ch in QUOTING) + "]"
# what makes a cell quoted, or its row all quoted
SPECIAL_IN_CELL = "[" + "".join(f"\\x{ord(ch):02x}" for ch in sorted(set(QUOTING) | {"\r"})) + "]"


def csv_lines(batch: pa.RecordBatch, fields: list[dict], *, for_excel: bool = False,
              canonical: pa.Array | None = None) -> pa.Array:
    """One CSV line per row of the block, as the csv module writes it (see the module docstring).

    Most rows need no quotes: their cells joined with "," are the line. The rest go through
    ``quoted_lines``. The Excel variant differs only in rows with a guarded cell, so given the
    block's ``canonical`` lines it formats only those rows."""
    if for_excel:
        if canonical is None:
            canonical = csv_lines(batch, fields)
        guarded = np.zeros(batch.num_rows, dtype=bool)
        for cells, f in zip(batch.columns, fields):
            if f.get("type", "string") in TEXT_TYPES:
                guarded |= byte_in(edge_bytes(cells)[0], "".join(FORMULA_START))
        if not guarded.any():
            return canonical
        mask = pa.array(guarded)
        return pc.replace_with_mask(canonical, mask, quoted_lines(batch.filter(mask), fields, for_excel=True))
    columns = list(batch.columns)
    lines = joined(*columns[:-1], joined(columns[-1], "\n"), separator=",")
    special = rows_matching(columns, SPECIAL_IN_CELL)
    if len(columns) == 1:  # the csv module writes a lone empty cell as "" (an empty line is no row)
        special = empty(columns[0]) if special is None else pc.or_(special, empty(columns[0]))
    if special is None or not pc.any(special).as_py():
        return lines
    return pc.replace_with_mask(lines, special, quoted_lines(batch.filter(special), fields))


def quoted_lines(batch: pa.RecordBatch, fields: list[dict], *, for_excel: bool = False) -> pa.Array:
    """Lines cell by cell: a cell is quoted when the csv module would quote it, every cell of a row with a CR."""
    columns = list(batch.columns)
    if for_excel:
        columns = [_guarded(c) if f.get("type", "string") in TEXT_TYPES else c for c, f in zip(columns, fields)]
    has_cr = None
    for cells in columns:
        here = pc.match_substring(cells, "\r")
        has_cr = here if has_cr is None else pc.or_(has_cr, here)
    quoted_cells = []
    for cells in columns:
        quote = pc.or_(has_cr, pc.match_substring_regex(cells, NEEDS_QUOTES))
        if len(columns) == 1:
            quote = pc.or_(quote, empty(cells))
        if pc.any(quote).as_py():
            cells = pc.if_else(quote, joined('"', pc.replace_substring(cells, '"', '""'), '"'), cells)
        quoted_cells.append(cells)
    return joined(joined(*quoted_cells, separator=","), "\n")


def _guarded(cells: pa.Array) -> pa.Array:
    return pc.if_else(pc.match_substring_regex(cells, FORMULA), joined("'", cells), cells)


class CsvWriter:
    """A CSV file written a block at a time: header first, then ``write`` each block."""

    def __init__(self, path: Path, fields: list[dict], *, for_excel: bool = False):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fields = fields
        self.for_excel = for_excel
        self.handle = path.open("wb")
        header = _csv_line([f["name"] for f in fields])
        self.handle.write(((BOM if for_excel else "") + header).encode("utf-8"))

    def write(self, batch: pa.RecordBatch, canonical: pa.Array | None = None) -> pa.Array | None:
        """Write a block; return its lines (the canonical lines serve the Excel variant's ``write``)."""
        if not (batch.num_columns and batch.num_rows):
            return None
        lines = csv_lines(batch, self.fields, for_excel=self.for_excel, canonical=canonical)
        self.handle.write(data_bytes(lines))
        return lines

    def close(self) -> None:
        self.handle.close()
