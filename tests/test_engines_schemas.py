"""Both engines on schemas other than the standard's: any descriptor frictionless accepts.

The data standard (pipeline/standard.json) is what validation runs on; a fork may write its own. Here
each case is a small standard of its own (``load(root, standard)``) and its CSV files, and the
structural checks of both engines — files, headers, types, constraints, keys — run on it: neither may
crash, and both must give the same findings as full tuples (path, row, field, code, value, message).
The cross-field rules are the standard's own and are not part of this comparison.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.core import findings as fd
from pipeline.core.cache import FileCache
from pipeline.core.package import load
from pipeline.validate import _report, first_positions, key_texts
from pipeline.validate.fast import handed_to_frictionless, structural_findings
from pipeline.validate.keys import key_check_errors
from pipeline.validate.files import FileFacts, check_files, with_record_counts
from pipeline.validate.scan import Planner, local_file_errors, plan_files, work_files
from pipeline.validate.structural import check_headers, handed_over_findings, run_frictionless


def write_case(root: Path, resources: list[dict], files: dict[str, str]) -> dict:
    """A data folder with ``files`` and a descriptor of ``resources``; returns it as the standard."""
    root.mkdir(parents=True, exist_ok=True)
    standard = {"resources": resources}
    (root / "datapackage.json").write_text(json.dumps({**standard, "as_of": "2026-01-01"}, ensure_ascii=False),
                                           encoding="utf-8")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(text.encode("utf-8"))
    return standard


def structural(root: Path, standard: dict, engine: str) -> list[tuple]:
    """The structural findings of one engine, as full tuples, in report order."""
    package = load(root, standard)
    found, facts = check_files(package)
    planner = Planner(package, FileCache(None))
    encoding, plans = plan_files(package, facts, planner)
    found += encoding + list(check_headers(package, facts, planner.held.read))
    if engine == "frictionless":
        found += run_frictionless(package, with_record_counts(facts))
    else:
        works = work_files(package, plans, FileCache(None))
        starts = {name: first_positions(items) for name, items in works.items()}
        local: dict[str, list[dict]] = {name: [] for name in works}
        blank: dict[str, set[int]] = {name: set() for name in works}
        for name, items in works.items():
            for work, start in zip(items, starts[name]):
                errors, rows = local_file_errors(work, start)
                local[name] += errors
                blank[name] |= rows
        keyed = key_check_errors(package, key_texts(package, works, starts))
        handed = handed_to_frictionless(package)
        errors = {name: local[name] + keyed.get(name, []) for name in works if name not in handed}
        counted = {name: [FileFacts(w.file, w.records) for w in items] for name, items in works.items()}
        found += structural_findings(package, errors, blank, counted)
        found += handed_over_findings(package, handed, counted)
    return [(f.path, f.row, f.field, f.code, f.value, f.message_zh) for f in _report(found, package.descriptor).findings]


def same(root: Path, standard: dict) -> list[tuple]:
    """Both engines' findings, the same but for the fast engine's note of a resource it hands over."""
    fast, reference = structural(root, standard, "fast"), structural(root, standard, "frictionless")
    assert [f for f in fast if f[3] != "engine-handoff"] == reference
    return fast


def one_table(root: Path, fields: list[dict], csv: str, **schema) -> list[tuple]:
    standard = write_case(root, [{"name": "t", "path": "t.csv", "schema": {"fields": fields, **schema}}],
                          {"t.csv": csv})
    return same(root, standard)


# --- the crashes of issue #15 ----------------------------------------------------------------------

def test_string_form_primary_key(tmp_path):
    fields = [{"name": "code", "type": "string"}, {"name": "n", "type": "integer"}]
    assert one_table(tmp_path, fields, "code,n\nx,1\ny,2\nx,3\n", primaryKey="code") == [
        ("t.csv", 4, "code", "primary-key", "x", "这一行的 code 组合与第 2 行重复。")]


def test_string_form_foreign_key(tmp_path):
    standard = write_case(tmp_path, [
        {"name": "a", "path": "a.csv", "schema": {"fields": [{"name": "code", "type": "string"}],
                                                   "primaryKey": "code"}},
        {"name": "b", "path": "b.csv", "schema": {"fields": [{"name": "a_code", "type": "string"}],
                                                   "foreignKeys": [{"fields": "a_code",
                                                                    "reference": {"resource": "a", "fields": "code"}}]}},
    ], {"a.csv": "code\nx\n", "b.csv": "a_code\nx\ny\n"})
    assert same(tmp_path, standard) == [
        ("b.csv", 3, "a_code", "foreign-key", "y", "字段 a_code 的值“y”在 a（code） 中找不到。")]


def test_nan_beside_a_minimum(tmp_path):
    fields = [{"name": "n", "type": "number", "constraints": {"minimum": 0}}]
    found = one_table(tmp_path, fields, "n\nNaN\n-NaN\nInfinity\n-Infinity\n")
    assert [(row, code, value) for _, row, _, code, value, _ in found] == [
        (2, "constraint-error", "NaN"), (2, "number-out-of-range", "NaN"),
        (3, "constraint-error", "-NaN"), (3, "number-out-of-range", "-NaN"),
        (4, "number-out-of-range", "Infinity"),
        (5, "constraint-error", "-Infinity"), (5, "number-out-of-range", "-Infinity")]
    assert found[0][5] == "字段 n 的值“NaN”不符合要求：不能小于 0。"


def test_signaling_nan_beside_a_maximum(tmp_path):
    """Stock frictionless raises decimal.InvalidOperation comparing sNaN with a bound: both read it as NaN."""
    fields = [{"name": "n", "type": "number", "constraints": {"maximum": 10, "enum": [1, 2]}}]
    found = one_table(tmp_path, fields, "n\nsNaN\n")
    assert [(row, code, value) for _, row, _, code, value, _ in found] == [
        (2, "constraint-error", "sNaN"), (2, "constraint-error", "sNaN"), (2, "number-out-of-range", "sNaN")]


# --- generated schemas: types × constraints × odd cells; no engine crashes, both agree ----------------

ODD = ["", " ", "0", "00", "+1", "-1", " 1", "1 ", "1.0", "1.00", "1e3", "-1E-2", "１２", "١٢", "1_000", "1,000",
       "NaN", "-NaN", "sNaN", "Infinity", "-inf", "1e309", "99999999999999999999", "true", "True", "yes", "0x1",
       "2026-01-01", "2026-1-1", "2026-02-30", "2026/01/01", "2026-01", "2026-13", "2026-1", "x", "路灯", "\u3000",
       "a,b", "a\nb", '"', "None", "null", "-", "T"]
TYPES = ["string", "integer", "number", "date", "yearmonth", "boolean"]
BOUND = {"integer": [0, 1, -5], "number": [0, 1.5, -5], "date": ["2026-01-01"], "yearmonth": ["2026-01"],
         "string": ["a"], "boolean": [True]}


@st.composite
def fields(draw, number: int):
    ftype = draw(st.sampled_from(TYPES + ["list", "datetime", "time", "year", "any", "geopoint"]))
    constraints: dict = {}
    for key in draw(st.sets(st.sampled_from(["required", "unique", "minLength", "maxLength", "minimum", "maximum",
                                             "pattern", "enum", "exclusiveMinimum"]), max_size=3)):
        if key in ("required", "unique"):
            constraints[key] = True
        elif key in ("minLength", "maxLength"):
            if ftype in ("string", "list"):
                constraints[key] = draw(st.integers(0, 3))
        elif key in ("minimum", "maximum", "exclusiveMinimum"):
            if ftype in BOUND and ftype not in ("string", "boolean"):
                constraints[key] = draw(st.sampled_from(BOUND[ftype]))
        elif key == "pattern":
            if ftype == "string":
                constraints[key] = draw(st.sampled_from([r"\d+", "[a-z]", "x|路灯", ".*"]))
        elif ftype in TYPES:
            pool = [v for v in ODD if v.strip()] if ftype == "string" else {
                "integer": [0, 1, 12], "number": [0, 1, 1.5], "date": ["2026-01-01"], "yearmonth": ["2026-01"],
                "boolean": [True]}[ftype]
            constraints[key] = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
    spec = {"name": f"f{number}", "type": ftype}
    if ftype == "boolean" and draw(st.booleans()):
        spec |= {"trueValues": ["是", "yes"], "falseValues": ["否", "no"]}
    if ftype == "list":
        spec |= {"delimiter": ";", "itemType": "string"}
    if ftype in ("number", "integer") and draw(st.integers(0, 4)) == 0:
        spec |= draw(st.sampled_from([{"groupChar": ","}, {"bareNumber": False}]))
    if ftype == "date" and draw(st.integers(0, 4)) == 0:
        spec["format"] = "%d/%m/%Y"
    return spec | ({"constraints": constraints} if constraints else {})


@st.composite
def tables(draw):
    count = draw(st.integers(1, 3))
    specs = [draw(fields(n)) for n in range(1, count + 1)]
    names = [s["name"] for s in specs]
    schema: dict = {"fields": specs}
    key = draw(st.sampled_from([None, "string", "list", "composite"]))
    if key == "string":
        schema["primaryKey"] = names[0]
    elif key == "list":
        schema["primaryKey"] = [names[0]]
    elif key == "composite" and count > 1:
        schema["primaryKey"] = names[:2]
    if draw(st.integers(0, 5)) == 0:
        schema["missingValues"] = ["", "-", "NA"]
    rows = draw(st.lists(st.lists(st.sampled_from(ODD + ["是", "否", "1,5", "2026-01-01T00:00:00", "12:00"]),
                                  min_size=max(count - 1, 0), max_size=count + 1), max_size=6))
    return schema, [names, *rows]


DIALECT = {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "skipInitialSpace": False, "header": True,
           "lineTerminator": "\n"}


def csv_text(rows: list[list[str]]) -> str:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=tables())
def test_generated_schemas_crash_neither_engine_and_agree(tmp_path_factory, case):
    schema, rows = case
    root = tmp_path_factory.mktemp("schema")
    standard = write_case(root, [{"name": "t", "path": "t.csv", "dialect": DIALECT, "schema": schema}],
                          {"t.csv": csv_text(rows)})
    same(root, standard)


# --- keys written differently ------------------------------------------------------------------------

def test_number_key_written_as_1_and_1_0_and_nan(tmp_path):
    """``1``, ``1.0``, ``1.00`` and ``1e0`` are one number (frictionless compares values); a NaN is a
    value (not an empty key) and equals nothing, not even another NaN."""
    fields = [{"name": "f1", "type": "number"}]
    found = one_table(tmp_path, fields, "f1\nNaN\nNaN\n1\n1.0\n1.00\n1e0\n-0\n0.0\n", primaryKey="f1")
    assert [(row, code, value, message) for _, row, _, code, value, message in found if code == "primary-key"] == [
        (5, "primary-key", "1.0", "这一行的 f1 组合与第 4 行重复。"),
        (6, "primary-key", "1.00", "这一行的 f1 组合与第 5 行重复。"),
        (7, "primary-key", "1e0", "这一行的 f1 组合与第 6 行重复。"),
        (9, "primary-key", "0.0", "这一行的 f1 组合与第 8 行重复。")]


def test_unique_date_written_as_2025_1_1_and_2025_01_01(tmp_path):
    """The same day written two ways is a duplicate; both engines show the day read (frictionless' cell)."""
    fields = [{"name": "d", "type": "date", "constraints": {"unique": True}},
              {"name": "n", "type": "integer", "constraints": {"unique": True}}]
    assert one_table(tmp_path, fields, "d,n\n2025-1-1,3\n2025-01-01,03\n") == [
        ("t.csv", 3, "d", "unique-error", "2025-01-01", "字段 d 的值“2025-01-01”重复出现（第一次出现在第 2 行）。"),
        ("t.csv", 3, "n", "unique-error", "3", "字段 n 的值“3”重复出现（第一次出现在第 2 行）。")]


def test_string_key_referencing_an_integer_key(tmp_path):
    """A text ``1`` is not the integer 1 (frictionless compares values of the fields' types); a number
    ``1.00`` is the integer 1; foreign keys across the files of a multipart resource and to itself ("")."""
    standard = write_case(tmp_path, [
        {"name": "a", "path": "a.csv", "schema": {"fields": [{"name": "id", "type": "integer"}], "primaryKey": ["id"]}},
        {"name": "b", "path": ["b1.csv", "b2.csv"], "schema": {
            "fields": [{"name": "a_id", "type": "string"}, {"name": "n", "type": "number"},
                       {"name": "self", "type": "integer"}],
            "foreignKeys": [{"fields": ["a_id"], "reference": {"resource": "a", "fields": ["id"]}},
                            {"fields": ["n"], "reference": {"resource": "a", "fields": ["id"]}},
                            {"fields": "self", "reference": {"resource": "", "fields": "self"}}]}},
    ], {"a.csv": "id\n1\n2\n", "b1.csv": "a_id,n,self\n1,1.00,1\n", "b2.csv": "a_id,n,self\n,NaN,3\n"})
    assert [(path, row, field, value) for path, row, field, code, value, _ in same(tmp_path, standard)
            if code == "foreign-key"] == [("b1.csv", 2, "a_id", "1"), ("b2.csv", 2, "n", "NaN")]


# --- a corpus from the Table Schema spec and frictionless' documented behaviour -------------------------

TWO = [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}]


