"""The finding codes no test produced before: one fixture per defect, named after it, with the
exact findings of both engines (tests/test_docs_drift.py requires every code to be produced in a test)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.package import load
from pipeline.validate import files as validate_files
from pipeline.validate import validate
from pipeline.validate.files import FileFacts
from pipeline.validate.translate import RowMapper, translate
from tests.conftest import make_tiny
from tests.test_validate import flat


def short_row(folder: Path) -> None:
    """A record with one cell fewer than the header (its last, required cell is not there)."""
    path = folder / "departments.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def duplicate_composite_key(folder: Path) -> None:
    """item_cases has a key of three fields and no unique field: the first record, again at the end."""
    path = folder / "item_cases.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")


@pytest.mark.parametrize("engine", ["fast", "frictionless"])
def test_short_row_is_a_missing_cell(tiny, engine):
    short_row(tiny)
    report, ledger = validate(tiny, engine=engine)
    assert flat(report) == [("departments.csv", 3, "region_code", "constraint-error"),
                            ("departments.csv", 3, "region_code", "missing-cell")]
    assert report.findings[1].message_zh == "这一行的单元格比表头少，字段 region_code 没有值的位置。"
    assert not report.valid


@pytest.mark.parametrize("engine", ["fast", "frictionless"])
def test_duplicate_composite_key_is_a_primary_key_error(tiny, engine):
    duplicate_composite_key(tiny)
    report, _ = validate(tiny, engine=engine)
    assert flat(report) == [("item_cases.csv", 6, "item_id+region_code+month", "primary-key")]
    assert report.findings[0].message_zh == "这一行的 item_id+region_code+month 组合与第 2 行重复。"


def test_oversized_file_is_reported_alone(tiny, monkeypatch):
    monkeypatch.setattr(validate_files, "MAX_FILE_BYTES", 1000)  # issues/2026.csv has 1,404 bytes, the rest less
    report, ledger = validate(tiny)
    assert flat(report) == [("issues/2026.csv", None, None, "file-too-large")]
    assert report.findings[0].message_zh == "文件大小 1404 字节，超过上限 1000 字节。"
    assert ledger is None


KNOWN = {"type-error", "constraint-error", "unique-error", "primary-key", "foreign-key", "missing-cell",
         "extra-cell", "blank-row", "integer-out-of-range", "number-out-of-range", "invisible-value"}


@settings(max_examples=50, deadline=None)
@given(kind=st.from_regex(r"[a-z]{1,12}(-[a-z]{1,12}){0,2}", fullmatch=True).filter(lambda k: k not in KNOWN),
       position=st.integers(2, 8), message=st.text(max_size=40))
def test_unknown_frictionless_error_type_is_a_frictionless_error(tiny_package, kind, position, message):
    """An error type frictionless may add (a row constraint, a hash check …) is shown as it is,
    on its file and spreadsheet row, never dropped and never a traceback."""
    package, facts = tiny_package
    finding = translate(package, "issues", RowMapper(facts), {"type": kind, "rowNumber": position, "message": message})
    assert (finding.code, finding.path, finding.row, finding.resource) == ("frictionless-error", "issues/2026.csv",
                                                                           position, "issues")
    assert kind in finding.message_en


@pytest.fixture(scope="module")
def tiny_package(tmp_path_factory):
    folder = make_tiny(tmp_path_factory.mktemp("drift") / "tiny")
    package = load(folder)
    rows = len((folder / "issues" / "2026.csv").read_text(encoding="utf-8").splitlines()) - 1
    return package, [FileFacts(file, rows) for file in package.files("issues")]
