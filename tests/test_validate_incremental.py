"""Revalidation after a pull request: what the cache gives back equals a cold run, finding for finding,
and only the checks that read what changed are done again (issue #21).

The tiny package is cut into segments of a few records here (``small_segments``), so that an edit
changes some segments of a file and leaves the others to the cache, as at a million issues.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pipeline.validate as validate_module
from pipeline.core import findings as fd
from pipeline.core.cache import FileCache
from pipeline.validate import keys as key_module
from pipeline.validate import segments
from pipeline.validate import validate
from tests.conftest import make_tiny

ISSUES = "issues/2026.csv"
STATUSES = ["registered", "assigned", "resolved", "evaluated", "archived", "withdrawn", "closed"]
TIERS = ["simple", "complex", "difficult", "urgent"]
DATES = ["", "2026-01-05", "2026-03-31", "2026-04-30", "2026-05-02", "2026/4/1"]


@pytest.fixture
def small_segments(monkeypatch):
    monkeypatch.setattr(segments, "MAX_RECORDS", 2)


def read(folder: Path, rel: str) -> list[list[str]]:
    with (folder / rel).open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write(folder: Path, rel: str, rows: list[list[str]]) -> None:
    with (folder / rel).open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


# One edit of a pull request: (what, row, value). Rows count data rows from 0, modulo the file's.
EDITS = st.one_of(
    st.tuples(st.just("status"), st.integers(0, 20), st.sampled_from(STATUSES)),
    st.tuples(st.just("resolved_on"), st.integers(0, 20), st.sampled_from(DATES)),
    st.tuples(st.just("assigned_on"), st.integers(0, 20), st.sampled_from(DATES)),
    st.tuples(st.just("tier"), st.integers(0, 20), st.sampled_from(TIERS)),
    st.tuples(st.just("id"), st.integers(0, 20), st.sampled_from(["Q-2026-00001", "Q-2026-00100", ""])),
    st.tuples(st.just("add"), st.integers(0, 20), st.sampled_from(["Q-2026-00100", "Q-2026-00002"])),
    st.tuples(st.just("delete"), st.integers(0, 20), st.just("")),
    st.tuples(st.just("evaluation"), st.integers(0, 20), st.sampled_from(["Q-2026-00003", "Q-2026-09999"])),
)


def apply_edits(folder: Path, edits: list[tuple[str, int, str]]) -> None:
    rows = read(folder, ISSUES)
    header, body = rows[0], rows[1:]
    for what, row, value in edits:
        if what == "evaluation":
            evaluations = read(folder, "evaluations.csv")
            target = evaluations[1 + row % (len(evaluations) - 1)]
            target[evaluations[0].index("issue_id")] = value
            write(folder, "evaluations.csv", evaluations)
            continue
        if not body:
            continue
        index = row % len(body)
        if what == "add":
            added = list(body[index])
            added[header.index("id")] = value
            body.append(added)
        elif what == "delete":
            del body[index]
        else:
            body[index][header.index(what)] = value
    write(folder, ISSUES, [header, *body])


def findings(report) -> list[tuple]:
    return [(f.code, f.path, f.row, f.field, f.field_title, f.resource, f.value, f.record, f.message_zh, f.message_en)
            for f in report.findings]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(EDITS, min_size=1, max_size=4))
def test_cached_run_equals_cold_run_after_a_realistic_pr_edit(tmp_path_factory, small_segments, edits):
    folder = make_tiny(tmp_path_factory.mktemp("pr") / "tiny")
    cache = FileCache(tmp_path_factory.getbasetemp() / "pr-cache")  # shared: entries of earlier examples too
    assert validate(folder, cache=cache, ledger_needed=False)[0].valid
    apply_edits(folder, edits)
    cached = validate(folder, cache=cache, ledger_needed=False)[0]
    cold = validate(folder, cache=FileCache(None))[0]
    assert findings(cached) == findings(cold)


def test_cached_run_equals_cold_run_after_the_benchmark_pr(tmp_path, small_segments):
    """The benchmark's realistic pull request (benchmarks/realistic_pr.py) on the demo package."""
    from benchmarks.realistic_pr import apply_realistic_pr
    from pipeline.demo.generator import generate

    folder = tmp_path / "demo"
    generate(folder, issues=1500, seed=3)
    cache = FileCache(tmp_path / "cache")
    before = validate(folder, cache=cache, ledger_needed=False)[0]
    changed = apply_realistic_pr(folder, seed=5, resolved=10, added=10)
    assert len(changed["resolved"]) == 10 and len(changed["added"]) == 10
    assert changed["retier"]["from"] != changed["retier"]["to"]
    cached = validate(folder, cache=cache, ledger_needed=False)[0]
    cold = validate(folder, cache=FileCache(None))[0]
    assert findings(cached) == findings(cold)
    assert [f.code for f in cached.errors] == [f.code for f in before.errors]  # the edit keeps the data valid