def test_blank_rows_rows_of_spaces_extra_and_missing_cells(tmp_path):
    """A row of empty cells is blank; a row of spaces is not (its cells hold text); cells beyond the
    header are extra, cells short of it missing."""
    found = one_table(tmp_path, TWO, "id,name\n1,a\n,\n \" \"\n2,b,c\n3\n", primaryKey=["id"])
    assert [(row, field, code, value) for _, row, field, code, value, _ in found] == [
        (3, None, "blank-row", None), (4, "id", "constraint-error", ""), (4, "id", "type-error", ' " "'),
        (4, "name", "missing-cell", ""), (5, None, "extra-cell", "c"), (6, "name", "missing-cell", "")]


def test_space_before_a_quoted_cell(tmp_path):
    """With the dialect stated (skipInitialSpace false) both engines read `` "a"`` as written."""
    fields = [{"name": "code", "type": "string", "constraints": {"enum": ["a"]}}, {"name": "n", "type": "string"}]
    found = one_table(tmp_path, fields, 'code,n\n"a", "b"\n')
    assert found == []
    found = one_table(tmp_path / "2", list(reversed(fields)), 'n,code\n"b", "a"\n')
    assert [(row, code, value) for _, row, _, code, value, _ in found] == [(2, "constraint-error", ' "a"')]


