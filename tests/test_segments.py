"""Cutting CSV files into segments: cuts fall only between records, parsing the segments one by
one gives exactly the records of the whole file, irregular quoting is never cut, and an edit or an
insertion changes only the segments around it."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.validate import segments
from pipeline.core.csv_read import read_text_table

NAMES = ["a", "b", "c"]
CELL = st.text(alphabet=st.sampled_from(list('ab中文,"\n\r 1;')), max_size=8)
ROWS = st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=0, max_size=40)


def to_csv(rows, terminator="\n") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator=terminator).writerows([NAMES, *rows])
    return out.getvalue().encode("utf-8")


def records(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.fixture(autouse=True)
def tiny_segments(monkeypatch):
    monkeypatch.setattr(segments, "CUT_MASK", 1)  # a cut candidate after about every second record
    monkeypatch.setattr(segments, "MAX_RECORDS", 4)


@settings(max_examples=300, deadline=None)
@given(rows=ROWS, terminator=st.sampled_from(["\n", "\r\n"]))
def test_segments_tile_the_body_and_parse_to_the_same_records(rows, terminator):
    data = to_csv(rows, terminator)
    found = segments.cut(data)
    assert found.header == (0, data.index(b"\n") + 1) or found.segments[0].with_header
    pieces = [data[s.start:s.stop] for s in found.segments]
    assert b"".join([data[:found.header[1]], *pieces]) == data
    if found.segments and found.segments[0].with_header:
        return
    assert [r for piece in pieces for r in records(piece)] == records(data)[1:]
    whole = read_text_table(data, NAMES).frame
    parts = [read_text_table(piece, NAMES, header=False).frame for piece in pieces]
    joined = [row for part in parts for row in part.astype(object).values.tolist()]
    assert joined == whole.astype(object).values.tolist()


@pytest.mark.parametrize("text", [
    'a,b,c\n1,5" pipe,x\n2,"multi\nline",y\n',  # a quote inside an unquoted cell
    'a,b,c\n1,"ab"c,x\n2,y,z\n',  # text after a closing quote
    'a,b,c\n1,"never closed,x\n2,y,z\n',  # an unclosed quote
])
def test_irregular_quoting_is_never_cut(text):
    data = text.encode("utf-8")
    found = segments.cut(data)
    assert [(s.start, s.stop, s.with_header) for s in found.segments] == [(0, len(data), True)]


def test_doubled_quotes_and_quoted_newlines_are_cut_between_records():
    data = to_csv([["1", 'say ""hi""', "x"], ["2", "two\nlines", 'q"'], ["3", "", ""]] * 5)
    found = segments.cut(data)
    assert len(found.segments) > 1 and not found.segments[0].with_header
    assert [r for s in found.segments for r in records(data[s.start:s.stop])] == records(data)[1:]


def test_a_header_only_file_has_no_segments():
    assert segments.cut(b"a,b,c\n").segments == []


def test_a_last_record_without_newline_is_its_own_end():
    data = b"a,b,c\n1,2,3\n4,5,6"
    assert b"".join(data[s.start:s.stop] for s in segments.cut(data).segments) == b"1,2,3\n4,5,6"


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0, max_value=1999), kind=st.sampled_from(["edit", "insert", "delete"]))
def test_a_change_touches_only_the_segments_around_it(monkeypatch, position, kind):
    monkeypatch.setattr(segments, "CUT_MASK", 31)
    monkeypatch.setattr(segments, "MAX_RECORDS", 256)
    rows = [[f"I-{i:05d}", f"标题{i * 7919 % 1000}", str(i % 13)] for i in range(2000)]
    before = {s.digest for s in segments.cut(to_csv(rows)).segments}
    if kind == "edit":
        rows[position][1] += "（已更正）"
    elif kind == "insert":
        rows.insert(position, ["I-99999", "新增", "0"])
    else:
        del rows[position]
    after = segments.cut(to_csv(rows)).segments
    assert len(before) > 20
    assert sum(s.digest not in before for s in after) <= 2
