"""Values that validate and then break: whatever validation accepts, the ledger reads and every
download writes — in its canonical text — and whatever the ledger or a download cannot hold is a
finding, the same in both engines (pipeline/core/values.py).

Each defect has its test, run with both engines; the hypothesis test at the end checks the
promise itself on generated integer, number and date text.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import sqlite3
import unicodedata
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from frictionless import fields as ffields
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cli import cli
from pipeline.export.csv_export import CsvWriter
from pipeline.export.downloads import write_downloads
from pipeline.export.json_export import JsonWriter
from pipeline.export.parquet_export import ParquetWriter, arrow_schema
from pipeline.export.sqlite_export import sql_values
from pipeline.export.tables import ExportTable
from pipeline.core.ledger import convert
from pipeline.core.package import load
from pipeline.core.csv_read import TEXT
from pipeline.validate import validate
from pipeline.validate.fast import _pattern_mask, typed_values, value_checks
from pipeline.validate.structural import whole_value_patterns
from pipeline.core.values import canonical_text, invisible_mask, is_invisible
from tests.test_validate import edit_cell


def both(folder: Path) -> list[tuple]:
    """The findings (file, row, field, code, value, Chinese message) — the same from both engines."""
    found = {}
    for engine in ("fast", "frictionless"):
        report, _ = validate(folder, engine=engine)
        found[engine] = [(f.path, f.row, f.field, f.code, f.value, f.message_zh) for f in report.findings]
    assert found["fast"] == found["frictionless"]
    return found["fast"]


# --- 1. NaN, Infinity, 1e309 in a number field ---------------------------------------------------

@pytest.mark.parametrize("text,reason", [
    ("NaN", "NaN 表示“不是数字”"), ("nan", "NaN 表示“不是数字”"), ("sNaN", "NaN 表示“不是数字”"),
    ("Infinity", "这是无穷大"), ("-inf", "这是无穷大"),
    ("1e309", "绝对值超出双精度浮点数的范围（约 1.8×10^308），会变成无穷大"),
    ("-2e308", "绝对值超出双精度浮点数的范围（约 1.8×10^308），会变成无穷大"),
    ("1e-400", "太接近 0，双精度浮点数只能存为 0"),
])
def test_nan_infinity_and_1e309_in_a_number_field(tiny, text, reason):
    edit_cell(tiny, "claims.csv", 2, "value", text)
    assert both(tiny) == [("claims.csv", 2, "value", "number-out-of-range", text,
                           f"字段 value（数值）的值“{text}”不是可用的数字：{reason}。")]


def test_nan_in_a_number_field_stops_ledger_build_with_exit_1_not_a_crash(tiny, tmp_path):
    edit_cell(tiny, "claims.csv", 2, "value", "NaN")
    result = CliRunner().invoke(cli, ["build", "--data", str(tiny), "--out", str(tmp_path / "public")])
    assert result.exit_code == 1, result.output
    assert "[number-out-of-range]" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "public").exists()


def test_the_largest_finite_numbers_are_valid_and_read_back(tiny):
    edit_cell(tiny, "claims.csv", 2, "value", "1.7976931348623157e308")
    report, ledger = validate(tiny)
    assert list(report.findings) == []
    assert ledger.claims["value"].tolist() == [1.7976931348623157e308]


def test_a_date_whose_deadline_is_past_9999_is_reported_not_a_crash(tiny):
    edit_cell(tiny, "issues/2026.csv", 6, "assigned_on", "9999-12-31")  # its deadline has no date
    assert [row[:4] for row in both(tiny)] == [("issues/2026.csv", 6, "assigned_on", "date-after-as-of")]


def test_a_huge_finite_number_builds(tiny, tmp_path):
    """1e30 validates (a finite 64-bit float), so it must build: the claims page printed it with a
    Decimal quantize that stops at 28 digits."""
    from pipeline.build import BuildConfig, build
    from pipeline.render.claims import decimal_text

    assert decimal_text(1e30) == "1,000,000,000,000,000,000,000,000,000,000"  # as written
    assert decimal_text(12) == "12" and decimal_text(-3.5) == "−3.5"
    edit_cell(tiny, "claims.csv", 2, "value", "1e30")
    assert build(BuildConfig(data=tiny, out=tmp_path / "public")).report.valid


# --- 2. a 20-digit integer ------------------------------------------------------------------------

def test_twenty_digit_integer_is_out_of_range_not_a_crash(tiny):
    edit_cell(tiny, "surveys.csv", 2, "satisfied", "12345678901234567890")
    edit_cell(tiny, "surveys.csv", 3, "satisfied", "9223372036854775808")  # 2**63: one too many
    assert both(tiny) == [
        ("surveys.csv", 2, "satisfied", "integer-out-of-range", "12345678901234567890",
         "字段 satisfied（满意）的值“12345678901234567890”超出 64 位整数的范围"
         "（-9223372036854775808 至 9223372036854775807），下载文件和数据库都存不下。"),
        ("surveys.csv", 3, "satisfied", "integer-out-of-range", "9223372036854775808",
         "字段 satisfied（满意）的值“9223372036854775808”超出 64 位整数的范围"
         "（-9223372036854775808 至 9223372036854775807），下载文件和数据库都存不下。"),
    ]


def test_the_largest_64_bit_integer_is_read_back_and_refused(tiny):
    """Read back exactly, but not publishable exactly (above 2⁵³−1): issue #15, tests/test_totals.py."""
    edit_cell(tiny, "surveys.csv", 2, "satisfied", "9223372036854775807")
    report, ledger = validate(tiny)
    assert [(f.path, f.row, f.field, f.code, f.value) for f in report.findings] == [
        ("surveys.csv", 2, "satisfied", "integer-too-large", "9223372036854775807")]
    assert ledger.surveys["satisfied"].tolist() == [9223372036854775807, 2]