def test_duplicate_and_blank_headers(tmp_path):
    found = one_table(tmp_path, TWO + [{"name": "x", "type": "string"}], "id,id,\n1,a,b\n")
    assert [(row, field, code, value) for _, row, field, code, value, _ in found] == [
        (1, "name", "duplicate-label", "id"), (1, "x", "blank-label", None)]


@pytest.mark.parametrize("ftype,cell,valid", [
    ("integer", " 5 ", True), ("integer", "+5", True), ("integer", "05", True), ("integer", "１２", True),
    ("integer", "1e3", False), ("integer", "1.0", False), ("integer", "1,000", False),
    ("number", "-1E-2", True), ("number", ".5", True), ("number", "1,5", False), ("number", "١٢", True),
    ("date", "2026-02-30", False), ("date", "2026-3-5", True), ("date", "2026/03/05", False),
    ("date", " 2026-03-05", False), ("yearmonth", "2026-13", False), ("yearmonth", "2026-1", True),
    ("boolean", "TRUE", True), ("boolean", "yes", False), ("boolean", " true", False),
])
def test_every_type_with_odd_values(tmp_path, ftype, cell, valid):
    found = one_table(tmp_path, [{"name": "v", "type": ftype}], csv_text([["v"], [cell]]))
    assert [code for *_, code, _, _ in found] == ([] if valid else ["type-error"])


