"""Validation of the standard's version 2 data on the tiny package, one defect at a time.

The defects sit in the new resources (issue_events, duty_items), the callback fields of
evaluations and the descriptor's ``scoring``. Each test is named after the defect it carries
and asserts the exact findings (file, spreadsheet row, field, code) of both engines, which must
agree finding for finding, messages included. The tiny package's version 2 rows (see
tests/fixtures/tiny): issue_events rows 2–4 are Q-002's returned (zrzyj), reassigned (jtj) and
extended (new_due_on 2026-03-13; Q-002 was raised 2026-03-03, due 2026-03-06), row 5 Q-008's
reopened; duty_items rows 2–6 are 甲镇's basic, basic on D1, cooperative (jtj) and returned_up (D3)
items and 乙镇's removed basic item.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.core import findings as fd
from pipeline.core.descriptor import effective, load_standard
from pipeline.core.descriptor_checks import scoring_findings
from pipeline.validate import validate
from tests.conftest import make_tiny
from tests.test_validate import edit_cell

EVENTS, DUTIES, EVALUATIONS = "issue_events.csv", "duty_items.csv", "evaluations.csv"


def both(folder: Path) -> list[fd.Finding]:
    """The findings, after asserting that both engines report exactly the same ones."""
    fast, _ = validate(folder, engine="fast")
    reference, _ = validate(folder, engine="frictionless")
    assert fast.findings == reference.findings
    return list(fast.findings)


def rows_read(folder: Path, resource: str) -> int:
    """How many rows of ``resource`` the validated ledger holds (the resource is part of the standard)."""
    _, ledger = validate(folder)
    return len(ledger.frames[resource])


def flat(findings: list[fd.Finding]) -> list[tuple]:
    return [(f.path, f.row, f.field, f.code) for f in findings]


def edited(folder: Path, *cells: tuple) -> list[fd.Finding]:
    for cell in cells:
        edit_cell(folder, *cell)
    return both(folder)


# --- issue_events --------------------------------------------------------------------------------

def test_the_tiny_version_2_rows_are_valid(tiny):
    assert both(tiny) == []
    assert (rows_read(tiny, "issue_events"), rows_read(tiny, "duty_items")) == (4, 5)


def test_event_before_raised(tiny):
    found = edited(tiny, (EVENTS, 2, "on", "2026-03-01"))
    assert flat(found) == [(EVENTS, 2, "on", "event-date-order")]
    assert found[0].message_zh == ("问题 Q-002 第 1 件事的发生日期（on）是 2026-03-01，"
                                   "早于问题的提出日期（issues.raised_on）（2026-03-03）。")
    assert found[0].fix_zh.startswith("办理过程的每件事都不得早于问题的提出日期")


def test_event_before_the_event_before_it(tiny):
    found = edited(tiny, (EVENTS, 4, "on", "2026-03-03"))
    assert flat(found) == [(EVENTS, 4, "on", "event-date-order")]
    assert found[0].message_zh == "问题 Q-002 第 3 件事的发生日期（on）是 2026-03-03，早于第 2 件事的发生日期（2026-03-04）。"


def test_events_listed_out_of_seq_order_are_compared_by_seq(tiny):
    path = tiny / EVENTS
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0], lines[3], lines[1], lines[2], *lines[4:]]) + "\n", encoding="utf-8")
    assert both(tiny) == [] and rows_read(tiny, "issue_events") == 4


def test_event_after_as_of(tiny):
    assert flat(edited(tiny, (EVENTS, 5, "on", "2026-05-04"))) == [(EVENTS, 5, "on", "date-after-as-of")]


def test_reassigned_without_department(tiny):
    found = edited(tiny, (EVENTS, 3, "department", ""))
    assert flat(found) == [(EVENTS, 3, "department", "event-missing-field")]
    assert found[0].message_zh == "事件为“改派”时必须填写部门代码（department）。"


def test_returned_without_department(tiny):
    assert flat(edited(tiny, (EVENTS, 2, "department", ""))) == [(EVENTS, 2, "department", "event-missing-field")]


def test_extended_without_new_due_on(tiny):
    found = edited(tiny, (EVENTS, 4, "new_due_on", ""))
    assert flat(found) == [(EVENTS, 4, "new_due_on", "event-missing-field")]
    assert found[0].message_zh == "事件为“延期”时必须填写延期后的办结期限（new_due_on）。"


def test_new_due_on_on_a_reopening(tiny):
    found = edited(tiny, (EVENTS, 5, "new_due_on", "2026-04-20"))
    assert flat(found) == [(EVENTS, 5, "new_due_on", "event-extra-field")]
    assert found[0].message_zh == "事件为“重办”时延期后的办结期限（new_due_on）应留空，这里是 2026-04-20。"


def test_extension_not_later_than_the_due_date(tiny):
    found = edited(tiny, (EVENTS, 4, "new_due_on", "2026-03-06"))
    assert flat(found) == [(EVENTS, 4, "new_due_on", "event-due-not-later")]
    assert found[0].message_zh == "问题 Q-002 延期后的办结期限（new_due_on）2026-03-06 不晚于此前有效的期限 2026-03-06。"


def test_second_extension_not_later_than_the_first(tiny):
    with (tiny / EVENTS).open("a", encoding="utf-8") as handle:
        handle.write("Q-002,4,2026-03-10,extended,jtj,2026-03-12,\n")
    found = both(tiny)
    assert flat(found) == [(EVENTS, 6, "new_due_on", "event-due-not-later")]
    assert "此前有效的期限 2026-03-13" in found[0].message_zh


def test_extension_beyond_as_of_is_allowed(tiny):
    assert edited(tiny, (EVENTS, 4, "new_due_on", "2026-06-30")) == [] and rows_read(tiny, "issue_events") == 4


def test_supervised_not_escalated(tiny):
    found = edited(tiny, (EVENTS, 5, "event", "supervised"))
    assert flat(found) == [(EVENTS, 5, "event", "supervised-not-escalated")]
    assert found[0].severity == fd.WARNING
    assert found[0].message_zh == "问题 Q-008 有“督办”事件，但问题台账的是否督办（escalated）为否。"


def test_supervised_on_an_escalated_issue(tiny):
    with (tiny / EVENTS).open("a", encoding="utf-8") as handle:
        handle.write("Q-004,1,2026-03-20,supervised,,,\n")
    assert both(tiny) == [] and rows_read(tiny, "issue_events") == 5


def test_the_three_event_rules_look_up_the_events_issues_once(tiny, monkeypatch):
    """event_dates_in_order, event_extension_later and supervised_is_escalated read each event's issue
    from one lookup of every event's issue id (``Ledger.positions``: at a million issues each lookup hashes
    every issue id, about 0.23 s), made on whichever of the rules' two threads comes first, and each still
    finds its own."""
    import pipeline.core.ledger as ledger_module

    looked_up = []
    real = ledger_module.positions_in
    monkeypatch.setattr(ledger_module, "positions_in",
                        lambda values, keys: looked_up.append((values.name, keys.name, len(values))) or real(values, keys))
    for cell in [(EVENTS, 2, "on", "2026-01-01"), (EVENTS, 4, "new_due_on", "2026-03-01"), (EVENTS, 5, "event", "supervised")]:
        edit_cell(tiny, *cell)
    report, ledger = validate(tiny)
    assert [(f.path, f.row, f.field, f.code) for f in report.findings] == [
        (EVENTS, 2, "on", "event-date-order"), (EVENTS, 4, "new_due_on", "event-due-not-later"),
        (EVENTS, 5, "event", "supervised-not-escalated")]
    events = len(ledger.issue_events)  # the ledger's own attachments look up the evaluations' and inspections' too
    assert [call for call in looked_up if call[:2] == ("issue_id", "id") and call[2] <= events] == [("issue_id", "id", events)]


def test_a_lookup_is_shared_with_views_that_hold_its_columns_only(tiny_ledger):
    """A view gets its ledger's lookup only through columns it holds: sharing reads nothing undeclared."""
    from dataclasses import replace

    ledger = replace(tiny_ledger)  # nothing looked up yet
    view = ledger.view({"issue_events": ("issue_id",), "issues": ("id",)})
    found = view.positions("issue_events", "issue_id", "issues", "id")
    assert ledger.positions("issue_events", "issue_id", "issues", "id") is found and not found.flags.writeable
    assert list(ledger.issues["id"].take(found)) == list(ledger.issue_events["issue_id"])
    with pytest.raises(KeyError):
        ledger.view({"issue_events": ("issue_id",)}).positions("issue_events", "issue_id", "issues", "id")
    assert replace(ledger).lookups == {}


