"""The demo's version 2 data: issue events, callbacks and duty lists, believable and within the rules.

Every rule of the standard is asserted on the rows directly (not through the validator), on the
default package and on other seeds, sizes and snapshot dates; then the shares the site will show.
"""

from __future__ import annotations

import collections
import datetime as dt
import statistics

import pytest

from pipeline.demo import generator as demo
from pipeline.demo import generator as generator_module
from pipeline.demo import issues as issues_module
from tests.test_demo import DONE, Package, assert_valid, day

KINDS = {"returned", "reassigned", "extended", "urged", "supervised", "reopened"}
LISTS = {"basic", "cooperative", "returned_up"}


@pytest.fixture(scope="module")
def default_package(tmp_path_factory) -> Package:
    root = tmp_path_factory.mktemp("default-v2")
    demo.generate(root)
    return Package(root)


def check_version_2(p: Package) -> None:
    """Every version 2 rule of the data standard, asserted on the rows."""
    issues = {i["id"]: i for i in p["issues"]}
    departments = {d["code"] for d in p["departments"]}
    regions = {r["code"]: r for r in p["regions"]}
    items = {i["id"]: i for i in p["devolved_items"]}

    # issue_events: key, dates in order, fields by kind, extensions later than the due date in force.
    by_issue: dict[str, list[dict]] = collections.defaultdict(list)
    for e in p["issue_events"]:
        by_issue[e["issue_id"]].append(e)
    assert len({(e["issue_id"], e["seq"]) for e in p["issue_events"]}) == len(p["issue_events"])
    for issue_id, events in by_issue.items():
        issue = issues[issue_id]
        assert issue["assigned_on"], issue_id  # only an assigned issue has a history
        assert [int(e["seq"]) for e in events] == list(range(1, len(events) + 1)), issue_id
        dates = [day(e["on"]) for e in events]
        assert dates == sorted(dates) and day(issue["raised_on"]) <= dates[0] and dates[-1] <= p.as_of, issue_id
        in_force = p.due(issue)
        for e in events:
            assert e["event"] in KINDS
            assert e["department"] == "" or e["department"] in departments
            if e["event"] in ("returned", "reassigned"):
                assert e["department"], issue_id
            if e["event"] == "reassigned":
                assert e["department"] == issue["lead_department"], issue_id
            if e["event"] == "returned":
                assert e["department"] != issue["lead_department"], issue_id
            if e["event"] == "extended":
                assert day(e["new_due_on"]) > in_force, issue_id
                in_force = day(e["new_due_on"])
            else:
                assert e["new_due_on"] == "", issue_id
            if e["event"] == "supervised":
                assert issue["escalated"] == "true", issue_id
            if e["event"] == "reopened":  # after a 差评 or a 未解决 inspection
                assert issue["status"] in DONE, issue_id
            else:  # the handling events happen while the issue is worked on
                assert issue["resolved_on"] == "" or day(e["on"]) <= day(issue["resolved_on"]), issue_id
            assert len(e["note"]) <= 300 and not any(ch.isdigit() for ch in e["note"])
        if any(e["event"] == "returned" for e in events):
            assert any(e["event"] == "reassigned" for e in events), issue_id
    negative = {e["issue_id"] for e in p["evaluations"] if int(e["rating"]) <= 2}
    failed = {x["issue_id"] for x in p["inspections"] if x["verdict"] == "not_resolved"}
    assert {e["issue_id"] for e in p["issue_events"] if e["event"] == "reopened"} <= negative | failed

    # Callbacks.
    for e in p["evaluations"]:
        assert e["contacted"] in ("", "true", "false") and e["resolved_view"] in ("", "resolved", "partly",
                                                                                 "not_resolved")

    # duty_items: townships and streets only, departments where required, dates in order.
    assert len({d["id"] for d in p["duty_items"]}) == len(p["duty_items"])
    for d in p["duty_items"]:
        assert regions[d["region_code"]]["level"] in ("township", "street"), d["id"]
        assert d["list_type"] in LISTS
        assert d["department"] == "" or d["department"] in departments
        if d["list_type"] != "basic":
            assert d["department"], d["id"]
        if d["devolved_item_id"]:
            assert d["devolved_item_id"] in items and d["name"] == items[d["devolved_item_id"]]["name"]
        assert d["source_ref"] and day(d["effective_on"]) <= p.as_of
        assert d["removed_on"] == "" or day(d["effective_on"]) <= day(d["removed_on"]) <= p.as_of, d["id"]