# --- 3. digits Python reads: canonical in every download --------------------------------------------

# What frictionless 5.x reads (its own cell readers): the answer both engines give.
FRICTIONLESS_READS = [
    ("integer", "١٢", 12), ("integer", "1_000", 1000), ("integer", "５", 5), ("integer", "+5", 5),
    ("integer", "05", 5), ("integer", " 5 ", 5), ("integer", "-0", 0),
    ("integer", "1.0", None), ("integer", "1e3", None), ("integer", "0x10", None), ("integer", "1,000", None),
    ("number", "١٢.٥", Decimal("12.5")), ("number", "1_000.5", Decimal("1000.5")), ("number", "+.5", Decimal("0.5")),
    ("number", "1e3", Decimal("1E+3")), ("number", "1,5", None),
    ("date", "2026-3-5", dt.date(2026, 3, 5)), ("date", "2026-03-05 ", None), ("date", "٢٠٢٦-٠٣-٠٥", None),
    ("date", "２０２６-０３-０５", None), ("date", "2026/03/05", None),
]


@pytest.mark.parametrize("ftype,text,value", FRICTIONLESS_READS)
def test_frictionless_reads_these_values_as_documented(ftype, text, value):
    """frictionless' answer (Python's int, Decimal and strptime), which both engines follow."""
    kind = {"integer": ffields.IntegerField, "number": ffields.NumberField, "date": ffields.DateField}[ftype]
    read, notes = kind(name="x").create_cell_reader()(text)
    assert (read, notes is None) == (value, value is not None)
    typed, present, invalid = typed_values(pd.Series([text], dtype=TEXT), {"name": "x", "type": ftype})
    assert bool(invalid[0]) == (value is None)


CANONICAL_CELLS = [  # (file, row, field, as written, as every download writes it)
    ("surveys.csv", 2, "very_satisfied", "١٢", "12"), ("surveys.csv", 2, "satisfied", "1_000", "1000"),
    ("surveys.csv", 2, "basic", "５", "5"), ("surveys.csv", 2, "dissatisfied", "+5", "5"),
    ("surveys.csv", 2, "very_dissatisfied", "05", "5"), ("surveys.csv", 3, "very_satisfied", " 7 ", "7"),
    ("claims.csv", 2, "value", "+1e3", "1000"), ("claims.csv", 2, "period_start", "2026-1-1", "2026-01-01"),
]