def test_missing_values_go_to_frictionless(tmp_path):
    """``missingValues`` other than "" is a feature the fast engine leaves to frictionless, and says so."""
    fields = [{"name": "n", "type": "integer", "constraints": {"required": True}}, {"name": "s", "type": "string"}]
    found = one_table(tmp_path, fields, "n,s\n-,x\nNA,y\n5,z\n", missingValues=["", "-", "NA"])
    assert found == [
        ("datapackage.json", None, None, "engine-handoff", None,
         "资源 t 用到了快速校验没有实现的 Table Schema 功能（missingValues ['', '-', 'NA']），这个资源的类型、约束和主外键"
         "改由 frictionless 校验，结果相同，只是慢一些。"),
        ("t.csv", 2, "n", "constraint-error", "", "字段 n 的值“”不符合要求：必填字段不能为空。"),
        ("t.csv", 3, "n", "constraint-error", "", "字段 n 的值“”不符合要求：必填字段不能为空。")]


def test_custom_date_format_goes_to_frictionless_and_says_so_in_text(tmp_path):
    fields = [{"name": "d", "type": "date", "format": "%d/%m/%Y"}]
    found = one_table(tmp_path, fields, "d\n05/03/2026\n2026-03-05\n")
    assert [(row, code, value) for _, row, _, code, value, _ in found] == [
        (None, "engine-handoff", None), (3, "type-error", "2026-03-05")]
    text = fd.to_text(fd.Report.of(structural_findings_of(tmp_path)))
    assert '资源 t 用到了快速校验没有实现的 Table Schema 功能（field "d": format "%d/%m/%Y"）' in text