def test_version_2_rules_default(default_package):
    check_version_2(default_package)


@pytest.mark.parametrize("seed", [1, 2])
def test_version_2_rules_other_seeds(tmp_path, seed):
    demo.generate(tmp_path, issues=400, seed=seed)
    check_version_2(Package(tmp_path))
    assert_valid(tmp_path)


@pytest.mark.parametrize("as_of", [dt.date(2025, 4, 1), dt.date(2025, 6, 15), dt.date(2026, 3, 31)])
def test_version_2_rules_other_snapshot_dates(tmp_path, as_of):
    demo.generate(tmp_path, issues=300, as_of=as_of)
    check_version_2(Package(tmp_path))
    assert_valid(tmp_path)


def test_version_2_data_leaves_the_other_resources_alone(tmp_path, monkeypatch):
    """Events, callbacks and duty lists come from their own random streams: with them switched off,
    every other file is byte for byte the same, and an evaluation's rating only ever turns worse."""
    demo.generate(tmp_path / "with", issues=600)
    monkeypatch.setattr(issues_module, "issue_history", lambda *args: [])
    monkeypatch.setattr(generator_module, "build_duty_items", lambda *args: [])
    demo.generate(tmp_path / "without", issues=600)
    with_, without = Package(tmp_path / "with"), Package(tmp_path / "without")
    assert len(with_["issue_events"]) > 100 and len(with_["duty_items"]) > 1000
    assert without["issue_events"] == [] and without["duty_items"] == []
    for rel in ["regions.csv", "meetings.csv", "issues/2025.csv", "issues/2026.csv", "inspections.csv",
                "devolved_items.csv", "devolutions.csv", "item_cases.csv", "surveys.csv"]:
        assert (tmp_path / "with" / rel).read_bytes() == (tmp_path / "without" / rel).read_bytes(), rel
    returned = {e["issue_id"] for e in with_["issue_events"] if e["event"] == "returned"}
    lowered = 0
    for now, before in zip(with_["evaluations"], without["evaluations"], strict=True):
        assert (now["id"], now["issue_id"], now["evaluated_on"]) == (before["id"], before["issue_id"], before["evaluated_on"])
        assert int(now["rating"]) <= int(before["rating"])
        assert now["rating"] == before["rating"] or now["issue_id"] in returned
        # A rectification stays; a new 差评 may be rectified too.
        assert now["rectified_on"] == before["rectified_on"] or (
            before["rectified_on"] == "" and int(before["rating"]) >= 3 and int(now["rating"]) <= 2)
        lowered += now["rating"] != before["rating"]
        assert before["contacted"] == before["resolved_view"] == ""
    assert lowered > 0


def test_events_for_a_realistic_share_of_issues(default_package):
    p = default_package
    assigned = [i for i in p["issues"] if i["assigned_on"]]
    done = [i for i in p["issues"] if i["status"] in DONE]
    kinds = collections.defaultdict(set)
    for e in p["issue_events"]:
        kinds[e["event"]].add(e["issue_id"])
    assert set(kinds) == KINDS
    assert 0.03 < len(kinds["returned"]) / len(assigned) < 0.12  # 回退率
    assert 0.03 < len(kinds["extended"]) / len(assigned) < 0.12  # 延期率
    assert 0.02 < len(kinds["reopened"] & {i["id"] for i in done}) / len(done) < 0.08  # 重办率
    escalated = {i["id"] for i in p["issues"] if i["escalated"] == "true"}
    assert 0.7 < len(kinds["supervised"]) / len(escalated) <= 1
    with_history = {e["issue_id"] for e in p["issue_events"]}
    assert 0.15 < len(with_history) / len(p["issues"]) < 0.35
    assert max(collections.Counter(e["issue_id"] for e in p["issue_events"]).values()) <= 8
    late = {i["id"] for i in done if day(i["resolved_on"]) > p.due(i)}
    assert len(kinds["extended"] & late) > len(kinds["extended"] - late)  # extensions mostly for late work
    assert sum(1 for e in p["issue_events"] if e["note"]) / len(p["issue_events"]) > 0.7