def test_arabic_indic_fullwidth_and_underscore_digits_are_canonical_in_every_download(tiny, tmp_path):
    for rel, row, field, text, _ in CANONICAL_CELLS:
        edit_cell(tiny, rel, row, field, text)
    assert both(tiny) == []
    report, ledger = validate(tiny)
    assert ledger.surveys.iloc[0][["very_satisfied", "satisfied", "basic", "dissatisfied",
                                   "very_dissatisfied"]].tolist() == [12, 1000, 5, 5, 5]
    assert ledger.claims["value"].tolist() == [1000.0]
    assert ledger.claims["period_start"].tolist() == [pd.Timestamp("2026-01-01")]
    package = load(tiny)
    exported = write_downloads(package, tmp_path)
    path = {(d.format, d.resource): tmp_path / d.path for d in exported.downloads}
    want = {(rel.removesuffix(".csv"), row, field): canon for rel, row, field, _, canon in CANONICAL_CELLS}
    typed = {"surveys": int, "claims": lambda text: float(text) if "-" not in text else text}
    db = sqlite3.connect(path[("sqlite", None)])
    for (name, row, field), canon in want.items():
        for fmt in ("csv", "csv-excel"):  # text as written: canonical, and pandas reads it as its type
            with path[(fmt, name)].open(encoding="utf-8-sig", newline="") as handle:
                assert list(csv.DictReader(handle))[row - 2][field] == canon, (fmt, name, field)
        frame = pd.read_csv(path[("csv", name)], encoding="utf-8")
        if field != "period_start":
            assert frame[field].dtype.kind in "if" and frame[field].iloc[row - 2] == typed[name](canon)
        records = json.loads(path[("json", name)].read_text(encoding="utf-8"))
        assert records[row - 2][field] == typed[name](canon)
        parquet = pq.read_table(path[("parquet", name)]).column(field).to_pylist()[row - 2]
        assert parquet == (dt.date.fromisoformat(canon) if field == "period_start" else typed[name](canon))
        (stored,) = db.execute(f'SELECT "{field}" FROM "{name}" WHERE rowid = ?', (row - 1,)).fetchone()
        assert stored == typed[name](canon)
    db.close()


# --- 4. a trailing newline in a code ------------------------------------------------------------------

def test_trailing_newline_in_a_code_fails_its_pattern(tiny):
    edit_cell(tiny, "inspections.csv", 2, "officer", "TYG-01\n")
    edit_cell(tiny, "inspections.csv", 3, "officer", "TYG-02\r\n")
    message = "字段 officer 的值“{}”不符合要求：格式不对，应符合 ^[A-Z]{{2,6}}-\\d{{2,6}}$（例如 TYG-017）。"
    assert both(tiny) == [
        ("inspections.csv", 2, "officer", "constraint-error", "TYG-01\n", message.format("TYG-01\n")),
        ("inspections.csv", 3, "officer", "constraint-error", "TYG-02\r\n", message.format("TYG-02\r\n")),
    ]


def test_frictionless_alone_would_pass_a_trailing_newline_so_it_gets_anchored_patterns():
    pattern = r"^[A-Z]{2,6}-\d{2,6}$"
    assert re.compile(f"^{pattern}$").match("TYG-01\n")  # how frictionless 5.x compiles a pattern
    descriptor = {"resources": [{"name": "r", "schema": {"fields": [
        {"name": "officer", "type": "string", "constraints": {"pattern": pattern}}]}}]}
    anchored = whole_value_patterns(descriptor)["resources"][0]["schema"]["fields"][0]["constraints"]["pattern"]
    assert anchored == r"(?:^[A-Z]{2,6}-\d{2,6}$)\Z"
    assert descriptor["resources"][0]["schema"]["fields"][0]["constraints"]["pattern"] == pattern  # a copy
    compiled = re.compile(f"^{anchored}$")
    assert not compiled.match("TYG-01\n") and compiled.match("TYG-01")
    cells = pd.Series(["TYG-01", "TYG-01\n", "TYG-٠١", "TYG-01\nX", "\nTYG-01"], dtype=TEXT)
    assert _pattern_mask(cells, pattern).tolist() == [True, False, True, False, False]


