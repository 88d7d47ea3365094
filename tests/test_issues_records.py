"""Issue timing at as_of, the lookup records and their shards, on the hand-computed tiny package.

Tiny (as_of 2026-04-30): due dates as pinned in test_metrics.py — Q-001 03-02, Q-002 03-06,
Q-003 03-26, Q-004 03-12 (complex from Mon 03-09), Q-005 05-06 (劳动节), Q-008 04-02 (given).
"""

from __future__ import annotations

import json

import pytest

from pipeline.render.issues_lookup import SHARD_LIMIT, Shards, decode_records, fnv1a, fnv1a_many, shard_count
from pipeline.render.issues_records import Names, meeting_rows, open_issue_rows, timing
from pipeline.validate import validate


@pytest.fixture(scope="module")
def names(tiny_ledger):
    return Names.of(tiny_ledger)


def published(files: dict) -> dict[str, dict]:
    """Issue id → its record, read back from the shards as the lookup page reads them."""
    index = json.loads(files["api/v1/issues/index.json"])
    return {key: record for path, content in files.items() if not path.endswith("index.json")
            for key, record in decode_records(index, json.loads(content)).items()}


@pytest.fixture(scope="module")
def records(tiny_ledger, names):
    return published(dict(Shards(tiny_ledger, names).files("2026-04-30")))


def test_timing_at_as_of_by_hand(tiny_ledger):
    issues = tiny_ledger.issues
    got = timing(issues, tiny_ledger.as_of)
    table = {i: (s, d) for i, s, d in zip(issues["id"], got["state"], got["days"])}
    assert table == {
        "Q-001": ("on_time", 0),  # same day
        "Q-002": ("late", 3),  # due 03-06, resolved 03-09
        "Q-003": ("on_time", 0),  # due 03-26, resolved 03-20
        "Q-004": ("overdue", 49),  # due 03-12, as_of 04-30: 19 + 30 calendar days
        "Q-005": ("open", 0),  # due 05-06, after as_of
        "Q-006": ("withdrawn", 0),
        "Q-007": ("unassigned", 0),  # registered: no deadline yet
        "Q-008": ("late", 1),  # due_on 04-02 given, resolved 04-03
    }


def test_overdue_state_agrees_with_the_overdue_open_metric(tiny_ledger):
    from pipeline.figures.metrics import overdue_open

    states = timing(tiny_ledger.issues, tiny_ledger.as_of)["state"]
    assert (states == "overdue").sum() == overdue_open(tiny_ledger).value == 1


def test_open_issue_rows_most_overdue_first(tiny_ledger, names):
    rows = open_issue_rows(tiny_ledger, tiny_ledger.issues, names, below="990121000000")
    assert [(r["id"], r["state"], r["days"], r["place"]) for r in rows] == [
        ("Q-004", "overdue", 49, "乙镇 乙一村"),
        ("Q-005", "open", 0, "乙镇"),
        ("Q-007", "unassigned", 0, "甲镇 甲一村"),
    ]
    assert rows[0]["timing"] == "已超期 49 天"
    assert rows[0]["lead"] == "示例市交通运输局" and rows[0]["escalated"] is True
    assert [r["id"] for r in open_issue_rows(tiny_ledger, tiny_ledger.issues, names, overdue_only=True)] == ["Q-004"]


def test_meeting_rows_newest_first_with_department_names(tiny_ledger, names):
    rows = meeting_rows(tiny_ledger, tiny_ledger.meetings, names, below="990121000000", limit=2)
    assert [(m["id"], m["held_on"], m["mechanism"], m["host"], m["persons"]) for m in rows] == [
        ("M-003", "2026-04-01", "镇会村开", "乡镇级", None),
        ("M-002", "2026-03-09", "周一夜访", "县级", 25),
    ]
    assert rows[1]["departments"] == ["示例市交通运输局"] and rows[1]["place"] == "乙镇 乙一村"


def test_names_chain_and_place(names):
    assert names.chain("990121002001") == ["990100000000", "990121000000", "990121002000", "990121002001"]
    assert names.place("990121002001") == "示例市 示例县 乙镇 乙一村"
    assert names.place("990121002001", "990121002000") == "乙一村"
    assert names.place("990121002000", "990121002000") == "乙镇"  # the place itself


def test_lookup_record_of_an_evaluated_and_inspected_issue(records):
    q = records["Q-002"]
    assert q["title"] == "河道垃圾长期无人清理"
    assert (q["mechanism"], q["category"], q["tier"], q["status"]) == ("12345热线", "生态环境",
                                                                         "复杂问题（3个工作日）", "已评价")
    assert q["place"] == ["示例市", "示例县", "甲镇", "甲一村"]
    assert (q["lead"], q["co"]) == ("示例市交通运输局", ["示例市自然资源和规划局"])
    assert (q["raised_on"], q["assigned_on"], q["due"], q["resolved_on"], q["archived_on"]) == (
        "2026-03-03", "2026-03-03", "2026-03-06", "2026-03-09", None)
    assert q["due_given"] is False and q["resolved_at_level"] == "县级"
    assert q["timing"] == {"state": "late", "days": 3, "text": "超期 3 个自然日办结"}
    assert q["evaluations"] == [{"id": "E2", "evaluator": "示例调查中心", "evaluated_on": "2026-03-12",
                                 "method": "电话回访", "rating": 2, "rating_label": "不满意",
                                 "rectified_on": "2026-03-20"}]
    assert q["inspections"] == [
        {"id": "I2", "officer": "TYG-02", "inspected_on": "2026-03-13", "verdict": "未解决",
         "verdict_code": "not_resolved", "note": "河道仍有垃圾"},
        {"id": "I3", "officer": "TYG-03", "inspected_on": "2026-03-30", "verdict": "未解决",
         "verdict_code": "not_resolved", "note": None},
    ]
    assert q["meeting"] is None


