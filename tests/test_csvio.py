"""Canonical CSV: LF line ends, and no cell can break a row."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.csv_write import csv_text, format_cell


def test_bare_carriage_return_is_quoted():
    assert csv_text(["a", "b"], [["x\ry", "z"]]) == 'a,b\n"x\ry","z"\n'


def test_plain_rows_stay_minimal():
    assert csv_text(["a", "b"], [["x", None], [True, ["p", "q"]]]) == "a,b\nx,\ntrue,p;q\n"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(max_size=6), min_size=2, max_size=2), max_size=5))
def test_any_cells_read_back_exactly(rows):
    text = csv_text(["a", "b"], rows)
    assert list(csv.reader(io.StringIO(text, newline="")))[1:] == [[format_cell(c) for c in r] for r in rows]
