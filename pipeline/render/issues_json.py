"""Compact JSON for many rows at once, built column by column with Arrow.

A record is ``{"a":…,"b":…}`` with sorted keys and no spaces, exactly what
``json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``
writes. Instead of a dict per row, each field is a ``Column``: the UTF-8 JSON
of every distinct value (an Arrow binary array) and, per row, which one it
takes. A ``JsonRecords`` joins, for many rows at once, each field's ``{"key":`` or
``,"key":`` and value and the closing brace, in Arrow's C++ kernels.

So a per-value function runs once per distinct value (a date, a label, a
region), never once per row; text that differs on every row (ids, titles) is
quoted by Arrow, only text holding a quote, backslash or control character
going through Python's own JSON encoder; a record's size is a sum of lengths,
known before any record is built; and records come out back to back in one
buffer, so a file made of consecutive records (a shard, an issue's list of
evaluations) is one slice of it, not a Python join per record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from json.encoder import encode_basestring  # what json.dumps uses for str with ensure_ascii=False
from typing import Callable, Iterable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

BINARY = pa.large_binary()  # 64-bit offsets: a column of a million records may pass 2 GB
NEEDS_ESCAPE = r'[\x00-\x1f"\\]'  # what encode_basestring escapes; everything else is copied as is


def dump(value: object) -> str:
    """``json.dumps`` as the lookup shards use it; a plain string takes the encoder's own fast path."""
    if value is None:
        return "null"
    if type(value) is str:
        return encode_basestring(value)
    # allow_nan=False: a NaN would make the whole shard unreadable by JSON.parse.
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _binary(values: Iterable[bytes]) -> pa.Array:
    return pa.array(list(values), type=BINARY)


def _scalar(value: bytes) -> pa.Scalar:
    return pa.scalar(value, type=BINARY)


def arrow_text(series: pd.Series) -> pa.Array:
    """A text column as one Arrow large_string array (no copy when it is Arrow-backed and in one chunk)."""
    array = pa.array(series, type=pa.large_string(), from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def offsets(array: pa.Array) -> np.ndarray:
    """Where each value of a binary array starts in its data buffer, and where the last one ends."""
    if len(array) == 0:
        return np.zeros(1, dtype=np.int64)
    return np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset:array.offset + len(array) + 1]


def take_rows(array: pa.Array | pa.ChunkedArray, positions: np.ndarray) -> pa.Array:
    """``array.take(positions)`` as one array. A column read from many CSV batches has hundreds of
    chunks, and Arrow's take resolves each position's chunk one by one: here each chunk is taken
    from once (positions grouped by chunk), then the rows are put back in the order asked."""
    if isinstance(array, pa.Array) or array.num_chunks == 1:
        taken = (array if isinstance(array, pa.Array) else array.chunk(0)).take(pa.array(positions))
        return taken
    starts = np.r_[0, np.cumsum([len(chunk) for chunk in array.chunks])]
    chunk = np.searchsorted(starts, positions, "right") - 1
    order = np.argsort(chunk, kind="stable")
    cuts = np.flatnonzero(np.r_[True, chunk[order][1:] != chunk[order][:-1], True]) if len(order) else [0]
    parts = [array.chunk(int(chunk[order[a]])).take(pa.array(positions[order[a:b]] - starts[chunk[order[a]]]))
             for a, b in zip(cuts[:-1], cuts[1:])]
    if not parts:
        return pa.array([], type=array.type)
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return pa.concat_arrays(parts).take(pa.array(back))


def _small(codes: np.ndarray, distinct: int) -> np.ndarray:
    """Codes in the smallest integer type that holds them: a million rows × 25 fields stays small."""
    return codes.astype(np.min_scalar_type(max(distinct - 1, 0)), copy=False)


