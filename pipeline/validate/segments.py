"""Cutting a CSV file into segments of whole records, at places chosen by the content.

A pull request usually changes a few rows of a year file of hundreds of
thousands. Work on a file (parse, row checks, typing, privacy scan) is cached
per segment, keyed by the segment's bytes, so only the segments that hold
changed rows are worked on again. The cuts are content-defined (a cut follows
a record whose first and last bytes and length hash to a chosen value), so inserting or
deleting a row moves no cut except the nearest ones: the other segments keep
their bytes and their cache entries.

Cutting is only safe at real record boundaries. A newline ends a record when an
even number of quote characters precede it — true for every file whose quotes
are regular RFC 4180 quoting. A file with any other quote (a quote in the
middle of an unquoted cell, text after a closing quote, an unclosed quote) or
with a carriage return that is not part of CRLF is not cut at all: it is one
segment, parsed exactly as a whole file is.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

CUT_MASK = 4095  # a cut after about one record in 4,096 (about 1.5 MB of issues)
MAX_RECORDS = 32768  # segments are never longer: a file whose records all look alike is still cut
WINDOW = 32  # bytes at each end of a record that choose the cuts

NEWLINE, QUOTE, COMMA, CR = 10, 34, 44, 13


@dataclass(frozen=True)
class Segment:
    start: int  # byte offsets in the file: data[start:stop]
    stop: int
    digest: str  # SHA-256 of those bytes
    with_header: bool = False  # the file was not cut: the segment is the whole file, header included
    records: int | None = None  # records in it, where the cut counted them (not for an uncut file)


@dataclass(frozen=True)
class Cut:
    """A file's header and body segments."""

    header: tuple[int, int]  # (0, end of the header record)
    segments: list[Segment]


def cut(data: bytes) -> Cut:
    """The header and the body segments of a CSV file's bytes (sizes from the module's settings)."""
    ends = record_ends(data)
    if ends is None or len(ends) == 0:
        return Cut((0, 0), [Segment(0, len(data), _sha256(data, 0, len(data)), with_header=True)])
    header_end = int(ends[0])
    body_ends = ends[1:]
    if len(data) > (int(body_ends[-1]) if len(body_ends) else header_end):
        body_ends = np.append(body_ends, len(data))  # a last record without a newline
    chosen = _cuts(data, body_ends, header_end, CUT_MASK, MAX_RECORDS)
    bounds = [(header_end, -1)] + [(int(body_ends[i]), i) for i in chosen]
    segments = [Segment(a, b, _sha256(data, a, b), records=j - i) for (a, i), (b, j) in zip(bounds, bounds[1:])]
    return Cut((0, header_end), segments)


def record_ends(data: bytes) -> np.ndarray | None:
    """Offsets just after each record's newline (header first); None when the quoting is not regular."""
    array = np.frombuffer(data, dtype=np.uint8)
    if b"\r" in data:
        returns = np.flatnonzero(array == CR)
        if returns[-1] == len(array) - 1 or not np.all(array[returns + 1] == NEWLINE):
            return None  # a lone carriage return ends a record for some parsers and not for others
    newlines = np.flatnonzero(array == NEWLINE)
    if data.find(b'"') < 0:  # the usual case: no quotes, every newline ends a record
        return newlines + 1
    quotes = np.flatnonzero(array == QUOTE)
    if not _regular_quotes(array, quotes):
        return None
    outside = np.searchsorted(quotes, newlines) % 2 == 0  # quotes before the newline: even = outside
    return newlines[outside] + 1


def _regular_quotes(array: np.ndarray, quotes: np.ndarray) -> bool:
    """Every quote opens a quoted cell at its start, closes it before a comma/line end, or is doubled inside."""
    if len(quotes) % 2:
        return False  # an unclosed quote
    opening, closing = quotes[0::2], quotes[1::2]
    before = np.where(opening > 0, array[np.maximum(opening - 1, 0)], NEWLINE)
    # A doubled quote inside a cell closes and reopens: the opening quote right after a closing one.
    doubled = np.isin(opening - 1, closing)
    if not np.all(np.isin(before, (COMMA, NEWLINE, CR)) | doubled):
        return False
    after = np.where(closing + 1 < len(array), array[np.minimum(closing + 1, len(array) - 1)], NEWLINE)
    return bool(np.all(np.isin(after, (COMMA, NEWLINE, CR, QUOTE))))


def _cuts(data: bytes, ends: np.ndarray, start: int, cut_mask: int, max_records: int) -> list[int]:
    """Indices into ``ends`` after which a segment ends: after every record whose hash is a cut, and
    every ``max_records`` records where none is. No minimum length: a rule that skips cuts near the
    last one lets one changed record move every later cut of a run of close ones."""
    candidates = np.flatnonzero(_record_hash(data, ends, start) & cut_mask == 0)
    chosen: list[int] = []
    last = -1
    for index in [*candidates.tolist(), len(ends) - 1]:
        while index - last > max_records:
            last += max_records
            chosen.append(last)
        if index > last:
            chosen.append(index)
            last = index
    return chosen  # ends with the last record, which ends the last segment


def _record_hash(data: bytes, ends: np.ndarray, start: int) -> np.ndarray:
    """A hash of each record's first and last WINDOW bytes and its length (numpy, no per-record Python),
    from the record's own bytes only.

    The head usually holds the record's key, so records that end alike still hash apart.
    """
    begins = np.concatenate(([start], ends[:-1])).astype(np.int64)
    ends = ends.astype(np.int64)
    if len(data) < 8:
        return (ends - begins).astype(np.uint64)
    # Every 8-byte window of the file as one unaligned little-endian word: one gather per word.
    words = np.ndarray(shape=(len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))
    last = len(data) - 8
    mixed = (ends - begins).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    offsets = [begins + 8 * k for k in range(WINDOW // 8)] + [ends - 1 - 8 * (k + 1) for k in range(WINDOW // 8)]
    with np.errstate(over="ignore"):
        for offset in offsets:
            # Only words wholly inside the record: its hash must not change when a neighbour does.
            inside = (offset >= begins) & (offset + 8 <= ends)
            word = np.where(inside, words[np.clip(offset, 0, last)], np.uint64(0))
            mixed = (mixed ^ word) * np.uint64(0xBF58476D1CE4E5B9)
            mixed ^= mixed >> np.uint64(31)
    return mixed


def _sha256(data: bytes, start: int, stop: int) -> str:
    return hashlib.sha256(memoryview(data)[start:stop]).hexdigest()
