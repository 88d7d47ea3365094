"""Column operations the writers share: a block of text cells formatted by Arrow's kernels.

A writer turns a block of rows into one string per row (a CSV line, a JSON
record, a worksheet row) with element-wise kernels and writes the bytes of
all those strings at once: no Python object per cell. A rule that is easier
to state in Python (a number's JSON text, a date's serial) runs once per
distinct value of the column (``map_distinct``): a date column of a million
rows has a few hundred. Rare cells that need escaping go through the Python
function that defines the escape (``replace_where``), so the kernels never
have to reproduce it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.export.xlsx_writer import escaped_bytes_bound


def joined(*parts: pa.Array | str, separator: str = "") -> pa.Array:
    """Row by row, the parts (arrays or one string for every row) concatenated; null if any part is."""
    return pc.binary_join_element_wise(*parts, separator)


def concatenated(parts: list[pa.Array | str]) -> pa.Array:
    """``joined`` of the parts, adjacent strings merged first (each part costs a copy per row)."""
    merged: list[pa.Array | str] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return joined(*merged)


def data_bytes(strings: pa.Array) -> memoryview:
    """The UTF-8 bytes of every string of the array, one after another (a view, no copy)."""
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    if strings.type != pa.string():
        strings = strings.cast(pa.string())
    _, offsets, data = strings.buffers()
    if data is None or len(strings) == 0:
        return memoryview(b"")
    bounds = np.frombuffer(offsets, dtype=np.int32, count=strings.offset + len(strings) + 1)
    return memoryview(data)[int(bounds[strings.offset]):int(bounds[-1])]


def anywhere(cells: pa.Array, pattern: str) -> bool:
    """Whether ``pattern`` (a regular expression that cannot span two cells, such as a character
    class) occurs in any cell: one scan of the column's bytes instead of one search per cell."""
    data = data_bytes(cells)
    if not len(data):
        return False
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    whole = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    return bool(pc.match_substring_regex(whole, pattern)[0].as_py())


def rows_matching(columns: list[pa.Array], pattern: str) -> pa.Array | None:
    """Per row, whether ``pattern`` occurs in any of the columns; None when it occurs nowhere."""
    found = None
    for cells in columns:
        if anywhere(cells, pattern):
            here = pc.match_substring_regex(cells, pattern)
            found = here if found is None else pc.or_(found, here)
    return found


def edge_bytes(cells: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first byte, last byte, length) of each cell; the bytes of an empty cell are 0."""
    if isinstance(cells, pa.ChunkedArray):
        cells = cells.combine_chunks()
    _, offsets, data = cells.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int32, count=cells.offset + len(cells) + 1)[cells.offset:]
    lengths = np.diff(bounds)
    if data is None or not len(data):
        zeros = np.zeros(len(cells), dtype=np.uint8)
        return zeros, zeros, lengths
    raw = np.frombuffer(data, dtype=np.uint8)
    present = lengths > 0
    first = np.where(present, raw[np.minimum(bounds[:-1], len(raw) - 1)], 0).astype(np.uint8)
    last = np.where(present, raw[np.maximum(bounds[1:] - 1, 0)], 0).astype(np.uint8)
    return first, last, lengths


def byte_in(values: np.ndarray, characters: str) -> np.ndarray:
    return np.isin(values, np.frombuffer(characters.encode("ascii"), dtype=np.uint8))


def map_distinct(cells: pa.Array, fn: Callable[[str], object], kind: pa.DataType) -> pa.Array:
    """``fn`` of each cell, computed once per distinct cell."""
    if isinstance(cells, pa.ChunkedArray):
        cells = cells.combine_chunks()
    encoded = pc.dictionary_encode(cells)
    mapped = pa.array([fn(value) for value in encoded.dictionary.to_pylist()], type=kind)
    return mapped.take(encoded.indices)


def replace_where(cells: pa.Array, mask: pa.Array, fn: Callable[[str], str], into: pa.Array | None = None) -> pa.Array:
    """``into`` (default: the cells), with ``fn(cell)`` computed in Python where ``mask`` holds."""
    into = cells if into is None else into
    if not pc.any(mask).as_py():
        return into
    chosen = pc.filter(cells, mask).to_pylist()
    return pc.replace_with_mask(into, mask, pa.array([fn(c) for c in chosen], type=into.type))


def empty(cells: pa.Array) -> pa.Array:
    return pc.equal(pc.binary_length(cells), 0)


def escaped_bytes(batch: pa.RecordBatch) -> int:
    """UTF-8 bytes of every cell once & < > are XML entities (the XLSX sheet's size bound).

    The sum over cells of ``xlsx_writer.escaped_bytes_bound`` (control characters only shrink it);
    a column's bytes are counted only when it holds one of & < > at all."""
    total = 0
    for cells in batch.columns:
        data = data_bytes(cells)
        total += len(data)
        if anywhere(cells, "[&<>]"):
            total += escaped_bytes_bound(data.tobytes()) - len(data)
    return total
