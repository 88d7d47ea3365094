"""The fast engine reports exactly what frictionless reports: a differential test.

Both engines run on every defect fixture of tests/test_validate.py and on
randomly broken copies of the tiny package (hypothesis), and must give the
same findings — same code, file, row, field, value and message.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.validate import validate
from tests.conftest import FIXTURES, write_descriptor
from tests.test_validate import CELL_DEFECTS, edit_cell


def findings(folder: Path, engine: str) -> list[tuple]:
    report, _ = validate(folder, engine=engine)
    return [(f.path, f.row, f.field, f.field_title, f.code, f.value, f.message_zh) for f in report.findings]


def assert_same(folder: Path) -> list[tuple]:
    fast, reference = findings(folder, "fast"), findings(folder, "frictionless")
    assert fast == reference
    return fast


def test_engines_agree_on_the_valid_package(tiny):
    assert assert_same(tiny) == []


@pytest.mark.parametrize("defect", sorted(CELL_DEFECTS))
def test_engines_agree_on_every_defect_fixture(tiny, defect):
    edit_cell(tiny, *CELL_DEFECTS[defect][0])
    assert assert_same(tiny)


def test_engines_agree_on_all_defects_at_once(tiny):
    for cell, _ in CELL_DEFECTS.values():
        edit_cell(tiny, *cell)
    assert len(assert_same(tiny)) >= 15


def test_unknown_engine_is_refused(tiny):
    with pytest.raises(ValueError, match="unknown engine 'duck'"):
        validate(tiny, engine="duck")


# --- generated broken data --------------------------------------------------------------

TABLES = ["regions.csv", "departments.csv", "meetings.csv", "issues/2026.csv", "issue_events.csv", "devolved_items.csv",
          "devolutions.csv", "item_cases.csv", "duty_items.csv", "evaluations.csv", "surveys.csv", "inspections.csv",
          "claims.csv", "burden_reports.csv", "burden_cuts.csv"]
NASTY = st.sampled_from(["", " ", "0", "-1", "1.5", "1e3", "１２", "2026-02-30", "2026-3-5", "2026/03/05", "2026-13",
                         "true", "TRUE", "yes", "Q-001", "M-001", "jtj", "990121001000", "resolved", "已办结",
                         "x" * 130, "a;b", "jtj;;zrzyj", "\n", "路灯坏了", "TYG-01", "tyg-01", "None",
                         # version 2: event kinds, list types and dates that break their cross-field rules
                         "extended", "supervised", "reassigned", "cooperative", "returned_up", "village", "Q-004",
                         "2026-03-01", "2026-03-06", "2025-01-01",
                         # burden: a month after as_of's, a village's code, a kind
                         "2026-05", "990121001001", "certificate",
                         # values that validated and then broke (pipeline/core/values.py)
                         "NaN", "-Infinity", "1e309", "12345678901234567890", "١٢", "1_000", "+5", "05",
                         "TYG-01\n", "990121001000\n", "\u200b", "\u3000", "\ufeff\u2060"])
TEXT = st.one_of(NASTY, st.text(max_size=8))


@st.composite
def mutations(draw):
    """A few edits: set a cell, drop a cell, add a cell, or duplicate/blank a row."""
    edits = []
    for _ in range(draw(st.integers(1, 4))):
        table = draw(st.sampled_from(TABLES))
        kind = draw(st.sampled_from(["set", "set", "set", "short", "long", "duplicate", "blank"]))
        edits.append((table, kind, draw(st.integers(0, 50)), draw(st.integers(0, 30)), draw(TEXT)))
    return edits


def apply(folder: Path, edits) -> None:
    for table, kind, row_pick, column_pick, value in edits:
        path = folder / table
        rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
        if len(rows) < 2:
            continue
        index = 1 + row_pick % (len(rows) - 1)
        column = column_pick % len(rows[0])
        if kind == "set":
            if column >= len(rows[index]):  # an earlier edit shortened or blanked this row
                continue
            rows[index][column] = value
        elif kind == "short":
            rows[index] = rows[index][:column]
        elif kind == "long":
            rows[index] = rows[index] + [value]
        elif kind == "duplicate":
            rows.append(list(rows[index]))
        else:
            rows.insert(index, [])
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=mutations())
def test_engines_agree_on_generated_broken_data(tmp_path_factory, edits):
    assert_same(broken_copy(tmp_path_factory, edits))


def broken_copy(tmp_path_factory, edits) -> Path:
    """A fresh copy of the tiny package with ``edits`` (``mutations()``) applied."""
    folder = tmp_path_factory.mktemp("broken") / "tiny"
    shutil.copytree(FIXTURES / "tiny", folder)
    write_descriptor(folder, "2026-04-30", ["issues/2026.csv"])
    apply(folder, edits)
    return folder


# --- a corpus after the issue's list, through the command line: whole JSON reports and exit codes ----------

def _blank_row(folder: Path) -> None:
    with (folder / "inspections.csv").open("a", encoding="utf-8", newline="") as handle:
        handle.write(",,,,,\n")


def _row_of_spaces(folder: Path) -> None:
    with (folder / "inspections.csv").open("a", encoding="utf-8", newline="") as handle:
        handle.write(" , , , , , \n")


def _year_files(folder: Path, evaluation_issue: str) -> None:
    """issues in two year files; an evaluation refers to an issue of the other file (a foreign key across
    the files of a multipart resource)."""
    lines = (folder / "issues" / "2026.csv").read_text(encoding="utf-8").splitlines()
    (folder / "issues" / "2025.csv").write_text(lines[0] + "\n" + lines[1].replace("Q-001", "Q-2025-9").replace(
        "2026-03-", "2025-03-") + "\n", encoding="utf-8")
    write_descriptor(folder, "2026-04-30", ["issues/2025.csv", "issues/2026.csv"])
    edit_cell(folder, "evaluations.csv", 3, "issue_id", evaluation_issue)


CORPUS = {
    "full-width-digits": (lambda f: edit_cell(f, "evaluations.csv", 2, "rating", "５"), []),
    "exponent-in-integer": (lambda f: edit_cell(f, "surveys.csv", 2, "satisfied", "2e1"),
                            [("type-error", "surveys.csv", 2, "satisfied", "2e1")]),
    "exponent-in-number": (lambda f: edit_cell(f, "claims.csv", 2, "value", "4e0"), []),
    "infinity-in-number": (lambda f: edit_cell(f, "claims.csv", 2, "value", "-Infinity"),
                           [("number-out-of-range", "claims.csv", 2, "value", "-Infinity")]),
    "impossible-date": (lambda f: edit_cell(f, "inspections.csv", 2, "inspected_on", "2026-02-30"),
                        [("type-error", "inspections.csv", 2, "inspected_on", "2026-02-30")]),
    "leap-day-of-a-common-year": (lambda f: (f / "holidays.csv").write_text("date,kind,name\n2025-02-29,holiday,春节\n",
                                                                             encoding="utf-8"),
                                  [("type-error", "holidays.csv", 2, "date", "2025-02-29")]),
    "blank-row": (_blank_row, [("blank-row", "inspections.csv", 6, None, None)]),
    "row-of-spaces": (_row_of_spaces, [  # not blank: its cells hold text, read as written
        ("invisible-value", "inspections.csv", 6, "id", "U+0020"), ("type-error", "inspections.csv", 6, "inspected_on", " "),
        ("foreign-key", "inspections.csv", 6, "issue_id", " "), ("invisible-value", "inspections.csv", 6, "issue_id", "U+0020"),
        ("constraint-error", "inspections.csv", 6, "officer", " "), ("constraint-error", "inspections.csv", 6, "verdict", " ")]),
    "foreign-key-across-year-files": (lambda f: _year_files(f, "Q-2025-9"), []),
    "foreign-key-to-no-year-file": (lambda f: _year_files(f, "Q-2024-9"),
                                    [("foreign-key", "evaluations.csv", 3, "issue_id", "Q-2024-9")]),
}


@pytest.mark.parametrize("defect", sorted(CORPUS))
def test_engines_disagree_in_exit_code_or_report(tiny, defect):
    """`ledger validate --format json` with either engine: the same exit code and the same whole report
    (every key of every finding: code, path, row, field, record, value, messages and fixes)."""
    from click.testing import CliRunner

    from pipeline.cli import cli

    plant, expected = CORPUS[defect]
    plant(tiny)
    results = {engine: CliRunner().invoke(cli, ["validate", "--data", str(tiny), "--format", "json", "--no-cache",
                                                "--engine", engine]) for engine in ("fast", "frictionless")}
    assert results["fast"].exit_code == results["frictionless"].exit_code
    assert results["fast"].output == results["frictionless"].output
    report = json.loads(results["fast"].output)
    errors = [(f["code"], f["path"], f["row"], f["field"], f["value"]) for f in report["findings"]
              if f["severity"] == "error"]
    assert errors == expected
    assert results["fast"].exit_code == (1 if errors else 0)