def structural_findings_of(root: Path) -> list[fd.Finding]:
    standard = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    package = load(root, {k: v for k, v in standard.items() if k != "as_of"})
    _, facts = check_files(package)
    counted = with_record_counts(facts)
    return list(handed_over_findings(package, handed_to_frictionless(package), counted))


def test_foreign_key_ties_a_resource_to_one_handed_over(tmp_path):
    """Keys are checked on both sides by one engine: a resource referencing a handed-over one goes too."""
    standard = write_case(tmp_path, [
        {"name": "a", "path": "a.csv", "schema": {"fields": [{"name": "t", "type": "time"}], "primaryKey": "t"}},
        {"name": "b", "path": "b.csv", "schema": {"fields": [{"name": "t", "type": "string"}],
                                                   "foreignKeys": [{"fields": "t", "reference": {"resource": "a",
                                                                                                  "fields": "t"}}]}},
    ], {"a.csv": "t\n12:00:00\n", "b.csv": "t\n12:00:00\n13:00:00\n"})
    found = same(tmp_path, standard)
    assert [(path, row, code, value) for path, row, _, code, value, _ in found] == [
        ("b.csv", 2, "foreign-key", "12:00:00"), ("b.csv", 3, "foreign-key", "13:00:00"),
        ("datapackage.json", None, "engine-handoff", None), ("datapackage.json", None, "engine-handoff", None)]


def test_descriptor_frictionless_rejects(tmp_path):
    """``exclusiveMinimum`` is Table Schema v2: frictionless 5.21 rejects it in this descriptor; both
    engines report that (in Chinese) instead of crashing."""
    fields = [{"name": "n", "type": "integer", "constraints": {"exclusiveMinimum": 0}}]
    found = one_table(tmp_path, fields, "n\n0\n")
    assert [code for *_, code, _, _ in found] == ["engine-handoff", "package-error"]
    assert found[1][5].startswith("数据包描述文件 datapackage.json 无法使用：frictionless 不接受这个描述文件（")