def test_event_of_an_unknown_issue(tiny):
    assert flat(edited(tiny, (EVENTS, 5, "issue_id", "Q-404"))) == [(EVENTS, 5, "issue_id", "foreign-key")]


def test_event_of_an_unknown_department(tiny):
    assert flat(edited(tiny, (EVENTS, 3, "department", "gaj"))) == [(EVENTS, 3, "department", "foreign-key")]


def test_event_seq_twice(tiny):
    assert flat(edited(tiny, (EVENTS, 3, "seq", "1"))) == [(EVENTS, 3, "issue_id+seq", "primary-key")]


def test_event_seq_zero(tiny):
    assert flat(edited(tiny, (EVENTS, 2, "seq", "0"))) == [(EVENTS, 2, "seq", "constraint-error")]


def test_event_unknown_kind(tiny):
    assert flat(edited(tiny, (EVENTS, 5, "event", "重办"))) == [(EVENTS, 5, "event", "constraint-error")]


def test_mobile_number_in_an_event_note(tiny):
    assert flat(edited(tiny, (EVENTS, 5, "note", "回访差评，联系 13812345678"))) == [(EVENTS, 5, "note", "pii-mobile")]


# --- duty_items ------------------------------------------------------------------------------------

def test_duty_item_of_a_village(tiny):
    found = edited(tiny, (DUTIES, 2, "region_code", "990121001001"))
    assert flat(found) == [(DUTIES, 2, "region_code", "duty-level")]
    assert found[0].message_zh == "履职事项清单的乡镇（街道）（region_code）990121001001 是村，清单只属于乡镇或街道。"


