"""A changed segment's records that a previous segment of the file already worked on keep that work
(pipeline/validate/reuse.py): the segment's work is the same as working on its bytes whole, and only
the records found nowhere are parsed, all of a resource's in one parse (issue #21)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipeline.core.cache import FileCache
from pipeline.core.package import load
from pipeline.validate import scan, scan_store, segments, validate
from pipeline.validate.reuse import PreviousSegment, assembled_work, matched, split_records
from tests.conftest import FIXTURES, make_tiny, recorded_calls
from tests.test_validate_incremental import read, write

ISSUES = "issues/2026.csv"
TINY = (FIXTURES / "tiny" / ISSUES).read_text(encoding="utf-8").splitlines()
HEADER = TINY[0].split(",")
ROWS = [next(csv.reader([line])) for line in TINY[1:]]
# Cells of every kind the row checks tell apart: valid, of the wrong type, out of a list, too short,
# a personal number, a quoted newline and comma, invisible, empty.
CELLS = ["", "2026-03-02", "2026/3/5", "not a date", "simple", "urgent", "村道路灯损坏需维修", "短",
         "村民13812345678反映", "第一行\n第二行, 还有", "\u200b", "Q-001", "Q-900", "true", "maybe", "0"]


def rows_strategy():
    row = st.builds(lambda base, changes: _changed(base, changes), st.sampled_from(ROWS),
                    st.lists(st.tuples(st.integers(0, len(HEADER) - 1), st.sampled_from(CELLS)), max_size=3))
    odd = st.sampled_from([[], ["Q-050", "hotline"], ROWS[0] + ["extra"]])  # blank, short, long rows
    return st.lists(st.one_of(row, row, row, odd), min_size=1, max_size=24)


def _changed(base: list[str], changes: list[tuple[int, str]]) -> list[str]:
    row = list(base)
    for column, value in changes:
        row[column] = value
    return row


def body(rows: list[list[str]], last_newline: bool = True) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    text = out.getvalue()
    return (text if last_newline else text.rstrip("\n")).encode("utf-8")


def edited(rows: list[list[str]], edits: list[tuple[str, int, list[str]]]) -> list[list[str]]:
    rows = [list(r) for r in rows]
    for what, at, row in edits:
        at %= len(rows) + 1
        if what == "insert" or not rows or at == len(rows):
            rows.insert(at, row)
        elif what == "delete":
            del rows[at]
        elif what == "move":
            rows.append(rows.pop(at))
        else:
            rows[at] = row
    return rows


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    return load(make_tiny(tmp_path_factory.mktemp("reuse") / "tiny"))


def key_names(package) -> list[str]:
    return scan._key_names(package, "issues")


def whole_work(package, data: bytes):
    """The segments of ``data`` (a body) and their work done whole, as a run without a cache does it."""
    file_cut = segments.cut(HEADER_BYTES + data)
    return file_cut, scan._work_segments(package, "issues", HEADER_BYTES + data, file_cut.segments, key_names(package))


HEADER_BYTES = (",".join(HEADER) + "\n").encode("utf-8")


def comparable(work) -> tuple:
    """A segment's work with its errors and personal numbers in one order (the report sorts findings)."""
    return (work.records, sorted(json.dumps(e, sort_keys=True, ensure_ascii=False) for e in work.errors),
            sorted(work.blank), sorted(map(tuple, work.personal)), work.typed.to_pylist(), work.keys.to_pylist(),
            work.digests)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=rows_strategy(),
       edits=st.lists(st.tuples(st.sampled_from(["insert", "delete", "replace", "move"]), st.integers(0, 30),
                                st.one_of(st.sampled_from(ROWS), rows_strategy().map(lambda rows: rows[0]))),
                      min_size=1, max_size=5),
       last_newline=st.booleans())