def test_a_recalled_validation_names_each_field_with_its_title_as_a_cold_one(tiny, tmp_path, monkeypatch):
    """The rules' findings are stored as the rules made them, without titles: a report of recalled
    findings is titled as one of computed findings."""
    from tests.test_validate import edit_cell

    edit_cell(tiny, ISSUES, 3, "raised_on", "2026/3/3")  # a cell's type
    edit_cell(tiny, ISSUES, 5, "due_on", "2026-03-05")  # a rule
    edit_cell(tiny, "meetings.csv", 2, "departments", "nosuch")  # a rule on a list of codes
    edit_cell(tiny, ISSUES, 4, "lead_department", "nosuch")  # a foreign key
    cold = validate(tiny, cache=FileCache(None))[0]
    cache = FileCache(tmp_path / "cache")
    computed = validate(tiny, cache=cache)[0]
    monkeypatch.setattr(validate_module, "run_rule", lambda *args: pytest.fail("a rule was computed again"))
    recalled = validate(tiny, cache=cache)[0]
    assert fd.to_text(recalled) == fd.to_text(computed) == fd.to_text(cold)
    assert fd.to_json(recalled) == fd.to_json(cold)
    assert [(f.path, f.row, f.field, f.field_title, f.code) for f in recalled.findings] == [
        (ISSUES, 3, "raised_on", "提出日期", "type-error"),
        (ISSUES, 4, "lead_department", "牵头部门", "foreign-key"),
        (ISSUES, 5, "due_on", "办结期限", "due-before-assigned"),
        ("meetings.csv", 2, "departments", "参会部门", "unknown-code")]
    assert "[错误] issues/2026.csv，第 5 行，字段 due_on（办结期限） [due-before-assigned]" in fd.to_text(recalled)


def test_adding_issues_rechecks_no_other_primary_key(tiny, tmp_path, monkeypatch):
    """A new issue changes the issues' key text: the issue ids and the references to and from issues are
    checked again, the composite primary keys of events, devolutions and item cases are recalled."""
    cache = FileCache(tmp_path / "cache")
    assert validate(tiny, cache=cache, ledger_needed=False)[0].valid
    rows = read(tiny, ISSUES)
    added = list(rows[-1])
    added[rows[0].index("id")] = "Q-2026-00100"
    write(tiny, ISSUES, [*rows, added])
    checked = []
    original = key_module.primary_key_errors
    monkeypatch.setattr(key_module, "primary_key_errors",
                        lambda text, *a: checked.append(text.name) or original(text, *a))
    unique = []
    original_unique = key_module.unique_errors
    monkeypatch.setattr(key_module, "unique_errors",
                        lambda text, *a: unique.append(text.name) or original_unique(text, *a))
    assert validate(tiny, cache=cache, ledger_needed=False)[0].valid
    assert checked == []
    assert unique == ["issues"]


