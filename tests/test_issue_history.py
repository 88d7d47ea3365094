"""办理过程 on the issue page's shard: every event in seq order, whatever order the CSV holds them in.

Q-002 in the tiny package is returned by 自然资源和规划局, reassigned to 交通运输局 and extended
to 2026-03-13; Q-008 is reopened after a 差评. The golden shard is tests/golden/issues_tiny/api/v1/issues/0.json.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from pipeline.figures.events import extended_due, reopened_issues
from pipeline.render.issues_lookup import Shards, decode_records
from pipeline.render.issues_records import Names
from pipeline.validate import validate

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "history"
Q002 = [
    {"on": "2026-03-03", "event": "回退", "code": "returned", "department": "示例市自然资源和规划局",
     "new_due_on": None, "note": "不属本部门职责，退回重新派单。"},
    {"on": "2026-03-04", "event": "改派", "code": "reassigned", "department": "示例市交通运输局",
     "new_due_on": None, "note": None},
    {"on": "2026-03-05", "event": "延期", "code": "extended", "department": "示例市交通运输局",
     "new_due_on": "2026-03-13", "note": "涉及多部门协调，申请延期获批。"},
]


def records(ledger) -> dict[str, dict]:
    files = dict(Shards(ledger, Names.of(ledger)).files(ledger.as_of.strftime("%Y-%m-%d")))
    index = json.loads(files.pop("api/v1/issues/index.json"))
    out = {}
    for content in files.values():
        out.update(decode_records(index, json.loads(content)))
    return out


def test_issue_shard_lacks_history(tiny_ledger):
    issues = records(tiny_ledger)
    assert issues["Q-002"]["events"] == Q002
    assert issues["Q-008"]["events"] == [{"on": "2026-04-12", "event": "重办", "code": "reopened",
                                          "department": "示例市自然资源和规划局", "new_due_on": None,
                                          "note": "回访差评，重新交办。"}]
    assert issues["Q-001"]["events"] == []
    # The first due date stays the record's due: 按期 is judged against it.
    assert (issues["Q-002"]["due"], issues["Q-002"]["resolved_on"]) == ("2026-03-06", "2026-03-09")
    assert issues["Q-002"]["timing"]["state"] == "late"  # late against 03-06, though within the extension


def test_issue_events_out_of_order_are_shown_in_seq_order(tiny):
    shutil.copy(FIXTURES / "issue_events_out_of_order.csv", tiny / "issue_events.csv")
    report, ledger = validate(tiny)
    assert report.valid
    assert records(ledger)["Q-002"]["events"] == Q002


def test_extended_due_is_the_last_extension_and_reopened_issues_are_named(tiny_ledger):
    assert extended_due(tiny_ledger).to_dict() == {"Q-002": pd.Timestamp("2026-03-13")}
    assert list(reopened_issues(tiny_ledger)) == ["Q-008"]
