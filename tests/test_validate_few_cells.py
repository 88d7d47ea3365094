"""A few records' field checks cell by cell (``fast._few_cells_errors``) against the column path.

Both paths must give the same error dictionaries in the same order for any column of text, any
field type and any mix of constraints, with blank rows skipped: the engines' own tests
(tests/test_engines.py) then hold for small segments and large ones alike.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.validate import fast

# Texts that reach every branch: numbers in several writings, out-of-range integers and numbers,
# dates, year-months, boolean words, invisible and non-ASCII text, newlines, enum values.
CELLS = st.one_of(
    st.none(),
    st.sampled_from(["", "0", "5", "+5", "05", "-3", "５", "٣", "1.5", "1e400", "nan", "inf", "-0",
                     "99999999999999999999", "9223372036854775807", "9223372036854775808",
                     "2026-03-05", "2026-3-5", "2026-02-30", "2026-03", "2026-13", "true", "false", "TRUE",
                     "1", "yes", "Q-001", "Q-001\n", "Q-٠٠١", "a,b", "a,,b", "\u3000", "\u200b", " ", "甲镇",
                     "basic", "cooperative", "a" * 12]),
    st.text(max_size=6),
)

SPECS = st.fixed_dictionaries(
    {"name": st.just("f"),
     "type": st.sampled_from(["string", "integer", "number", "date", "yearmonth", "boolean", "list"])},
    optional={"constraints": st.fixed_dictionaries({}, optional={
        "required": st.booleans(),
        "minLength": st.integers(0, 4),
        "maxLength": st.integers(0, 6),
        "minimum": st.sampled_from([0, 1, -5, "2026-03-01"]),
        "maximum": st.sampled_from([3, 100, 2.5, "2026-03-31"]),
        "pattern": st.sampled_from([r"Q-\d{3}", r"[a-z]+", r"\S+", r".*"]),
        "enum": st.sampled_from([["basic", "cooperative"], ["5", "1.5"], ["2026-03-05"], ["true"]]),
    })},
)


def text_of(cells: list) -> fast.ResourceText:
    """The cells as the parser hands a segment over: Arrow-backed text, positions from 2."""
    column = pd.Series(pd.array(cells, dtype=pd.ArrowDtype(pa.string())) if cells else
                       pd.array([], dtype=pd.ArrowDtype(pa.string())))
    return fast.ResourceText("r", pd.DataFrame({"f": column, "_pos": range(2, len(cells) + 2)}))


@settings(max_examples=400, deadline=None)
@given(spec=SPECS, cells=st.lists(CELLS, max_size=12), skipped=st.sets(st.integers(2, 13), max_size=3))
# RE2 and Python differ on a non-ASCII \d and on a trailing newline: both paths must ask Python there.
@example(spec={"name": "f", "type": "string", "constraints": {"pattern": r"Q-\d{3}"}},
         cells=["Q-٠٠١", "Q-001", "Q-001\n", "Q-1"], skipped=set())
@example(spec={"name": "f", "type": "string", "constraints": {"required": True}},
         cells=["\u3000", "\u200b", " a", None, ""], skipped={6})
def test_few_cells_give_the_column_path_s_errors(spec, cells, skipped):
    if spec.get("type") == "list" and {"minLength", "maxLength"} & set(spec.get("constraints", {})):
        spec = {**spec, "type": "string"}  # a list's lengths stay on the column path (``_list_length_checked``)
    try:
        expected = fast._column_errors(text_of(cells), spec, 3, skipped)
    except (pa.ArrowInvalid, TypeError, ValueError) as failure:  # a bound the type cannot compare
        with pytest.raises(type(failure)):
            fast._few_cells_errors(text_of(cells), spec, 3, skipped)
        return
    assert fast._few_cells_errors(text_of(cells), spec, 3, skipped) == expected


def test_a_few_records_take_the_cell_path_and_many_the_column_path(monkeypatch):
    taken: list[str] = []
    monkeypatch.setattr(fast, "_few_cells_errors", lambda *args: taken.append("cells") or [])
    monkeypatch.setattr(fast, "_column_errors", lambda *args: taken.append("columns") or [])
    spec = {"name": "f", "type": "integer"}
    fast.field_errors(text_of(["1"] * fast.FEW_RECORDS), spec, 1, set())
    fast.field_errors(text_of(["1"] * (fast.FEW_RECORDS + 1)), spec, 1, set())
    fast.field_errors(text_of(["a,b"]), {"name": "f", "type": "list", "constraints": {"maxLength": 1}}, 1, set())
    assert taken == ["cells", "columns", "columns"]


def test_the_cell_path_names_cell_row_and_rule():
    spec = {"name": "f", "type": "integer", "constraints": {"required": True, "maximum": 3}}
    errors = fast._few_cells_errors(text_of(["2", "", "x", "4", "99999999999999999999"]), spec, 2, {3})
    assert errors == [
        {"type": "type-error", "rowNumber": 4, "fieldName": "f", "fieldNumber": 2, "cell": "x",
         "note": 'type is "integer/default"'},
        {"type": "constraint-error", "rowNumber": 5, "fieldName": "f", "fieldNumber": 2, "cell": "4",
         "note": 'constraint "maximum" is "3"'},
        {"type": "constraint-error", "rowNumber": 6, "fieldName": "f", "fieldNumber": 2,
         "cell": "99999999999999999999", "note": 'constraint "maximum" is "3"'},
        {"type": "integer-out-of-range", "rowNumber": 6, "fieldName": "f", "fieldNumber": 2,
         "cell": "99999999999999999999", "note": ""},
    ]