# --- 5. required text of blanks and zero-width characters ------------------------------------------------

INVISIBLE_NAMES = [  # (file, row, field, text, as the finding shows it)
    ("regions.csv", 2, "name", " ", "U+0020"), ("regions.csv", 3, "name", "\u200b", "U+200B"),
    ("regions.csv", 4, "name", "\u200c", "U+200C"), ("regions.csv", 5, "name", "\u200d", "U+200D"),
    ("regions.csv", 6, "name", "\u2060", "U+2060"), ("regions.csv", 7, "name", "\ufeff", "U+FEFF"),
    ("departments.csv", 2, "name", "\u3000", "U+3000"), ("departments.csv", 3, "name", "\u3000\u200b\t", "U+3000 U+200B U+0009"),
]


def test_blank_or_zero_width_required_name_is_reported(tiny):
    for rel, row, field, text, _ in INVISIBLE_NAMES:
        edit_cell(tiny, rel, row, field, text)
    edit_cell(tiny, "issues/2026.csv", 2, "summary", "\u200b")  # optional text: blank is allowed
    edit_cell(tiny, "issues/2026.csv", 3, "title", "\u200b路灯不亮\u3000")  # something shows: valid
    titles = {"regions": "名称", "departments": "部门名称"}
    assert both(tiny) == [
        (rel, row, field, "invisible-value", shown,
         f"必填字段 {field}（{titles[rel.removesuffix('.csv')]}）只有空格或不可见字符（{shown}），等于没有填写。")
        for rel, row, field, _, shown in sorted(INVISIBLE_NAMES)]


def test_is_invisible_knows_the_blank_characters():
    for text in [" ", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u3000", "\u00a0", "\u3164", "\u2800\u2028"]:
        assert is_invisible(text), repr(text)
    for text in ["", "a", "\u200b名", "。", "-", "\u0301"]:
        assert not is_invisible(text), repr(text)


def test_the_arrow_check_of_invisible_text_is_its_definition_for_every_character():
    """Both engines use the Arrow kernel (RE2's Unicode classes); it says what ``is_invisible`` says for
    every character Python's Unicode tables know (newer ones may differ: RE2's tables can be newer)."""
    chars = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) not in ("Cn", "Cs")]
    found = invisible_mask(pd.Series(chars, dtype=object)).tolist()
    assert [c for c, hit in zip(chars, found) if hit != is_invisible(c)] == []
    assert sum(found) > 300


# --- the promise: what validates, the ledger reads and the downloads write back equal --------------------

DIGITS = ["0123456789", "٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９", "۰۱۲۳۴۵۶۷۸۹", "०१२३४५६७८९"]


def _digits(text: str, script: str) -> str:
    return text.translate(str.maketrans("0123456789", script))


@st.composite
def integer_text(draw) -> str:
    value = draw(st.one_of(st.integers(-10 ** 6, 10 ** 6), st.integers(-(2 ** 64), 2 ** 64)))
    text = str(abs(value))
    if draw(st.booleans()) and len(text) > 1:
        cut = draw(st.integers(1, len(text) - 1))
        text = text[:cut] + "_" + text[cut:]
    text = "0" * draw(st.integers(0, 2)) + _digits(text, draw(st.sampled_from(DIGITS)))
    sign = "-" if value < 0 else draw(st.sampled_from(["", "", "+"]))
    return draw(st.sampled_from(["", " ", "\t"])) + sign + text + draw(st.sampled_from(["", " "]))


