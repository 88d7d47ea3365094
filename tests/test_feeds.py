"""Atom feeds: valid RFC 4287 documents, stable tag ids, dates from the data, bounded, everything escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import pandas as pd
import pytest

from pipeline.render import feeds
from pipeline.render.feeds import LIMIT, feed_files
from tests.test_build import check_golden

NS = {"a": "http://www.w3.org/2005/Atom"}


def parse(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    return root


def check_atom(root: ET.Element) -> None:
    """The elements RFC 4287 requires: feed id/title/updated/author; entry id/title/updated, content or alternate."""
    for name in ("id", "title", "updated"):
        assert root.find(f"a:{name}", NS) is not None and root.find(f"a:{name}", NS).text
    assert root.find("a:author/a:name", NS).text
    ids = [e.find("a:id", NS).text for e in root.findall("a:entry", NS)]
    assert len(ids) == len(set(ids))
    for entry in root.findall("a:entry", NS):
        for name in ("id", "title", "updated"):
            assert entry.find(f"a:{name}", NS) is not None and entry.find(f"a:{name}", NS).text is not None
        assert entry.find("a:content", NS) is not None or entry.find("a:link[@rel='alternate']", NS) is not None
        assert entry.find("a:id", NS).text.startswith("tag:sunshine-ledger,2026:")


def entries(root: ET.Element) -> list[tuple[str, str, str]]:
    return [(e.find("a:id", NS).text, e.find("a:title", NS).text, e.find("a:updated", NS).text)
            for e in root.findall("a:entry", NS)]


@pytest.fixture(scope="module")
def tiny_feeds(tiny_ledger):
    return feed_files(tiny_ledger)


def test_tiny_feeds_are_one_overall_one_per_township_items_and_claims(tiny_feeds):
    assert sorted(tiny_feeds) == ["feeds/claims.xml", "feeds/items.xml", "feeds/resolved-990121001000.xml",
                                  "feeds/resolved-990121002000.xml", "feeds/resolved.xml"]
    for data in tiny_feeds.values():
        check_atom(parse(data))


def test_resolved_feed_is_the_done_issues_newest_first_dated_by_resolved_on(tiny_feeds):
    root = parse(tiny_feeds["feeds/resolved.xml"])
    tag = "tag:sunshine-ledger,2026:issue/{}/resolved"
    assert entries(root) == [
        (tag.format("Q-008"), "农田灌溉渠堵塞", "2026-04-03T00:00:00+08:00"),
        (tag.format("Q-003"), "宅基地审批材料反复退回", "2026-03-20T00:00:00+08:00"),
        (tag.format("Q-002"), "河道垃圾长期无人清理", "2026-03-09T00:00:00+08:00"),
        (tag.format("Q-001"), "村道路灯损坏需维修", "2026-03-02T00:00:00+08:00"),
    ]
    assert root.find("a:updated", NS).text == "2026-04-03T00:00:00+08:00"  # the newest entry, not the clock
    first = root.find("a:entry", NS)
    assert first.find("a:link[@rel='alternate']", NS).get("href") == "../issue/?id=Q-008"
    assert first.find("a:content", NS).text == ("乙一村；基础设施；牵头部门：示例市自然资源和规划局；"
                                                "2026-04-02 提出，2026-04-03 办结（用时 1 天）。办理情况：已疏通")


def test_township_feed_holds_only_its_villages(tiny_feeds):
    jia = [i for i, _, _ in entries(parse(tiny_feeds["feeds/resolved-990121001000.xml"]))]
    yi = [i for i, _, _ in entries(parse(tiny_feeds["feeds/resolved-990121002000.xml"]))]
    assert [i.split("/")[1] for i in jia] == ["Q-002", "Q-001"]
    assert [i.split("/")[1] for i in yi] == ["Q-008", "Q-003"]


def test_items_feed_has_effective_and_revoked_events_up_to_as_of(tiny_feeds):
    tag = "tag:sunshine-ledger,2026:item/{}"
    assert [(i, u[:10]) for i, _, u in entries(parse(tiny_feeds["feeds/items.xml"]))] == [
        (tag.format("D4/effective"), "2026-04-01"), (tag.format("D3/revoked"), "2026-02-01"),
        (tag.format("D3/effective"), "2025-06-01"), (tag.format("D1/effective"), "2025-03-01"),
        (tag.format("D2/effective"), "2025-03-01")]


def test_claims_feed_is_dated_by_source_date(tiny_feeds):
    root = parse(tiny_feeds["feeds/claims.xml"])
    assert entries(root) == [("tag:sunshine-ledger,2026:claim/C-1", "示例日报：办结问题", "2026-04-30T00:00:00+08:00")]
    assert "示例县已办结问题4个" in root.find("a:entry/a:content", NS).text


def test_resolved_feed_golden(tiny_feeds):
    check_golden("export_feed_resolved.xml", tiny_feeds["feeds/resolved.xml"].decode("utf-8"))


def test_ids_do_not_change_with_a_new_release(tiny_ledger):
    later = replace(tiny_ledger, package=replace(tiny_ledger.package, as_of=pd.Timestamp("2026-12-31").date()),
                    as_of=pd.Timestamp("2026-12-31"))
    ids = lambda ledger: [i for i, _, _ in entries(parse(feed_files(ledger)["feeds/resolved.xml"]))]  # noqa: E731
    assert ids(later) == ids(tiny_ledger)


def test_feeds_are_bounded_to_the_newest_entries(demo_dir):
    from pipeline.validate import validate

    _, ledger = validate(demo_dir)
    root = parse(feed_files(ledger)["feeds/resolved.xml"])
    done = ledger.issues[ledger.issues["done"]]
    assert len(done) > LIMIT and len(root.findall("a:entry", NS)) == LIMIT
    newest = done.sort_values(["resolved_on", "id"], ascending=[False, True]).head(LIMIT)
    assert [i.split("/")[1] for i, _, _ in entries(root)] == list(newest["id"])


def test_text_is_escaped_and_control_characters_dropped(tiny_ledger):
    issues = tiny_ledger.issues.copy()
    issues.loc[issues["id"] == "Q-008", "title"] = '<script>alert("x")</script> & ]]> \x01\x0b'
    issues.loc[issues["id"] == "Q-008", "summary"] = "</content><entry>伪造</entry>"
    ledger = replace(tiny_ledger, frames={**tiny_ledger.frames, "issues": issues})
    data = feeds.atom(ledger, "resolved", "t", "s", "resolved.xml", "../", feeds.resolved_entries(ledger, issues))
    assert b"<script>" not in data and b"&lt;script&gt;" in data and b"\x01" not in data
    root = parse(data)
    check_atom(root)
    first = root.find("a:entry", NS)
    assert first.find("a:title", NS).text == '<script>alert("x")</script> & ]]> '
    assert first.find("a:content", NS).text.endswith("办理情况：</content><entry>伪造</entry>")
    assert len(root.findall("a:entry", NS)) == 4


def test_each_place_takes_its_newest_from_the_one_shared_sort(demo_ledger):
    """A place's feed, picked from the whole ledger's order, is what sorting that place's issues alone gives,
    ties on the date included (many issues are resolved on the same day)."""
    issues = demo_ledger.issues
    ordered = feeds.newest_resolved(demo_ledger, issues)
    assert ordered["_position"].is_unique and len(ordered) == int(issues["done"].sum())
    for code, _ in feeds.township_codes(demo_ledger):
        mine = issues["region_code"].isin(demo_ledger.region_codes(code))
        alone = issues[mine]
        done = alone[alone["done"] & alone["resolved_on"].notna() & (alone["resolved_on"] <= demo_ledger.as_of)]
        expected = done.sort_values(["resolved_on", "id"], ascending=[False, True], kind="stable").head(LIMIT)
        part = ordered[ordered["region_code"].isin(demo_ledger.region_codes(code))]
        shared = feeds.entries_of_resolved(demo_ledger, issues, part)
        assert [e.id.split("/")[1] for e in shared] == list(expected["id"])
        assert shared == feeds.resolved_entries(demo_ledger, alone)
