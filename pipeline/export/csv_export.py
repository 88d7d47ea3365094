"""CSV downloads: one file per resource, UTF-8 (canonical) and UTF-8 with BOM for Excel.

Excel opens a CSV without a BOM as the local code page (GBK on Chinese
Windows) and garbles it; the BOM variant opens correctly by double-click.
Excel also runs a cell that starts with = + - @ (or a tab / carriage return
before one) as a formula ("CSV injection"), so in the Excel variant such a
text cell gets a leading apostrophe. Only text and list fields are guarded:
an integer or number field is a real number and stays one (−3 stays −3).
"""

from __future__ import annotations

import csv
from pathlib import Path

from pipeline.export.tables import TEXT_TYPES, Table

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def guard(cell: str) -> str:
    """A text cell that a spreadsheet would take for a formula, made inert."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def quoted_line(cells: list[str]) -> str:
    """One CSV line, every cell quoted: for rows with a carriage return, which the csv module
    leaves unquoted when the line terminator is \\n (a reader would split the row there)."""
    return ",".join('"' + c.replace('"', '""') + '"' for c in cells) + "\n"


def write_csv(table: Table, path: Path, *, for_excel: bool = False) -> int:
    """Write ``table``; return the data row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = [table.text[name].tolist() for name in table.names]
    if for_excel:
        columns = [[guard(c) for c in column] if field.get("type", "string") in TEXT_TYPES else column
                   for field, column in zip(table.fields, columns)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        if for_excel:
            handle.write(BOM)
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(table.names)
        for row in zip(*columns):
            if any("\r" in cell for cell in row):
                handle.write(quoted_line(row))
            else:
                writer.writerow(row)
    return table.rows