def test_reused_work_is_the_work_of_the_segments_bytes(package, monkeypatch, before, edits, last_newline):
    monkeypatch.setattr(segments, "MAX_RECORDS", 3)
    old_cut, old_works = whole_work(package, body(before))
    new_data = body(edited(before, edits), last_newline)
    assume(new_data)
    new_cut, expected = whole_work(package, new_data)
    assume(not any(s.with_header for s in old_cut.segments + new_cut.segments))
    old_bytes = HEADER_BYTES + body(before)
    new_bytes = HEADER_BYTES + new_data
    previous = [PreviousSegment(split_records(old_bytes[s.start:s.stop]), work)
                for s, work in zip(old_cut.segments, old_works)]
    parsed: list[int] = []

    def work_records(records: bytes, count: int):
        parsed.append(count)
        return scan._work_records(package, "issues", records, count, key_names(package))

    matching = matched([new_bytes[s.start:s.stop] for s in new_cut.segments], previous)
    got = None if matching is None else assembled_work(
        matching, previous, work_records(matching.records, len(matching.fresh)) if matching.fresh else None)
    old_records = {r for p in previous for r in p.records}
    new_records = [r for s in new_cut.segments for r in split_records(new_bytes[s.start:s.stop])]
    if not any(r in old_records for r in new_records):
        assert got is None and parsed == []
        return
    assert got is not None
    assert parsed == ([sum(r not in old_records for r in new_records)] if any(r not in old_records for r in new_records)
                      else [])
    assert [comparable(w) for w in got] == [comparable(w) for w in expected]


def test_split_records_keeps_quoted_newlines_and_a_last_record_without_one():
    data = b'a,"x\ny",1\nb,z,2\nc,w,3'
    assert split_records(data) == [b'a,"x\ny",1\n', b"b,z,2\n", b"c,w,3"]
    assert split_records(b'a,"x,1\n') is None  # an unclosed quote: never cut, never reused


def test_nothing_found_means_the_segments_are_worked_on_whole(package):
    _, works = whole_work(package, body(ROWS[:2]))
    previous = [PreviousSegment(split_records(body(ROWS[:2])), works[0])]
    assert matched([body(ROWS[2:4])], previous) is None
    assert matched([body(ROWS[1:3])], previous).fresh == [body(ROWS[2:3])]


# --- through validation, with a cache --------------------------------------------------------

@pytest.fixture
def parses(monkeypatch) -> list[tuple[str, int]]:
    """(resource, records) of every parse of fresh records."""
    return recorded_calls(monkeypatch, scan, "_work_records", lambda package, name, records, count, keys: (name, count))


def set_cell(folder: Path, rel: str, row: int, field: str, value: str) -> None:
    rows = read(folder, rel)
    rows[row - 1][rows[0].index(field)] = value
    write(folder, rel, rows)


def findings(report) -> list[tuple]:
    return [(f.code, f.path, f.row, f.field, f.value, f.message_zh) for f in report.findings]


def test_a_pull_request_parses_only_the_records_it_changed(tiny, tmp_path, three_record_segments, parses):
    cache = FileCache(tmp_path / "cache")
    assert validate(tiny, cache=cache)[0].valid
    assert parses == []  # a cold run works on whole segments
    set_cell(tiny, ISSUES, 3, "status", "resolved")
    set_cell(tiny, ISSUES, 9, "title", "村民13812345678反映")  # a personal number, reported from a fresh parse
    set_cell(tiny, "issue_events.csv", 4, "note", "已回访")
    cached = validate(tiny, cache=cache)[0]
    assert sorted(parses) == [("issue_events", 1), ("issues", 2)]  # one parse per resource, of the changed rows
    assert findings(cached) == findings(validate(tiny, cache=FileCache(None))[0])
    assert [(f.code, f.row, f.field) for f in cached.findings] == [("pii-mobile", 9, "title")]


def test_rows_moved_between_files_are_parsed_in_one_go(tmp_path, three_record_segments, parses):
    """Two files of one resource changed: their fresh records are worked on in one parse."""
    from pipeline.demo.generator import generate

    folder = tmp_path / "demo"
    generate(folder, issues=300, seed=3)
    cache = FileCache(tmp_path / "cache")
    validate(folder, cache=cache, ledger_needed=False)
    files = sorted(p.relative_to(folder).as_posix() for p in (folder / "issues").rglob("*.csv"))
    assert len(files) >= 2
    set_cell(folder, files[0], 2, "summary", "已回访并办结")
    set_cell(folder, files[-1], 3, "summary", "已回访并办结")
    cached = validate(folder, cache=cache, ledger_needed=False)[0]
    assert [call for call in parses if call[0] == "issues"] == [("issues", 2)]
    assert findings(cached) == findings(validate(folder, cache=FileCache(None))[0])


def test_stored_bytes_that_are_not_the_segments_are_not_used(tiny, tmp_path, three_record_segments, parses):
    """A records entry sealed here but holding other bytes (or altered, or cut short) lends nothing."""
    cache = FileCache(tmp_path / "cache")
    validate(tiny, cache=cache)
    stored = sorted((tmp_path / "cache").rglob("*.records.lz4"))
    assert stored
    for path in stored:
        path.write_bytes(path.read_bytes()[:-3])  # cut short: its seal no longer holds
    set_cell(tiny, ISSUES, 3, "status", "resolved")
    assert findings(validate(tiny, cache=cache)[0]) == findings(validate(tiny, cache=FileCache(None))[0])
    assert parses == []  # nothing reused: the changed segment was worked on whole


