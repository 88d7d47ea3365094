"""The CSV dialect: stated in full by the standard (so no engine guesses), read as stated by both engines.

pipeline/standard.json states every dialect property frictionless 5.21 reads (and the demo's descriptor,
made from it, too); every ``example`` is text, as the Data Package profiles want. A descriptor of a fork
written before may leave out a property whose default is the standard's value (Table Dialect: a
property left out has its default), and still write an example as a number; a property stated with
another value is a ``descriptor-differs`` naming it. A package of its own with another dialect
(``;``, ``skipInitialSpace``, no header row…) is read the same way by both engines: the fast engine
hands it to frictionless, and the header check (ours, in both) reads the header with that dialect.
"""

from __future__ import annotations

import json
from pathlib import Path

import frictionless
import pytest
from frictionless.dialect.dialect import CSV_PROPS_V1

from pipeline.validate import validate
from tests.conftest import STANDARD
from tests.test_engines_schemas import same, write_case

STANDARD_JSON = json.loads(STANDARD.read_text(encoding="utf-8"))
FULL_DIALECT = {"delimiter": ",", "lineTerminator": "\n", "quoteChar": '"', "doubleQuote": True,
                "skipInitialSpace": False, "header": True, "headerRows": [1], "headerJoin": " ", "commentRows": [],
                "headerCase": True, "skipBlankRows": False}
# what frictionless reads of a dialect and has no value to state: no comment character, no escape
# character, no null sequence (an empty string or null is no "none" in the profiles)
NOTHING_TO_STATE = {"commentChar", "escapeChar", "nullSequence"}


def read(folder: Path) -> dict:
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


def save(folder: Path, descriptor: dict) -> None:
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")


# --- the standard and the demo state the dialect in full; examples are text ---------------------------

def test_standard_leaves_a_dialect_property_unstated():
    """Every property frictionless 5.21 reads from a dialect (its own and the CSV ones) is stated."""
    read_by_frictionless = (set(frictionless.Dialect.metadata_profile["properties"])
                            - {"name", "type", "title", "description"}) | set(CSV_PROPS_V1)
    assert read_by_frictionless - NOTHING_TO_STATE == set(FULL_DIALECT)
    for resource in STANDARD_JSON["resources"]:
        assert resource["dialect"] == FULL_DIALECT, resource["name"]
        stated = frictionless.Dialect.from_descriptor(resource["dialect"])
        assert (stated.header, stated.header_rows, stated.comment_rows, stated.skip_blank_rows) == (True, [1], [], False)
        control = stated.get_control("csv")
        assert (control.delimiter, control.quote_char, control.double_quote, control.skip_initial_space,
                control.line_terminator) == (",", '"', True, False, "\n")


def test_numeric_example_where_the_profile_wants_text():
    examples = {(r["name"], f["name"]): f["example"] for r in STANDARD_JSON["resources"] for f in r["schema"]["fields"]}
    assert {key: value for key, value in examples.items() if not isinstance(value, str)} == {}
    assert examples[("deadline_rules", "limit")] == "3"
    assert examples[("claims", "value")] == "3227"


def test_demo_descriptor_with_a_short_dialect(bundled_demo):
    """The demo's descriptor is written from the standard: the same full dialect, the same text examples."""
    demo = read(bundled_demo)
    for resource in demo["resources"]:
        assert resource["dialect"] == FULL_DIALECT, resource["name"]
        assert all(isinstance(f["example"], str) for f in resource["schema"]["fields"]), resource["name"]


# --- a clerk's descriptor: left out is the default; stated otherwise is named ---------------------------

def _short_dialect(d):  # as every descriptor was written before the standard stated the dialect in full
    for resource in d["resources"]:
        resource["dialect"] = {"delimiter": ",", "header": True}


def _no_dialect(d):
    for resource in d["resources"]:
        del resource["dialect"]


def _crlf_dialect(d):  # a reader takes either line end
    for resource in d["resources"]:
        resource["dialect"]["lineTerminator"] = "\r\n"


def _numeric_examples(d):
    for resource in d["resources"]:
        for spec in resource["schema"]["fields"]:
            if spec["type"] in ("integer", "number") and spec["example"].isdigit():
                spec["example"] = int(spec["example"])


@pytest.mark.parametrize("change", [_short_dialect, _no_dialect, _crlf_dialect, _numeric_examples],
                         ids=lambda change: change.__name__.strip("_"))
