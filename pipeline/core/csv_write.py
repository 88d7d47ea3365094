"""Canonical CSV writing: UTF-8 without BOM, LF line ends, one header row.

Every CSV the project writes into a data package goes through here, so that a
file written twice from the same rows is byte-identical and a diff of data
shows only changed rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path


def format_cell(value: object) -> str:
    """The canonical text of one cell: empty for None, ``true``/``false`` for booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return str(value)


class _Writer:
    """csv.writer with LF line ends that also quotes a cell holding a bare carriage return.

    With ``lineterminator="\\n"`` the csv module quotes cells containing "\\n" but not
    "\\r", and every reader would split the row at an unquoted "\\r".
    """

    def __init__(self, handle) -> None:
        self.minimal = csv.writer(handle, lineterminator="\n")
        self.quoted = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(self, cells: list[str]) -> None:
        (self.quoted if any("\r" in c for c in cells) else self.minimal).writerow(cells)


def write_csv(path: Path, fieldnames: Sequence[str], rows: Iterable[dict | Sequence]) -> int:
    """Write rows (dicts keyed by field name, or sequences in field order); return the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = _Writer(handle)
        writer.writerow(list(fieldnames))
        for row in rows:
            values = [row.get(name) for name in fieldnames] if isinstance(row, dict) else row
            writer.writerow([format_cell(v) for v in values])
            count += 1
    return count


def csv_text(fieldnames: Sequence[str], rows: Iterable[Sequence]) -> str:
    """Canonical CSV as a string (for tests and small generated files)."""
    buffer = io.StringIO()
    writer = _Writer(buffer)
    writer.writerow(list(fieldnames))
    for row in rows:
        writer.writerow([format_cell(v) for v in row])
    return buffer.getvalue()