def test_key_values_are_compared_once_per_distinct_value(monkeypatch):
    """A composite key with an integer part (events: issue_id, seq) was made comparable row by row in
    Python; each distinct value is enough, and gives the same texts."""
    from decimal import Decimal

    nan_a, nan_b = key_module.KeyNaN(Decimal("NaN")), key_module.KeyNaN(Decimal("NaN"))
    column = pd.Series([1, 2, 1, None, Decimal("1.00"), True, nan_a, 2, nan_b, Decimal("2.0"), float("nan")] * 1000,
                       index=range(5, 11005), dtype=object)
    expected = [key_module._comparable(value, index) for index, value in column.items()]  # row by row
    calls = []
    original = key_module._comparable
    monkeypatch.setattr(key_module, "_comparable", lambda value, index: calls.append(value) or original(value, index))
    got = key_module._key_values(column)
    assert got.tolist() == expected
    assert got.index.equals(column.index)
    assert got.iloc[:11].tolist() == ["\0n 1", "\0n 2", "\0n 1", "\0None", "\0n 1", "\0n 1", "\0nan 11",
                                      "\0n 2", "\0nan 13", "\0n 2", "\0None"]
    assert len(calls) == 2 + 2000  # 1 (= 1.00 = True) and 2 (= 2.0) once; each row's NaN: its own value


# --- cold speed: what every run does once per distinct value ------------------------------------

def _strptime_date(text: str):
    import datetime as dt

    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None


@settings(max_examples=500, deadline=None)
@given(st.one_of(
    st.builds(lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}", st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32)),
    st.builds(lambda y, m, d: f"{y}-{m}-{d}", st.integers(0, 99999), st.integers(0, 13), st.integers(0, 32)),
    st.text(alphabet="0123456789-/ ０１２٣", max_size=12)))
def test_read_date_agrees_with_strptime(text):
    from pipeline.core import values

    assert values.read_date(text) == _strptime_date(text)


def test_iso_dates_are_read_without_strptime(monkeypatch):
    """A date column of a million rows holds a few hundred distinct dates per segment, each read with
    strptime (about 8 µs) by validation and again by the ledger; the usual YYYY-MM-DD is read directly."""
    import datetime as dt

    from pipeline.core import values

    from types import SimpleNamespace

    calls = []
    original = dt.datetime.strptime

    def counted(text, form):
        calls.append(text)
        return original(text, form)

    monkeypatch.setattr(values, "dt", SimpleNamespace(date=dt.date, datetime=SimpleNamespace(strptime=counted)))
    assert [values.read_date(t) for t in ("2026-03-05", "2026-02-30", "0000-01-01", "2026-3-5")] == [
        dt.date(2026, 3, 5), None, None, dt.date(2026, 3, 5)]
    assert calls == ["2026-3-5"]


def test_the_benchmark_applies_its_pull_request_in_a_process_of_its_own(tmp_path):
    """benchmarks/run.py edits the package in a child process (the edit would raise the benchmark's own
    resident size, which Linux hands on to every run measured after it); the edit is the same one."""
    import benchmarks.run as bench
    from benchmarks.realistic_pr import apply_realistic_pr
    from pipeline.demo.generator import generate

    folder, twin = tmp_path / "demo", tmp_path / "twin"
    generate(tmp_path / "small", issues=1000, seed=3)
    generate(folder, issues=10000, seed=3)  # enough open issues for the 100 it resolves
    shutil.copytree(folder, twin)
    changed = bench.edited_by_realistic_pr(folder)
    assert changed == json.loads(json.dumps(apply_realistic_pr(twin, seed=1), ensure_ascii=False))
    assert changed["rows_changed"] == 101 and len(changed["added"]) == 10
    assert {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*.csv")} \
        == {p.relative_to(twin): p.read_bytes() for p in twin.rglob("*.csv")}
    with pytest.raises(RuntimeError, match=r"only \d+ assigned issues; this pull request resolves 100"):
        bench.edited_by_realistic_pr(tmp_path / "small")
