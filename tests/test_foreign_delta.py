"""A foreign key into a changed resource, from unchanged rows, is checked against what that resource
gained (pipeline/validate/foreign_delta.py): the same findings as a full check, and a full check
whenever a key may have been lost (issue #21)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pipeline.validate as validation
from pipeline.core.cache import FileCache
from pipeline.validate import foreign_delta, validate
from tests.conftest import make_tiny, recorded_calls
from tests.test_validate_incremental import read, write

ISSUES = "issues/2026.csv"


@pytest.fixture
def full_checks(monkeypatch) -> list[tuple[str, str]]:
    """(referring resource, referred resource) of every foreign key checked in full."""
    return recorded_calls(monkeypatch, validation, "foreign_key_errors",
                          lambda name, fk, typed, text: (name, fk["reference"]["resource"]))


rows_of = read


def add_issue(folder: Path, new_id: str) -> None:
    rows = rows_of(folder, ISSUES)
    rows.append([new_id if column == "id" else value for column, value in zip(rows[0], rows[1])])
    write(folder, ISSUES, rows)


def set_issue_id(folder: Path, old: str, new: str) -> None:
    rows = rows_of(folder, ISSUES)
    write(folder, ISSUES, [[new if cell == old and column == "id" else cell for column, cell in zip(rows[0], row)]
                           for row in rows])


def refer(folder: Path, evaluation_row: int, issue_id: str) -> None:
    rows = rows_of(folder, "evaluations.csv")
    rows[evaluation_row][rows[0].index("issue_id")] = issue_id
    write(folder, "evaluations.csv", rows)


def missing_references(report) -> list[tuple]:
    return [(f.path, f.row, f.field, f.value) for f in report.findings if f.code == "foreign-key"]


def findings(report) -> list[tuple]:
    return [(f.code, f.path, f.row, f.field, f.value, f.message_zh) for f in report.findings]


def test_issues_added_are_checked_against_what_they_brought(tiny, tmp_path, three_record_segments, full_checks):
    refer(tiny, 2, "Q-900")  # an evaluation of an issue not (yet) in the package
    cache = FileCache(tmp_path / "cache")
    assert missing_references(validate(tiny, cache=cache)[0]) == [("evaluations.csv", 3, "issue_id", "Q-900")]
    full_checks.clear()
    add_issue(tiny, "Q-800")
    cached = validate(tiny, cache=cache)[0]
    assert ("evaluations", "issues") not in full_checks and ("issue_events", "issues") not in full_checks
    assert missing_references(cached) == [("evaluations.csv", 3, "issue_id", "Q-900")]
    add_issue(tiny, "Q-900")  # the missing issue arrives: the reference is found
    cached = validate(tiny, cache=cache)[0]
    assert ("evaluations", "issues") not in full_checks
    assert missing_references(cached) == []
    assert findings(cached) == findings(validate(tiny, cache=FileCache(None))[0])


def test_an_issue_id_lost_means_a_full_check(tiny, tmp_path, three_record_segments, full_checks):
    cache = FileCache(tmp_path / "cache")
    assert validate(tiny, cache=cache)[0].valid
    full_checks.clear()
    set_issue_id(tiny, "Q-002", "Q-902")  # evaluation E2 refers to Q-002
    cached = validate(tiny, cache=cache)[0]
    assert ("evaluations", "issues") in full_checks
    assert ("evaluations.csv", 3, "issue_id", "Q-002") in missing_references(cached)
    assert findings(cached) == findings(validate(tiny, cache=FileCache(None))[0])


def test_changed_referring_rows_mean_a_full_check(tiny, tmp_path, three_record_segments, full_checks):
    cache = FileCache(tmp_path / "cache")
    validate(tiny, cache=cache)
    full_checks.clear()
    refer(tiny, 2, "Q-901")
    add_issue(tiny, "Q-800")
    cached = validate(tiny, cache=cache)[0]
    assert ("evaluations", "issues") in full_checks and ("issue_events", "issues") not in full_checks
    assert missing_references(cached) == [("evaluations.csv", 3, "issue_id", "Q-901")]


def test_a_misshapen_record_means_a_full_check(tiny, tmp_path, three_record_segments, full_checks):
    cache = FileCache(tmp_path / "cache")
    validate(tiny, cache=cache)
    for path in (tmp_path / "cache").rglob(f"*.{foreign_delta.PART}"):
        path.write_bytes(path.read_bytes()[:-2])  # its seal no longer holds
    full_checks.clear()
    add_issue(tiny, "Q-800")
    assert findings(validate(tiny, cache=cache)[0]) == findings(validate(tiny, cache=FileCache(None))[0])
    assert ("evaluations", "issues") in full_checks


def test_only_text_keys_are_checked_by_difference(tiny):
    from pipeline.core.package import load

    package = load(tiny)
    fk = {"fields": ["issue_id"], "reference": {"resource": "issues", "fields": ["id"]}}
    assert foreign_delta.text_keys(package, "evaluations", fk)
    assert not foreign_delta.text_keys(package, "issues", {"fields": ["raised_on"],
                                                           "reference": {"resource": "issues", "fields": ["raised_on"]}})
    assert not foreign_delta.text_keys(package, "evaluations", {"fields": ["evaluated_on"],
                                                                "reference": {"resource": "issues", "fields": ["raised_on"]}})


IDS = ["Q-001", "Q-002", "Q-003", "Q-800", "Q-900", ""]
EDITS = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(IDS)),
    st.tuples(st.just("rename"), st.sampled_from(IDS), st.sampled_from(IDS)),
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("refer"), st.integers(1, 3), st.sampled_from(IDS)),
    st.tuples(st.just("title"), st.integers(0, 20)),
)


def apply(folder: Path, edit: tuple) -> None:
    if edit[0] == "add":
        add_issue(folder, edit[1])
    elif edit[0] == "rename":
        set_issue_id(folder, edit[1], edit[2])
    elif edit[0] == "refer":
        refer(folder, edit[1], edit[2])
    else:
        rows = rows_of(folder, ISSUES)
        if len(rows) > 2:
            index = 1 + edit[1] % (len(rows) - 1)
            if edit[0] == "delete":
                del rows[index]
            else:
                rows[index][rows[0].index("title")] += "，已回访"
            write(folder, ISSUES, rows)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.lists(EDITS, min_size=1, max_size=3), min_size=1, max_size=3))
def test_each_pull_request_in_turn_gives_the_findings_of_a_cold_run(tmp_path_factory, three_record_segments, steps):
    folder = make_tiny(tmp_path_factory.mktemp("fk") / "tiny")
    cache = FileCache(tmp_path_factory.mktemp("fk-cache"))
    validate(folder, cache=cache)
    for step in steps:
        for edit in step:
            apply(folder, edit)
        assert findings(validate(folder, cache=cache)[0]) == findings(validate(folder, cache=FileCache(None))[0])