def test_duty_item_of_a_county(tiny):
    assert flat(edited(tiny, (DUTIES, 2, "region_code", "990121000000"))) == [(DUTIES, 2, "region_code", "duty-level")]


def test_cooperative_item_without_department(tiny):
    found = edited(tiny, (DUTIES, 4, "department", ""))
    assert flat(found) == [(DUTIES, 4, "department", "duty-missing-department")]
    assert found[0].message_zh == "“配合履职事项”的事项必须填写部门代码（department）。"


def test_returned_up_item_without_department(tiny):
    assert flat(edited(tiny, (DUTIES, 5, "department", ""))) == [(DUTIES, 5, "department", "duty-missing-department")]


def test_basic_item_without_department_is_fine(tiny):
    assert edited(tiny, (DUTIES, 3, "department", "")) == [] and rows_read(tiny, "duty_items") == 5


def test_duty_item_removed_before_effective(tiny):
    found = edited(tiny, (DUTIES, 6, "removed_on", "2025-01-01"))
    assert flat(found) == [(DUTIES, 6, "removed_on", "duty-removed-before-effective")]
    assert found[0].message_zh == "履职事项的移出日期（removed_on）2025-01-01 早于生效日期（effective_on）2025-06-30。"


def test_duty_item_on_an_unknown_devolved_item(tiny):
    assert flat(edited(tiny, (DUTIES, 3, "devolved_item_id", "D9"))) == [(DUTIES, 3, "devolved_item_id", "foreign-key")]


def test_duty_item_of_an_unknown_department(tiny):
    assert flat(edited(tiny, (DUTIES, 4, "department", "gaj"))) == [(DUTIES, 4, "department", "foreign-key")]