def test_lookup_record_names_its_meeting(records):
    q = records["Q-001"]
    assert q["meeting"] == {"id": "M-001", "held_on": "2026-03-02", "host_level": "市级", "place": "示例市 示例县 甲镇"}
    assert records["Q-008"]["due_given"] is True
    assert records["Q-007"]["due"] is None and records["Q-007"]["escalated"] is False


def test_record_days_unnamed(records, tiny_ledger, names):
    """The lookup page says which days it counts (自然日); the lists on other pages keep their "天" column."""
    assert records["Q-004"]["timing"]["text"] == "已超期 49 个自然日"
    assert records["Q-002"]["timing"]["text"] == "超期 3 个自然日办结"
    assert records["Q-001"]["timing"]["text"] == "按期办结"
    rows = open_issue_rows(tiny_ledger, tiny_ledger.issues, names, overdue_only=True)
    assert rows[0]["timing"] == "已超期 49 天"


def test_record_has_no_place_link(records):
    """A record names the page of its place: the region's own (township, county) or, for a village, its township's."""
    assert records["Q-002"]["region_code"] == "990121001001"  # 甲一村, a village: no page of its own
    assert records["Q-002"]["region_page"] == "990121001000"  # 甲镇
    assert records["Q-005"]["region_page"] == "990121002000"  # 乙镇 itself
    assert records["Q-006"]["region_page"] == "990121001000"


def test_page_region_stops_at_levels_with_pages(names):
    levels = ("county", "township", "street")
    assert names.page_region("990121002001", levels) == "990121002000"
    assert names.page_region("990121000000", levels) == "990121000000"
    assert names.page_region("990100000000", levels) is None  # a city has no issues page
    assert names.page_region("unknown", levels) is None and names.page_region(None, levels) is None


def test_record_has_no_department_link(records):
    """The lead department's code, for the link to its row in the department league (#dept-<code>)."""
    assert (records["Q-002"]["lead"], records["Q-002"]["lead_code"]) == ("示例市交通运输局", "jtj")
    assert (records["Q-003"]["lead"], records["Q-003"]["lead_code"]) == ("示例市自然资源和规划局", "zrzyj")


def test_fnv1a_known_vectors():
    # Published FNV-1a 32-bit test vectors; issue-lookup.js must agree (checked in the browser test).
    assert fnv1a("") == 0x811C9DC5
    assert fnv1a("a") == 0xE40C292C
    assert fnv1a("foobar") == 0xBF9CF968
    assert fnv1a_many(["", "a", "foobar"]).tolist() == [0x811C9DC5, 0xE40C292C, 0xBF9CF968]


def test_fnv1a_many_agrees_with_fnv1a_byte_by_byte():
    # Lengths from 0 to 300 in mixed order, multi-byte UTF-8 (3- and 4-byte), NUL and quote bytes.
    texts = ["Q-2026-00001", "", "问题-甲", "x" * 300, "😀\x00\"", "Q-1", "b" * 17, "é" * 40, "Q-2026-00001"]
    assert fnv1a_many(texts).tolist() == [fnv1a(t) for t in texts]
    assert fnv1a_many([]).tolist() == []


def test_shard_count_grows_with_size_and_keeps_every_shard_small():
    assert shard_count({"Q-1": 100}) == 1
    sizes = {f"Q-{n:06d}": 700 for n in range(3000)}  # about 2 MB of records
    count = shard_count(sizes)
    assert count & (count - 1) == 0 and count >= 2_100_000 // SHARD_LIMIT
    totals: dict[int, int] = {}
    for key, size in sizes.items():
        totals[fnv1a(key) % count] = totals.get(fnv1a(key) % count, 0) + size
    assert max(totals.values()) <= SHARD_LIMIT
    assert shard_count({f"Q-{n:06d}": 700 for n in range(30000)}) > count


def test_every_demo_issue_is_in_the_shard_its_hash_names(demo_dir):
    report, ledger = validate(demo_dir)
    shards = Shards(ledger, Names.of(ledger))
    count, files = shards.count, dict(shards.files("2026-10-31"))
    index = json.loads(files["api/v1/issues/index.json"])
    assert index["shards"] == count and index["issues"] == len(ledger.issues) == 600
    found = 0
    for n in range(count):
        text = files[f"api/v1/issues/{n}.json"]
        assert isinstance(text, bytes) and len(text) <= SHARD_LIMIT
        shard = json.loads(text)  # strict JSON: no NaN
        assert all(fnv1a(row[0]) % count == n for row in shard["issues"])
        found += len(shard["issues"])
    assert found == 600
