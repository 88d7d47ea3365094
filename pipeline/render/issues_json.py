"""Compact JSON for many rows at once, built column by column.

A record is ``{"a":…,"b":…}`` with sorted keys and no spaces, exactly what
``json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``
writes. Instead of a dict per row, each field is a ``Column``: the UTF-8 JSON
of every distinct value and, per row, which one it takes. A ``Table`` frames
each field's values once with ``{"key":`` or ``,"key":`` (and the closing brace).
So a per-value function runs once per distinct value (a date, a label, a
region), not once per row; a record's size is a sum of fragment lengths, known
before any record is built; and a record is one ``b"".join`` of its fragments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from json.encoder import encode_basestring  # what json.dumps uses for str with ensure_ascii=False
from typing import Callable, Iterable

import numpy as np
import pandas as pd


def dump(value: object) -> str:
    """``json.dumps`` as the lookup shards use it; a plain string takes the encoder's own fast path."""
    if value is None:
        return "null"
    if type(value) is str:
        return encode_basestring(value)
    # allow_nan=False: a NaN would make the whole shard unreadable by JSON.parse.
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _small(codes: np.ndarray, distinct: int) -> np.ndarray:
    """Codes in the smallest integer type that holds them: a million rows × 25 fields stays small."""
    return codes.astype(np.min_scalar_type(max(distinct - 1, 0)), copy=False)


@dataclass(frozen=True)
class Column:
    """One field of many records: row i's JSON value is ``values[codes[i]]`` (bytes)."""

    codes: np.ndarray
    values: list[bytes]

    @classmethod
    def of(cls, series: pd.Series | pd.Index | np.ndarray, fn: Callable[[object], object]) -> "Column":
        """``fn`` (a cell → the Python value to publish; a missing cell arrives as None) once per distinct cell."""
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        values = [dump(fn(u)).encode("utf-8") for u in uniques.tolist()]  # tolist: iterating is 10× slower
        if (codes < 0).any():
            codes = np.where(codes < 0, len(values), codes)
            values.append(dump(fn(None)).encode("utf-8"))
        return cls(_small(codes, len(values)), values)

    @classmethod
    def each(cls, cells: Iterable[object], fn: Callable[[object], object] = lambda cell: cell) -> "Column":
        """A field that differs on every row (never missing): no factorizing, one value per row."""
        values = [dump(fn(cell)).encode("utf-8") for cell in cells]
        return cls(_small(np.arange(len(values)), len(values)), values)

    @classmethod
    def raw(cls, keys: Iterable[object], json_by_key: dict[object, bytes], default: bytes) -> "Column":
        """A field whose JSON is already built (e.g. a list of child records), one row per key."""
        values = [json_by_key.get(key, default) for key in keys]
        return cls(_small(np.arange(len(values)), len(values)), values)


class Table:
    """Records with the same fields: each row's JSON and its size, for many rows at once.

    With a ``key`` column, ``rows`` gives ``"key":{record}``: a member of an object keyed by it.
    """

    def __init__(self, columns: dict[str, Column], length: int, key: Column | None = None):
        self.length = length
        self.key = None if key is None else (key.codes, _objects([v + b":" for v in key.values]))
        # Each field's fragments framed once: {"key": or ,"key": before, } after the last field.
        self._framed: list[tuple[np.ndarray, np.ndarray]] = []
        keys = sorted(columns)
        for n, key in enumerate(keys):
            before = ("{" if n == 0 else ",").encode() + dump(key).encode("utf-8") + b":"
            after = b"}" if n == len(keys) - 1 else b""
            if len(columns[key].codes) != length:
                raise ValueError(f"column {key} has {len(columns[key].codes)} rows, not {length}")
            self._framed.append((columns[key].codes, _objects([before + v + after for v in columns[key].values])))

    def sizes(self) -> np.ndarray:
        """Bytes of each row's JSON (the record alone, without its key), without building it."""
        total = np.zeros(self.length, dtype=np.int64)
        for codes, values in self._framed:
            total += np.fromiter(map(len, values), dtype=np.int64, count=len(values))[codes]
        return total

    def rows(self, positions: np.ndarray) -> list[bytes]:
        """The JSON of the rows at ``positions``, in that order."""
        framed = self._framed if self._framed else [(np.zeros(self.length, dtype=np.uint8), _objects([b"{}"]))]
        if self.key is not None:
            framed = [self.key, *framed]
        picked = [values[codes[positions]].tolist() for codes, values in framed]
        return [b"".join(parts) for parts in zip(*picked)]


def _objects(values: list[bytes]) -> np.ndarray:
    """A numpy array of the bytes objects themselves (np.array would make fixed-width byte strings)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def grouped_lists(table: Table, groups: pd.Series) -> dict[object, bytes]:
    """Group key → JSON list of that group's records, in row order (rows with no group are left out)."""
    codes, uniques = pd.factorize(groups, use_na_sentinel=True)
    order = np.argsort(codes, kind="stable")  # rows of a group together, in their original order
    order = order[codes[order] >= 0]
    records = table.rows(order)
    grouped = codes[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]]) if len(order) else np.array([], dtype=int)
    ends = np.r_[starts[1:], len(order)].astype(int)
    keys = uniques.tolist()
    return {keys[code]: b"[" + b",".join(records[s:e]) + b"]"
            for code, s, e in zip(grouped[starts].tolist(), starts.tolist(), ends.tolist())}