def test_callbacks_answer_history_less_kindly(default_package):
    p = default_package
    evaluations = p["evaluations"]
    assert sum(1 for e in evaluations if e["contacted"]) / len(evaluations) > 0.85
    assert sum(1 for e in evaluations if e["resolved_view"]) / len(evaluations) > 0.85
    returned = {e["issue_id"] for e in p["issue_events"] if e["event"] == "returned"}
    issues = {i["id"]: i for i in p["issues"]}
    late = {i for i, issue in issues.items() if issue["resolved_on"] and day(issue["resolved_on"]) > p.due(issue)}

    def solved(rows):
        given = [e for e in rows if e["resolved_view"]]
        return sum(1 for e in given if e["resolved_view"] == "resolved") / len(given)

    def contacted(rows):
        given = [e for e in rows if e["contacted"]]
        return sum(1 for e in given if e["contacted"] == "true") / len(given)

    smooth = [e for e in evaluations if e["issue_id"] not in returned | late]
    for troubled in ([e for e in evaluations if e["issue_id"] in returned],
                     [e for e in evaluations if e["issue_id"] in late]):
        assert statistics.mean(int(e["rating"]) for e in troubled) < statistics.mean(int(e["rating"]) for e in smooth) - 0.4
        assert solved(troubled) < solved(smooth) - 0.1
        assert contacted(troubled) < contacted(smooth)
    negative = [e for e in evaluations if int(e["rating"]) <= 2 and e["resolved_view"]]
    assert sum(1 for e in negative if e["resolved_view"] != "resolved") / len(negative) > 0.7
    assert 0.85 < contacted(evaluations) < 0.98 and 0.6 < solved(evaluations) < 0.85


def test_every_township_and_street_has_three_lists_of_plausible_size(default_package):
    p = default_package
    units = [r["code"] for r in p["regions"] if r["level"] in ("township", "street")]
    per_unit = collections.defaultdict(collections.Counter)
    for d in p["duty_items"]:
        if d["removed_on"] == "":
            per_unit[d["region_code"]][d["list_type"]] += 1
    assert sorted(per_unit) == sorted(units)
    for code, lists in per_unit.items():
        assert set(lists) == LISTS, code
        assert 280 <= sum(lists.values()) <= 420, code  # nationally about 340
        assert 90 <= lists["basic"] <= 170 and 75 <= lists["cooperative"] <= 125 and 90 <= lists["returned_up"] <= 150
    devolved = [d for d in p["duty_items"] if d["devolved_item_id"]]
    assert {d["region_code"] for d in devolved} == set(units)  # every unit has items resting on devolved powers
    assert all(d["list_type"] in ("basic", "returned_up") for d in devolved)
    taken_back = {d["devolved_item_id"] for d in devolved if d["list_type"] == "returned_up"}
    assert taken_back and all(p.as_of >= day(next(i for i in p["devolved_items"] if i["id"] == t)["revoked_on"])
                              for t in taken_back)
    names = collections.defaultdict(set)
    for d in p["duty_items"]:
        names[d["region_code"]].add(d["name"])
    shared = set.intersection(*names.values())
    assert shared and all(len(n) > len(shared) for n in names.values())  # a shared core, and local items
    assert {d["source_ref"] for d in p["duty_items"] if not d["devolved_item_id"]} == {
        "示区办发〔2025〕6号", "示区办发〔2026〕4号", "示县办发〔2025〕11号", "示县办发〔2026〕5号"}
    assert 0 < sum(1 for d in p["duty_items"] if d["removed_on"]) < 0.06 * len(p["duty_items"])
