"""A changed segment's records that the file's previous segments already worked on, reused.

A pull request changes a few rows of a segment of about 4,000 records: the segment's bytes, and so
its cache key, are new, but nearly every record in it is, byte for byte, a record of a segment the
file had before. Everything a segment's work holds is row-local — a row's shape, each cell's type
and constraints, its typed value, the personal numbers written in it (pipeline/validate/fast.py,
scan.py's ``_work_table``) — so such a record's results are the old row's, moved to its new place.
Only records found in none of the previous segments are parsed and checked.

The previous segments are those of the file's last cut that its new cut no longer has
(scan_store.py's ``remember_last_cut``). One is used only when its stored bytes hash to the digest
its key was made from and its stored work is sound and of as many records as its bytes hold;
anything else leaves its records to be worked on. Reused or not, a segment's work is the same:
tests compare it with the work of its bytes, field for field (tests/test_validate_reuse.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pipeline.validate.scan_store import SegmentWork
from pipeline.validate.segments import record_ends


@dataclass
class PreviousSegment:
    """A segment of the file's last cut: its records' bytes, and its work with both tables loaded."""

    records: list[bytes]
    work: SegmentWork


def split_records(data: bytes) -> list[bytes] | None:
    """The bytes of each record of ``data`` (whole records, no header), newline included; None when
    the quoting is not regular (such a file is never cut, so it never comes here)."""
    ends = record_ends(data)
    if ends is None:
        return None
    bounds = [0, *ends.tolist()]
    if bounds[-1] < len(data):
        bounds.append(len(data))  # the file's last record, without a newline
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


@dataclass
class Matching:
    """Where each row of some segments comes from: a previous segment's row, or a record to work on."""

    sources: list[tuple[np.ndarray, np.ndarray]]  # per segment: each row's source (len(previous): fresh) and row there
    fresh: list[bytes]  # the records found in no previous segment, in order, each ending with a newline

    @property
    def records(self) -> bytes:
        return b"".join(self.fresh)


def matched(segments: list[bytes], previous: list[PreviousSegment]) -> Matching | None:
    """Each record of ``segments`` (bytes of whole records) found in ``previous`` or to be worked on;
    None, and the caller works on the segments whole, when no record is found or a segment's records
    cannot be told apart."""
    found: dict[bytes, tuple[int, int]] = {}
    for number, segment in enumerate(previous):
        for row, record in enumerate(segment.records):
            found.setdefault(record, (number, row))
    fresh: list[bytes] = []
    sources: list[tuple[np.ndarray, np.ndarray]] = []
    reused = 0
    for data in segments:
        records = split_records(data)
        if records is None:
            return None
        source = np.empty(len(records), dtype=np.int64)
        row = np.empty(len(records), dtype=np.int64)
        for index, record in enumerate(records):
            hit = found.get(record)
            if hit is None:
                source[index], row[index] = len(previous), len(fresh)
                fresh.append(record if record.endswith(b"\n") else record + b"\n")
            else:
                source[index], row[index] = hit
                reused += 1
        sources.append((source, row))
    return Matching(sources, fresh) if reused else None


def assembled_work(matching: Matching, previous: list[PreviousSegment],
                   worked: SegmentWork | None) -> list[SegmentWork] | None:
    """Each segment's work from ``matching``: a previous row's results, or those of ``worked`` (the
    fresh records' work, one row each, in order). None when ``worked`` is not one row a fresh record
    or is typed otherwise than the previous segments: the caller then works on the segments whole."""
    if matching.fresh and (worked is None or worked.records != len(matching.fresh)):
        return None
    works = [segment.work for segment in previous] + ([worked] if matching.fresh else [])
    try:
        typed = _joined([work.typed for work in works])
        keys = _joined([work.keys for work in works]) if works[0].keys.num_columns else None
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    starts = np.cumsum([0] + [work.records for work in works])
    by_row = [_by_row(work) for work in works]
    return [_assembled(source, row, starts, by_row, typed, keys) for source, row in matching.sources]


def _joined(tables: list[pa.Table]) -> pa.Table:
    # One piece: Arrow's take on text in pieces joins them all at every call.
    return pa.concat_tables(tables).combine_chunks()


@dataclass
class _RowResults:
    errors: dict[int, list[dict]]
    blank: set[int]
    personal: dict[int, list[list]]


def _by_row(work: SegmentWork) -> _RowResults:
    errors: dict[int, list[dict]] = {}
    for error in work.errors:
        errors.setdefault(error["rowNumber"], []).append(error)
    personal: dict[int, list[list]] = {}
    for item in work.personal:
        personal.setdefault(item[1], []).append(item)
    return _RowResults(errors, set(work.blank), personal)


def _assembled(source: np.ndarray, row: np.ndarray, starts: np.ndarray, by_row: list[_RowResults],
               typed: pa.Table, keys: pa.Table | None) -> SegmentWork:
    """One segment's work from its rows' sources: its rows in order, each row's results at its new index."""
    errors: list[dict] = []
    blank: list[int] = []
    personal: list[list] = []
    for index, (number, old) in enumerate(zip(source.tolist(), row.tolist())):
        results = by_row[number]
        errors += [{**error, "rowNumber": index} for error in results.errors.get(old, ())]
        if old in results.blank:
            blank.append(index)
        personal += [[field, index, kind, masked] for field, _, kind, masked in results.personal.get(old, ())]
    taken = pa.array(starts[source] + row, type=pa.int64())
    return SegmentWork(len(source), errors, blank, personal, typed.take(taken),
                       keys.take(taken) if keys is not None else pa.table({}))
