"""Worksheet rows from a block of text columns, built by Arrow's kernels.

The markup is exactly what ``Sheet.columns`` writes for the same values (a
test holds them equal on hostile text): ``<row r="N">``, a cell per present
value, ``</row>``. Text is an inline string, escaped by ``xlsx_writer.escape``
for the rare cell that needs it; a number, date or boolean cell's markup
after its reference is computed once per distinct cell.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.export.columns import byte_in, concatenated, edge_bytes, joined, map_distinct, rows_matching
from pipeline.export.tables import typed_value
from pipeline.export.xlsx_writer import BOOL, DATE, NUMBER, STYLE_DATE, TEXT, date_serial, escape, number_text

# xlsx_writer.SPECIAL for RE2 (a UTF-8 string holds no surrogates)
SPECIAL = r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\x{fffe}\x{ffff}]"
EDGE_SPACE = "\t\n "  # after escaping, the only characters <= " " left
PLAIN = '" t="inlineStr"><is><t>'
KEEP = '" t="inlineStr"><is><t xml:space="preserve">'  # readers strip edge whitespace otherwise


def row_markup(columns: list[pa.Array], kinds: list[str], fields: list[dict], letters: list[str],
               first_row: int) -> pa.Array:
    """One ``<row>`` element per row, numbered from ``first_row``."""
    count = len(columns[0])
    numbers = pc.cast(pa.array(np.arange(first_row, first_row + count, dtype=np.int64)), pa.string())
    parts: list[pa.Array | str] = ['<row r="', numbers, '">']
    for cells, kind, field, letter in zip(columns, kinds, fields, letters):
        parts += cell_parts(cells, kind, field, letter, numbers)
    return concatenated(parts + ["</row>"])


def cell_parts(cells: pa.Array, kind: str, field: dict, letter: str, numbers: pa.Array) -> list[pa.Array | str]:
    """Parts that, joined, are each cell's element ("" for no cell). A text cell's own characters are
    copied once, between short per-row strings; the few cells that need escaping are made in Python."""
    head = f'<c r="{letter}'
    if kind != TEXT:
        tail = map_distinct(cells, lambda cell: TAILS[kind](cell, field), pa.string())
        return [pc.fill_null(joined(head, numbers, tail), "")]
    first, last, lengths = edge_bytes(cells)
    keep = byte_in(first, EDGE_SPACE) | byte_in(last, EDGE_SPACE)
    opening = joined(head, numbers, pc.if_else(pa.array(keep), KEEP, PLAIN))
    closing: pa.Array | str = "</t></is></c>"
    present = lengths > 0
    if not present.all():
        shown = pa.array(present)
        opening = pc.if_else(shown, opening, "")
        closing = pc.if_else(shown, closing, "")
    special = rows_matching([cells], SPECIAL)
    if special is not None and pc.any(special).as_py():
        at = np.flatnonzero(special.to_numpy(zero_copy_only=False))
        made = pa.array([_text_cell(head, numbers[i].as_py(), cells[i].as_py()) for i in at], type=pa.string())
        opening = pc.replace_with_mask(opening, special, made)
        cells = pc.if_else(special, "", cells)
        if isinstance(closing, str):
            closing = pa.array([closing] * len(cells), type=pa.string())
        closing = pc.if_else(special, "", closing)
    return [opening, cells, closing]


def _text_cell(head: str, number: str, value: str) -> str:
    """One text cell as ``xlsx_writer``'s block API makes it (for a cell that needs escaping)."""
    text = escape(value)
    if not text:
        return ""
    return f"{head}{number}{PLAIN if text[0] > ' ' and text[-1] > ' ' else KEEP}{text}</t></is></c>"


def _number_tail(cell: str, field: dict) -> str | None:
    value = typed_value(cell, field)
    if value is None:
        return None
    if type(value) is int:
        return f'"><v>{value}</v></c>'
    text = number_text(value)
    if text is None:  # NaN, ±inf: no cell holds them as numbers, so they are text
        return f'" t="inlineStr"><is><t>{value!r}</t></is></c>'
    return f'"><v>{text}</v></c>'


def _date_tail(cell: str, field: dict) -> str | None:
    return f'" s="{STYLE_DATE}"><v>{date_serial(dt.date.fromisoformat(cell))}</v></c>' if cell else None


def _bool_tail(cell: str, field: dict) -> str | None:
    value = typed_value(cell, field)
    return None if value is None else f'" t="b"><v>{int(value)}</v></c>'


TAILS = {NUMBER: _number_tail, DATE: _date_tail, BOOL: _bool_tail}