def test_recalled_records_must_hash_to_their_digest(tmp_path):
    cache = FileCache(tmp_path / "cache")
    data = body(ROWS[:3])
    digest = segments._sha256(data, 0, len(data))
    scan_store.store_records(cache, "k", data)
    assert scan_store.recall_records(cache, "k", digest, len(data)) == data
    scan_store.store_records(cache, "k", body(ROWS[1:4]))  # sealed here, but other bytes
    assert scan_store.recall_records(cache, "k", digest, len(data)) is None
    assert scan_store.recall_records(cache, "missing", digest, len(data)) is None


def test_a_misshapen_last_cut_lends_nothing(tiny, tmp_path, three_record_segments, parses):
    cache = FileCache(tmp_path / "cache")
    validate(tiny, cache=cache)
    package = load(tiny)
    key = scan_store.last_cut_key(package.files("issues")[0], scan.resource_salt(package, "issues"))
    assert scan_store.recall_last_cut(cache.get_json(key, "last.json"))
    cache.put_json(key, "last.json", {"segments": "all of them"})
    set_cell(tiny, ISSUES, 3, "status", "resolved")
    assert findings(validate(tiny, cache=cache)[0]) == findings(validate(tiny, cache=FileCache(None))[0])
    assert parses == []


def test_records_scanned_by_another_privacy_scanner_are_not_reused(tiny, tmp_path, three_record_segments, parses,
                                                                   monkeypatch):
    """The last cut is recorded under the resource's salt (its schema, the tool's and the privacy
    scanner's versions): a row's work from another scanner is not taken for this one's."""
    from pipeline.validate import privacy

    cache = FileCache(tmp_path / "cache")
    validate(tiny, cache=cache)
    monkeypatch.setattr(privacy, "VERSION", f"{privacy.VERSION}-next")
    set_cell(tiny, ISSUES, 3, "status", "resolved")
    assert findings(validate(tiny, cache=cache)[0]) == findings(validate(tiny, cache=FileCache(None))[0])
    assert parses == []


def test_a_previous_segment_larger_than_the_budget_is_not_read(tiny, tmp_path, three_record_segments, parses, monkeypatch):
    cache = FileCache(tmp_path / "cache")
    validate(tiny, cache=cache)
    monkeypatch.setattr(scan, "PREVIOUS_BYTES", 10)
    set_cell(tiny, ISSUES, 3, "status", "resolved")
    assert findings(validate(tiny, cache=cache)[0]) == findings(validate(tiny, cache=FileCache(None))[0])
    assert parses == []


def test_equal_columns_digest_alike_whatever_lies_under_their_nulls():
    """A date column parsed holds NaT's bytes under a null, one taken from others zeros: the same values."""
    import pandas as pd
    import pyarrow as pa

    parsed = pa.array(pd.Series(pd.to_datetime(["2026-01-01", None, "2026-01-03"])))
    taken = pa.concat_arrays([parsed, parsed]).take(pa.array([3, 4, 5]))
    assert parsed.buffers()[1].to_pybytes()[8:16] != taken.buffers()[1].to_pybytes()[8:16]
    assert scan_store.column_digest(parsed) == scan_store.column_digest(taken)
    text = pa.array(["a", None, "c"])
    assert scan_store.column_digest(text) == scan_store.column_digest(pa.concat_arrays([text, text]).take(pa.array([3, 4, 5])))
    assert scan_store.column_digest(pa.array([1, None])) != scan_store.column_digest(pa.array([1, 0]))
    assert scan_store.column_digest(pa.array(["", None])) != scan_store.column_digest(pa.array([None, ""]))


def test_a_null_slot_spanning_bytes_digests_as_an_empty_one():
    """Arrow's parser and take give a null slot no bytes; one that has some still digests as its value."""
    import numpy as np
    import pyarrow as pa

    validity = pa.py_buffer(np.packbits([1, 0], bitorder="little").tobytes())
    spanning = pa.Array.from_buffers(pa.string(), 2, [validity, pa.py_buffer(np.array([0, 2, 4], dtype=np.int32)
                                                                              .tobytes()), pa.py_buffer(b"abzz")],
                                     null_count=1)
    assert scan_store.column_digest(spanning) == scan_store.column_digest(pa.array(["ab", None]))