def test_older_descriptor_reads_as_a_difference(tiny, change):
    descriptor = read(tiny)
    change(descriptor)
    save(tiny, descriptor)
    report, _ = validate(tiny)
    assert [f.code for f in report.findings if f.path == "datapackage.json"] == []
    assert report.valid


@pytest.mark.parametrize("key,value,message", [
    ("skipInitialSpace", True,
     "资源“regions”的分隔符后的空格（dialect.skipInitialSpace）与数据标准不同：标准为 false，这里为 true。"),
    ("headerRows", [2], "资源“regions”的表头所在行（dialect.headerRows）与数据标准不同：标准为 [1]，这里为 [2]。"),
    ("lineTerminator", "\r",
     '资源“regions”的换行符（dialect.lineTerminator）与数据标准不同：标准为 "\\n"，这里为 "\\r"。'),
])
def test_dialect_stated_otherwise_goes_unnamed(tiny, key, value, message):
    descriptor = read(tiny)
    next(r for r in descriptor["resources"] if r["name"] == "regions")["dialect"][key] = value
    save(tiny, descriptor)
    report, _ = validate(tiny)
    differs = [f for f in report.findings if f.code == "descriptor-differs"]
    assert [(f.resource, f.message_zh) for f in differs] == [("regions", message)]


# --- both engines on a package of its own whose dialect is not the default ----------------------------

FIELDS = [{"name": "id", "type": "integer", "constraints": {"required": True}},
          {"name": "name", "type": "string", "constraints": {"enum": ["a", "b"]}}]


def dialect_case(root: Path, dialect: dict, text: str) -> list[tuple]:
    standard = write_case(root, [{"name": "t", "path": "t.csv", "dialect": dialect, "schema": {"fields": FIELDS}}],
                          {"t.csv": text})
    return [(row, field, code, value) for _, row, field, code, value, _ in same(root, standard)]


HANDOFF = (None, None, "engine-handoff", None)


def test_semicolon_delimited_header_read_with_commas(tmp_path):
    """frictionless reads ``id;name`` as two labels; so must the header check of both engines."""
    assert dialect_case(tmp_path, {"delimiter": ";"}, "id;name\n1;a\n2; b\nx;a,b\n") == [
        HANDOFF, (3, "name", "constraint-error", " b"), (4, "id", "type-error", "x"),
        (4, "name", "constraint-error", "a,b")]
    assert dialect_case(tmp_path / "2", {"delimiter": ";"}, "id;nom\n1;a\n") == [
        HANDOFF, (1, "name", "incorrect-label", "nom")]


def test_first_data_row_of_a_headerless_file_checked_as_a_header(tmp_path):
    """``header: false``: the fields are read by position; there is no label to check."""
    assert dialect_case(tmp_path, {"header": False}, "1,a\n2,c\n") == [HANDOFF, (2, "name", "constraint-error", "c")]


@pytest.mark.parametrize("dialect,text,expected", [
    ({"skipInitialSpace": True}, 'id, name\n1, "a"\n2,  c\n', [(3, "name", "constraint-error", "c")]),
    ({"quoteChar": "'"}, "id,name\n1,'a'\n2,\"b\"\n", [(3, "name", "constraint-error", '"b"')]),
    ({"doubleQuote": False, "escapeChar": "\\"}, 'id,name\n1,"a\\"b"\n', [(2, "name", "constraint-error", 'a"b')]),
    ({"commentChar": "#"}, "id,name\n#x,y\n1,a\n", []),
    ({"skipBlankRows": True}, "id,name\n\n1,a\n", []),
], ids=["skip-initial-space", "quote-char", "escape-char", "comment-char", "skip-blank-rows"])
def test_engines_agree_on_another_dialect(tmp_path, dialect, text, expected):
    assert dialect_case(tmp_path, dialect, text) == [HANDOFF] + expected


def test_line_terminator_sends_a_resource_to_frictionless(tmp_path):
    """``lineTerminator`` changes no reading (either line end is taken): no hand-over."""
    assert dialect_case(tmp_path, {"lineTerminator": "\r\n"}, "id,name\r\n1,a\r\n2,c\r\n") == [
        (3, "name", "constraint-error", "c")]
    assert dialect_case(tmp_path / "2", FULL_DIALECT, "id,name\n1,a\n2,c\n") == [(3, "name", "constraint-error", "c")]