def test_duty_item_without_source(tiny):
    assert flat(edited(tiny, (DUTIES, 2, "source_ref", ""))) == [(DUTIES, 2, "source_ref", "constraint-error")]


def test_duty_item_id_twice(tiny):
    found = flat(edited(tiny, (DUTIES, 3, "id", "LZ-990121001-J001")))
    assert (DUTIES, 3, "id", "unique-error") in found and {f[0] for f in found} == {DUTIES}


def test_duty_item_unknown_list(tiny):
    assert flat(edited(tiny, (DUTIES, 2, "list_type", "基本履职事项"))) == [(DUTIES, 2, "list_type", "constraint-error")]


# --- the callbacks on evaluations ----------------------------------------------------------------

def test_contacted_written_as_yes(tiny):
    assert flat(edited(tiny, (EVALUATIONS, 2, "contacted", "是"))) == [(EVALUATIONS, 2, "contacted", "type-error")]


def test_resolved_view_not_in_the_list(tiny):
    found = flat(edited(tiny, (EVALUATIONS, 2, "resolved_view", "solved")))
    assert found == [(EVALUATIONS, 2, "resolved_view", "constraint-error")]


def test_evaluations_without_the_callback_columns(tiny):
    """A version-1 evaluations file (no contacted, no resolved_view) names both missing columns."""
    path = tiny / EVALUATIONS
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(row[:7] for row in rows)
    found = flat(both(tiny))
    assert found == [(EVALUATIONS, 1, "contacted", "missing-label"), (EVALUATIONS, 1, "resolved_view", "missing-label")]


# --- event order: the rules against a plain-Python reading of the standard ------------------------

RAISED, DUE = dt.date(2026, 3, 3), dt.date(2026, 3, 6)  # Q-002 in the tiny package
KINDS = ["returned", "reassigned", "extended", "urged", "supervised", "reopened"]


def expected_order_findings(events: list[dict]) -> list[tuple]:
    """The standard's rules on one issue's events, written out directly (rows from 2, by seq)."""
    found, previous, in_force = [], None, DUE
    for row, event in enumerate(events, start=2):
        if event["on"] < RAISED or (previous is not None and event["on"] < previous):
            found.append((EVENTS, row, "on", "event-date-order"))
        previous = event["on"]
        if event["event"] == "extended":
            if event["new_due_on"] <= in_force:
                found.append((EVENTS, row, "new_due_on", "event-due-not-later"))
            in_force = event["new_due_on"]
    return sorted(found)


@st.composite
def event_lists(draw) -> list[dict]:
    days = st.integers(min_value=-4, max_value=40).map(lambda n: RAISED + dt.timedelta(days=n))
    count = draw(st.integers(min_value=1, max_value=5))
    return [{"on": draw(days), "event": (kind := draw(st.sampled_from(KINDS))),
             "new_due_on": draw(days) + dt.timedelta(days=3) if kind == "extended" else None} for _ in range(count)]


@pytest.fixture(scope="module")
def tiny_for_events(tmp_path_factory) -> Path:
    return make_tiny(tmp_path_factory.mktemp("events") / "tiny")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=event_lists())
def test_event_order_and_extensions_match_the_standard(tiny_for_events, events):
    with (tiny_for_events / EVENTS).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["issue_id", "seq", "on", "event", "department", "new_due_on", "note"])
        for seq, event in enumerate(events, start=1):
            department = "jtj" if event["event"] in ("returned", "reassigned") else ""
            writer.writerow(["Q-002", seq, event["on"].isoformat(), event["event"], department,
                             event["new_due_on"].isoformat() if event["new_due_on"] else "", ""])
    report, _ = validate(tiny_for_events, engine="fast")
    as_of = dt.date(2026, 4, 30)
    late = [(EVENTS, row, "on", "date-after-as-of") for row, e in enumerate(events, start=2) if e["on"] > as_of]
    warnings = [(EVENTS, row, "event", "supervised-not-escalated")
                for row, e in enumerate(events, start=2) if e["event"] == "supervised"]
    assert sorted(flat(report.findings)) == sorted(expected_order_findings(events) + late + warnings)