@st.composite
def number_text(draw) -> str:
    special = st.sampled_from(["NaN", "-Infinity", "inf", "1e309", "1e-400", "1E308", "-0", ".5", "5.", "1,5"])
    value = draw(st.floats(allow_nan=False, allow_infinity=False))
    plain = st.sampled_from([repr(value), f"{value:.6f}", f"{value:e}", str(Decimal(repr(value)).normalize())])
    text = draw(st.one_of(special, plain, integer_text()))
    return draw(st.sampled_from(["", "+"])) + text if not text.startswith(("-", "+", " ", "\t")) else text


@st.composite
def date_text(draw) -> str:
    day = draw(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)))
    pad = draw(st.booleans())
    text = f"{day.year:04d}-{day.month:02d}-{day.day:02d}" if pad else f"{day.year:04d}-{day.month}-{day.day}"
    return draw(st.sampled_from([text, text, _digits(text, draw(st.sampled_from(DIGITS))), text + " ", "2026-02-30"]))


TEXTS = {"integer": integer_text(), "number": number_text(), "date": date_text()}


def accepted(cells: list[str], spec: dict) -> tuple[list[str], list[object]]:
    """The cells the validator accepts and its value of each (the fast engine's own checks; whether
    the text is of the type at all is checked against frictionless' reader: both engines agree)."""
    column = pd.Series(cells, dtype=TEXT)
    typed, present, invalid = typed_values(column, spec)
    keep = present & ~invalid
    reader = {"integer": ffields.IntegerField, "number": ffields.NumberField,
              "date": ffields.DateField}[spec["type"]](name="x").create_cell_reader()
    for cell, ok in zip(cells, keep):
        assert (reader(cell)[1] is None) == bool(ok), repr(cell)
    for _, failing in value_checks(spec, column, keep):
        keep &= ~failing
    return [cells[i] for i in column.index if keep[i]], [typed[i] for i in column.index if keep[i]]


def write_all(writer, table: ExportTable) -> None:
    """``table``'s blocks through one of the writers the downloads use."""
    try:
        for batch in table.blocks():
            writer.write(batch)
    finally:
        writer.close()


def as_python(value: object, ftype: str) -> object:
    """The value a reader of the downloads gets: numbers as 64-bit floats."""
    return float(value) if ftype == "number" else value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_accepted_integer_number_and_date_reads_back_equal(tmp_path_factory, data):
    ftype = data.draw(st.sampled_from(sorted(TEXTS)))
    spec = {"name": "x", "type": ftype, "title": "值"}
    cells, values = accepted(data.draw(st.lists(TEXTS[ftype], min_size=1, max_size=12)), spec)
    if not cells:
        return
    expect = [as_python(v, ftype) for v in values]
    back = (lambda items: [dt.date.fromisoformat(v) for v in items]) if ftype == "date" else list
    # The ledger holds the value.
    held = convert(pd.Series(cells, dtype=TEXT).astype("str"), ftype).tolist()
    assert ([h.date() for h in held] if ftype == "date" else held) == expect
    # Every download writes it without error, in canonical text, and it reads back equal.
    folder = tmp_path_factory.mktemp("values")
    table = ExportTable(name="t", title="t", fields=[spec], text=pd.DataFrame({"x": pd.Series(cells, dtype=TEXT)}))
    write_all(CsvWriter(folder / "t.csv", table.fields), table)
    write_all(JsonWriter(folder / "t.json", table.fields), table)
    write_all(ParquetWriter(folder / "t.parquet", table.fields, arrow_schema(table.fields, "t", "t", "2026-04-30")), table)
    with (folder / "t.csv").open(encoding="utf-8", newline="") as handle:
        written = [row["x"] for row in csv.DictReader(handle)]
    assert written == [canonical_text(c, ftype) for c in cells]
    read_as = {"integer": "Int64", "number": "float64", "date": str}[ftype]
    assert back(pd.read_csv(folder / "t.csv", dtype={"x": read_as})["x"].tolist()) == expect
    assert back([r["x"] for r in json.loads((folder / "t.json").read_text(encoding="utf-8"))]) == expect
    assert pq.read_table(folder / "t.parquet").column("x").to_pylist() == expect
    assert back(sql_values(next(table.blocks()).column(0), spec).to_pylist()) == expect