@dataclass(frozen=True)
class Column:
    """One field of many records: row i's JSON value is ``values[codes[i]]``, or ``values[i]`` without codes."""

    codes: np.ndarray | None
    values: pa.Array  # large_binary, UTF-8 JSON

    @classmethod
    def of(cls, series: pd.Series | pd.Index | np.ndarray, fn: Callable[[object], object]) -> "Column":
        """``fn`` (a cell → the Python value to publish; a missing cell arrives as None) once per distinct cell."""
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        values = [dump(fn(u)).encode("utf-8") for u in uniques.tolist()]  # tolist: iterating is 10× slower
        if (codes < 0).any():
            codes = np.where(codes < 0, len(values), codes)
            values.append(dump(fn(None)).encode("utf-8"))
        return cls(_small(codes, len(values)), _binary(values))

    @classmethod
    def of_pairs(cls, first: pd.Series, second: pd.Series, fn: Callable[[object, object], object]) -> "Column":
        """``fn(a, b)`` of each row's two cells, called once per distinct pair (a missing cell arrives as None)."""
        a_codes, a_values = pd.factorize(first, use_na_sentinel=True)
        b_codes, b_values = pd.factorize(second, use_na_sentinel=True)
        a_list, b_list = [None, *a_values.tolist()], [None, *b_values.tolist()]
        width = len(b_list)
        codes, pairs = pd.factorize((a_codes.astype(np.int64) + 1) * width + (b_codes + 1))
        values = [dump(fn(a_list[pair // width], b_list[pair % width])).encode("utf-8") for pair in pairs.tolist()]
        return cls(_small(codes, len(values)), _binary(values))

    @classmethod
    def each(cls, cells: Iterable[object], fn: Callable[[object], object] = lambda cell: cell) -> "Column":
        """A field that differs on every row (never missing): no factorizing, one value per row."""
        return cls(None, _binary(dump(fn(cell)).encode("utf-8") for cell in cells))

    @classmethod
    def text(cls, series: pd.Series) -> "TextColumn":
        """A text field that differs on (nearly) every row (see ``TextColumn``)."""
        return TextColumn.of(series)

    @classmethod
    def lookup(cls, keys: pd.Series, known: pd.Index, values: pa.Array, default: bytes) -> "Column":
        """Row i takes ``values[j]`` where the text ``known[j]`` is ``keys[i]``, else ``default`` (e.g. a list of
        child records). ``known`` holds each key once."""
        found = pc.index_in(arrow_text(keys), value_set=arrow_text(pd.Series(known, dtype="str")))
        found = pc.fill_null(found, -1).to_numpy(zero_copy_only=False)
        codes = np.where(found < 0, len(values), found)
        return cls(_small(codes, len(values) + 1), pa.concat_arrays([values, _binary([default])]))

    def __len__(self) -> int:
        return len(self.values) if self.codes is None else len(self.codes)

    def lengths(self) -> np.ndarray:
        """Bytes of each row's value."""
        sizes = np.diff(offsets(self.values))
        return sizes if self.codes is None else sizes[self.codes]

    def take(self, positions: np.ndarray) -> pa.Array:
        """The values of the rows at ``positions``, in that order."""
        rows = positions if self.codes is None else self.codes[positions]
        return self.values.take(pa.array(np.ascontiguousarray(rows), type=pa.int64()))


@dataclass(frozen=True)
class TextColumn:
    """A text field that differs on (nearly) every row: each cell as a JSON string, a missing one as null.

    The same bytes as ``dump`` of each cell, made only for the rows taken: Arrow puts quotes around
    the ledger's own text (never copied whole); the few cells with a quote, a backslash or a control
    character are escaped once, by ``encode_basestring``. So a million titles and summaries are
    not held a second time while the shards are written.
    """

    cells: pa.Array | pa.ChunkedArray  # large_string
    special: np.ndarray  # rows whose text needs escaping
    escaped: dict[int, bytes]  # their JSON

    @classmethod
    def of(cls, series: pd.Series) -> "TextColumn":
        cells = pa.array(series, type=pa.large_string(), from_pandas=True)
        special = pc.fill_null(pc.match_substring_regex(cells, NEEDS_ESCAPE), False).to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(special)
        texts = cells.take(pa.array(rows, type=pa.int64())).to_pylist()
        return cls(cells, special, {row: encode_basestring(text).encode("utf-8") for row, text in zip(rows.tolist(), texts)})

    def __len__(self) -> int:
        return len(self.cells)

    def lengths(self) -> np.ndarray:
        """Bytes of each row's value: the text and two quotes, or ``null``, or the escaped text."""
        sizes = pc.binary_length(self.cells)
        out = np.where(pc.is_null(sizes).to_numpy(zero_copy_only=False), len(b"null"),
                       pc.fill_null(sizes, 0).to_numpy(zero_copy_only=False).astype(np.int64) + 2)
        for row, value in self.escaped.items():
            out[row] = len(value)
        return out

    def take(self, positions: np.ndarray) -> pa.Array:
        positions = np.ascontiguousarray(positions, dtype=np.int64)
        cells = take_rows(self.cells, positions)
        quote, nothing = pa.scalar('"', type=pa.large_string()), pa.scalar("", type=pa.large_string())
        quoted = pc.binary_join_element_wise(quote, cells, quote, nothing).cast(BINARY)
        special = self.special[positions]
        if special.any():
            replaced = [self.escaped[row] for row in positions[special].tolist()]
            quoted = pc.replace_with_mask(quoted, pa.array(special), _binary(replaced))
        return pc.fill_null(quoted, _scalar(b"null"))


class JsonRecords:
    """Records with the same fields: each row's JSON and its size, for many rows at once.

    With a ``key`` column, a record is ``"key":{record}``: a member of an object keyed by it. The fields come
    in sorted order, or with ``sort_keys=False`` in the order of ``columns`` (``json.dumps`` of a dict).
    """

    def __init__(self, columns: dict[str, Column | TextColumn], length: int, key: Column | TextColumn | None = None,
                 sort_keys: bool = True):
        self.length = length
        self.key = key
        names = sorted(columns) if sort_keys else list(columns)
        # Each field's value comes after {"name": (the first) or ,"name": (the others).
        self.heads = [("{" if n == 0 else ",").encode() + dump(name).encode("utf-8") + b":"
                      for n, name in enumerate(names)]
        self.columns = [columns[name] for name in names]
        for name, column in zip(names, self.columns):
            if len(column) != length:
                raise ValueError(f"column {name} has {len(column)} rows, not {length}")
        self.close = b"}" if names else b"{}"

    def sizes(self) -> np.ndarray:
        """Bytes of each row's JSON (the record alone, without its key), without building it."""
        total = np.full(self.length, sum(map(len, self.heads)) + len(self.close), dtype=np.int64)
        for column in self.columns:
            total += column.lengths()
        return total

    def joined(self, positions: np.ndarray, before: pa.Array | bytes = b"", after: pa.Array | bytes = b"") -> pa.Array:
        """The JSON of the rows at ``positions`` in that order, each between ``before`` and ``after``
        (bytes for all rows, or one value per row), back to back in one buffer."""
        def part(value: pa.Array | bytes) -> pa.Array | pa.Scalar:
            return _scalar(value) if isinstance(value, bytes) else value

        parts = [part(before)]
        if self.key is not None:
            parts += [self.key.take(positions), _scalar(b":")]
        for head, column in zip(self.heads, self.columns):
            parts += [_scalar(head), column.take(positions)]
        parts += [_scalar(self.close), part(after)]
        if all(isinstance(p, pa.Scalar) for p in parts):  # no field, no key: one (empty) value per row
            parts.append(choose(np.zeros(len(positions), dtype=bool), b"", b""))
        return pc.binary_join_element_wise(*parts, _scalar(b""))

    def rows(self, positions: np.ndarray) -> list[bytes]:
        """The JSON of the rows at ``positions``, in that order, one bytes object each (for tests and small uses)."""
        return self.joined(np.asarray(positions)).to_pylist()


class ArrayRecords:
    """Records as JSON arrays ``[v1,v2,…]``, the columns in the order given (no keys repeated per row):
    the same ``sizes``, ``joined`` and ``rows`` as ``JsonRecords``."""

    def __init__(self, columns: list[Column | TextColumn], length: int):
        self.length = length
        self.columns = columns
        for n, column in enumerate(columns):
            if len(column) != length:
                raise ValueError(f"column {n} has {len(column)} rows, not {length}")

    def sizes(self) -> np.ndarray:
        """Bytes of each row's JSON array, without building it."""
        total = np.full(self.length, 2 + max(len(self.columns) - 1, 0), dtype=np.int64)
        for column in self.columns:
            total += column.lengths()
        return total

    def joined(self, positions: np.ndarray, before: pa.Array | bytes = b"", after: pa.Array | bytes = b"") -> pa.Array:
        """The JSON arrays of the rows at ``positions`` in that order, each between ``before`` and ``after``."""
        def part(value: pa.Array | bytes) -> pa.Array | pa.Scalar:
            return _scalar(value) if isinstance(value, bytes) else value

        parts: list = [part(before), _scalar(b"[")]
        for n, column in enumerate(self.columns):
            parts += ([_scalar(b",")] if n else []) + [column.take(positions)]
        parts += [_scalar(b"]"), part(after)]
        if all(isinstance(p, pa.Scalar) for p in parts):  # no column: one (empty) array per row
            parts.append(choose(np.zeros(len(positions), dtype=bool), b"", b""))
        return pc.binary_join_element_wise(*parts, _scalar(b""))

    def rows(self, positions: np.ndarray) -> list[bytes]:
        return self.joined(np.asarray(positions)).to_pylist()


def choose(flags: np.ndarray, when_false: bytes, when_true: bytes) -> pa.Array:
    """One of two byte strings per row."""
    return _binary([when_false, when_true]).take(pa.array(flags.astype(np.int8)))


def slices(records: pa.Array, bounds: np.ndarray) -> Iterator[bytes]:
    """The bytes of records ``bounds[n]`` … ``bounds[n + 1] − 1`` of a joined array, for each n."""
    data = memoryview(records.buffers()[2]) if len(records) else memoryview(b"")
    ends = offsets(records)
    for first, last in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        yield data[ends[first]:ends[last]].tobytes()


def group_lists(table: JsonRecords | ArrayRecords, groups: pd.Series) -> tuple[pd.Index, pa.Array]:
    """(group keys, JSON list of each group's records in row order); rows with no group are left out."""
    codes, uniques = pd.factorize(groups, use_na_sentinel=True)
    order = np.argsort(codes, kind="stable")  # rows of a group together, in their original order
    order = order[codes[order] >= 0]
    grouped = codes[order]
    if not len(order):
        return pd.Index(uniques), _binary([])
    first = np.r_[True, grouped[1:] != grouped[:-1]]
    last = np.r_[grouped[1:] != grouped[:-1], True]
    # "[" before a group's first record, "," before the others, "]" after its last: each list is then
    # one stretch of the joined buffer, and the lists share it (no copy per group).
    records = table.joined(order, choose(first, b",", b"["), choose(last, b"", b"]"))
    starts = np.flatnonzero(first)
    ends = offsets(records)
    bounds = np.r_[ends[starts], ends[-1]].astype(np.int64)
    lists = pa.LargeBinaryArray.from_buffers(BINARY, len(starts), [None, pa.py_buffer(bounds), records.buffers()[2]])
    return pd.Index(uniques).take(grouped[starts]), lists


def grouped_lists(table: JsonRecords, groups: pd.Series) -> dict[object, bytes]:
    """Group key → JSON list of that group's records, in row order (rows with no group are left out)."""
    keys, lists = group_lists(table, groups)
    return dict(zip(keys.tolist(), lists.to_pylist()))