# --- scoring ---------------------------------------------------------------------------------------

def with_scoring(folder: Path, scoring: object) -> None:
    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["scoring"] = scoring
    path.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")


def test_scoring_weights_not_summing_to_one(tiny):
    with_scoring(tiny, {"weights": {"response": 0.2, "solved": 0.5, "satisfied": 0.4}})
    found = both(tiny)
    assert flat(found) == [("datapackage.json", None, "scoring.weights", "scoring-invalid")]
    assert found[0].message_zh == "datapackage.json 的排名评分设置 scoring.weights 无法使用：三个权重之和应为 1。"


@pytest.mark.parametrize("scoring, where", [
    ({"period": "week"}, "scoring.period"),
    ({"min_callbacks": 0}, "scoring.min_callbacks"),
    ({"min_callbacks": 10.5}, "scoring.min_callbacks"),
    ({"basic_satisfied_weight": 1.5}, "scoring.basic_satisfied_weight"),
    ({"weights": {"response": 0.5, "solved": 0.5}}, "scoring.weights"),
    ({"weights": {"response": -0.1, "solved": 0.7, "satisfied": 0.4}}, "scoring.weights"),
    ({"bonus": 1}, "scoring.bonus"),
    ("month", "scoring"),
], ids=["scoring-period-week", "scoring-min-callbacks-zero", "scoring-min-callbacks-fraction",
        "scoring-basic-weight-above-one", "scoring-weight-missing", "scoring-weight-negative", "scoring-unknown-key",
        "scoring-not-an-object"])
def test_scoring_defect(tiny, scoring, where):
    with_scoring(tiny, scoring)
    assert flat(both(tiny)) == [("datapackage.json", None, where, "scoring-invalid")]


def test_scoring_of_the_jurisdiction_is_its_own_and_fills_in_the_defaults(tiny):
    """scoring is the data's (no descriptor-differs); keys left out keep the standard's defaults."""
    with_scoring(tiny, {"period": "quarter", "min_callbacks": 30})
    assert both(tiny) == []
    descriptor = json.loads((tiny / "datapackage.json").read_text(encoding="utf-8"))
    assert effective(descriptor, load_standard())["scoring"] == {
        "weights": {"response": 0.1, "solved": 0.5, "satisfied": 0.4}, "basic_satisfied_weight": 0.9,
        "min_callbacks": 30, "period": "quarter"}


def test_scoring_defaults_are_the_standard(tiny):
    descriptor = json.loads((tiny / "datapackage.json").read_text(encoding="utf-8"))
    del descriptor["scoring"]
    assert effective(descriptor, load_standard())["scoring"] == {
        "weights": {"response": 0.1, "solved": 0.5, "satisfied": 0.4}, "basic_satisfied_weight": 0.9,
        "min_callbacks": 10, "period": "month"}


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12)
WEIGHT = st.integers(min_value=0, max_value=20)


@settings(max_examples=200, deadline=None)
@given(scoring=JSON | st.dictionaries(st.sampled_from(["weights", "basic_satisfied_weight", "min_callbacks", "period"]),
                                      JSON, max_size=4))
def test_any_scoring_is_one_finding_or_none_never_a_crash(scoring):
    found = list(scoring_findings({"scoring": scoring}))
    assert len(found) <= 1 and all(f.code == "scoring-invalid" and f.field.startswith("scoring") for f in found)


@settings(max_examples=200, deadline=None)
@given(a=WEIGHT, b=WEIGHT, basic=st.integers(min_value=0, max_value=10), least=st.integers(1, 1000),
       period=st.sampled_from(["month", "quarter"]))
def test_weights_in_twentieths_summing_to_one_are_accepted(a, b, basic, least, period):
    if a + b > 20:
        a, b = 20 - b if b <= 20 else 0, b
    scoring = {"weights": {"response": a / 20, "solved": b / 20, "satisfied": (20 - a - b) / 20},
               "basic_satisfied_weight": basic / 10, "min_callbacks": least, "period": period}
    assert list(scoring_findings({"scoring": scoring})) == []
