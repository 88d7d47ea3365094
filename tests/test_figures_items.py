"""赋权事项: the catalogue's states and lists are the metric functions' own selections, not copies.

Each test swaps the one definition in pipeline.figures.metrics and checks that the metric and
what the pages show follow it together; a second copy of the rule elsewhere would not.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from pipeline.figures import metrics
from pipeline.figures.items import review_age_days, review_overdue_ids, zero_use_ids
from pipeline.figures.metrics import METRICS
from pipeline.render.items_catalogue import item_records


def test_catalogue_status_copies_active_items(tiny_ledger):
    """The catalogue's 在用 items are exactly those items_devolved counts, at every edge of the dates."""
    as_of = tiny_ledger.as_of
    items = tiny_ledger.devolved_items.copy()
    day = pd.Timedelta(days=1)
    # D1 takes effect on as_of (active), D2 tomorrow (pending), D3 revoked on as_of (revoked), D4 revoked tomorrow.
    items["effective_on"] = [as_of if i == "D1" else as_of + day if i == "D2" else e
                             for i, e in zip(items["id"], items["effective_on"])]
    items["revoked_on"] = [as_of if i == "D3" else as_of + day if i == "D4" else r
                           for i, r in zip(items["id"], items["revoked_on"])]
    ledger = replace(tiny_ledger, frames={**tiny_ledger.frames, "devolved_items": items})
    status = {r["id"]: r["status"] for r in item_records(ledger)}
    assert status == {"D1": "active", "D2": "pending", "D3": "revoked", "D4": "active"}
    assert METRICS["items_devolved"].fn(ledger).value == 2
    assert sorted(metrics.active_items(ledger)["id"]) == ["D1", "D4"]


def test_catalogue_status_copies_active_items_when_the_rule_changes(tiny_ledger, monkeypatch):
    """Swapping the one rule (here: nothing is revoked) moves the metric and the catalogue together."""
    monkeypatch.setattr(metrics, "item_status", lambda items, as_of: pd.Series("active", index=items.index))
    assert METRICS["items_devolved"].fn(tiny_ledger).value == 4
    assert {r["status"] for r in item_records(tiny_ledger)} == {"active"}


def test_zero_use_list_copies_the_metric_selection(tiny_ledger, monkeypatch):
    """The 零办件 and 评估逾期 lists are the ids of the rows the metrics count."""
    assert zero_use_ids(tiny_ledger) == ["D2", "D4"]
    assert review_overdue_ids(tiny_ledger) == ["D2"]
    only_d4 = lambda ledger: metrics.active_items(ledger).query("id == 'D4'")  # noqa: E731 - a stand-in rule
    monkeypatch.setattr(metrics, "zero_use_items", only_d4)
    monkeypatch.setattr(metrics, "review_overdue_items", only_d4)
    assert zero_use_ids(tiny_ledger) == ["D4"] and METRICS["items_zero_use"].fn(tiny_ledger).value == 1
    assert review_overdue_ids(tiny_ledger) == ["D4"] and METRICS["items_review_overdue"].fn(tiny_ledger).value == 1


def test_review_age_copies_the_review_overdue_rule(tiny_ledger):
    """An item is 评估逾期 exactly when its shown review age is over REVIEW_DAYS (365 days is not late)."""
    ages = review_age_days(tiny_ledger)
    assert ages == {"D1": 110, "D2": 425, "D4": 29}
    assert review_overdue_ids(tiny_ledger) == sorted(i for i, age in ages.items() if age > metrics.REVIEW_DAYS)
    items = tiny_ledger.devolved_items.copy()
    items["last_reviewed_on"] = items["last_reviewed_on"].where(items["id"] != "D1",
                                                                tiny_ledger.as_of - pd.Timedelta(days=365))
    ledger = replace(tiny_ledger, frames={**tiny_ledger.frames, "devolved_items": items})
    assert review_age_days(ledger)["D1"] == 365 and review_overdue_ids(ledger) == ["D2"]
    items["last_reviewed_on"] = items["last_reviewed_on"].where(items["id"] != "D1",
                                                                tiny_ledger.as_of - pd.Timedelta(days=366))
    ledger = replace(tiny_ledger, frames={**tiny_ledger.frames, "devolved_items": items})
    assert review_overdue_ids(ledger) == ["D1", "D2"] and METRICS["items_review_overdue"].fn(ledger).value == 2


def test_index_status_counts_copy_active_items(tiny_ledger, monkeypatch):
    """The items index's 在用/已收回/未生效 counts are the metric's item states, 在用 = items_devolved."""
    from pipeline.figures.items import status_counts

    assert status_counts(tiny_ledger) == {"active": 3, "revoked": 1, "pending": 0}  # D3 revoked 2026-02-01
    assert status_counts(tiny_ledger)["active"] == METRICS["items_devolved"].fn(tiny_ledger).value
    monkeypatch.setattr(metrics, "item_status", lambda items, as_of: pd.Series("pending", index=items.index))
    assert status_counts(tiny_ledger) == {"active": 0, "revoked": 0, "pending": 4}
    assert METRICS["items_devolved"].fn(tiny_ledger).value == 0
