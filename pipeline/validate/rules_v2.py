"""Cross-field rules of the standard's version 2 resources: issue_events and duty_items.

Registered in the same list as pipeline/validate/rules.py (``RULES``), so both
engines run them on the same ledger and report the same findings. Each finding
names the file, the spreadsheet row, the field with its Chinese title, the rule
and the fix (the templates are in pipeline/core/codes.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from pipeline.core import findings as fd
from pipeline.core.ledger import Ledger
from pipeline.validate.rules import LEVEL_ZH, emit, rule

EVENTS = "issue_events"
DUTIES = "duty_items"
EVENT_NEEDS = {"department": ("returned", "reassigned"), "new_due_on": ("extended",)}


def _title(ledger: Ledger, resource: str, field: str) -> str:
    return ledger.package.field(resource, field).get("title") or field


def _issue_column(ledger: Ledger, column: str) -> pd.Series:
    """Each event's issue's ``column`` (missing where the issue is unknown: a foreign-key finding). Where
    each event's issue is, is looked up once for the three rules that read it (``Ledger.positions``)."""
    events, issues = ledger.issue_events, ledger.issues
    found = ledger.positions(EVENTS, "issue_id", "issues", "id")
    return pd.Series(issues[column].array.take(found, allow_fill=True), index=events.index)


@rule(reads={EVENTS: ("issue_id", "seq", "on"), "issues": ("id", "raised_on")})
def event_dates_in_order(ledger: Ledger) -> Iterator[fd.Finding]:
    """An event is not before its issue was raised, nor before the event before it (by seq)."""
    events = ledger.issue_events
    raised = _issue_column(ledger, "raised_on")
    ordered = events.assign(_raised=raised).sort_values(["issue_id", "seq"], kind="stable")
    previous = ordered.groupby("issue_id", sort=False)["on"].shift(1)
    previous_seq = ordered.groupby("issue_id", sort=False)["seq"].shift(1)
    frame = events.assign(_raised=raised, _previous=previous.reindex(events.index),
                          _previous_seq=previous_seq.reindex(events.index))
    field_zh = _title(ledger, EVENTS, "on")
    early = frame["_raised"].notna() & (frame["on"] < frame["_raised"])
    yield from emit(frame, early, "event-date-order", EVENTS, "on", issue_id="issue_id", seq="seq",
                    field_zh=lambda _r: field_zh, other_zh=lambda _r: "问题的提出日期（issues.raised_on）",
                    other_en=lambda _r: "the issue's raised_on", other_value="_raised")
    back = ~early & frame["_previous"].notna() & (frame["on"] < frame["_previous"])
    yield from emit(frame, back, "event-date-order", EVENTS, "on", issue_id="issue_id", seq="seq",
                    field_zh=lambda _r: field_zh,
                    other_zh=lambda r: f"第 {int(r['_previous_seq'])} 件事的发生日期",
                    other_en=lambda r: f"event {int(r['_previous_seq'])}", other_value="_previous")


@rule(reads={EVENTS: ("event", "department", "new_due_on")})
def event_fields_by_type(ledger: Ledger) -> Iterator[fd.Finding]:
    """Returned and reassigned name a department; extended, and only extended, has new_due_on."""
    events = ledger.issue_events
    labels = ledger.labels(EVENTS, "event")
    where = {"event": "event", "event_zh": lambda r: labels.get(r["event"], r["event"])}
    for column, kinds in EVENT_NEEDS.items():
        title = _title(ledger, EVENTS, column)
        yield from emit(events, events["event"].isin(kinds) & events[column].isna(), "event-missing-field",
                        EVENTS, column, field_zh=lambda _r, t=title: t, **where)
    title = _title(ledger, EVENTS, "new_due_on")
    extra = events["event"].notna() & ~events["event"].eq("extended") & events["new_due_on"].notna()
    yield from emit(events, extra, "event-extra-field", EVENTS, "new_due_on", field_zh=lambda _r: title, **where)


@rule(reads={EVENTS: ("issue_id", "seq", "event", "new_due_on"), "issues": ("id", "due")})
def event_extension_later(ledger: Ledger) -> Iterator[fd.Finding]:
    """Each extension's new_due_on is later than the due date in force before it: the issue's due
    date (``due_on``, or computed from its tier), then the previous extension's new_due_on."""
    events = ledger.issue_events
    chosen = events["event"].eq("extended") & events["new_due_on"].notna()
    extended = events.loc[chosen]
    if extended.empty:
        return
    ordered = extended.assign(_due=_issue_column(ledger, "due").loc[chosen]).sort_values(
        ["issue_id", "seq"], kind="stable")
    before = ordered.groupby("issue_id", sort=False)["new_due_on"].shift(1).fillna(ordered["_due"])
    frame = extended.assign(_before=before.reindex(extended.index))
    bad = frame["_before"].notna() & (frame["new_due_on"] <= frame["_before"])
    yield from emit(frame, bad, "event-due-not-later", EVENTS, "new_due_on", issue_id="issue_id", before="_before")


@rule(reads={EVENTS: ("issue_id", "event"), "issues": ("id", "escalated")})
def supervised_is_escalated(ledger: Ledger) -> Iterator[fd.Finding]:
    events = ledger.issue_events
    escalated = _issue_column(ledger, "escalated")
    bad = events["event"].eq("supervised") & escalated.notna() & ~escalated.fillna(True).astype(bool)
    yield from emit(events, bad, "supervised-not-escalated", EVENTS, "event", issue_id="issue_id")


@rule(reads={DUTIES: ("region_code", "list_type", "department", "effective_on", "removed_on"),
             "regions": ("code", "level")})
def duty_item_rules(ledger: Ledger) -> Iterator[fd.Finding]:
    duties = ledger.duty_items
    levels = ledger.regions.drop_duplicates("code").set_index("code")["level"]
    level = duties["region_code"].map(levels)
    title = _title(ledger, DUTIES, "region_code")
    yield from emit(duties.assign(_level=level), level.notna() & ~level.isin(["township", "street"]), "duty-level",
                    DUTIES, "region_code", field_zh=lambda _r: title, level="_level",
                    level_zh=lambda r: LEVEL_ZH.get(r["_level"], r["_level"]))
    lists = ledger.labels(DUTIES, "list_type")
    title = _title(ledger, DUTIES, "department")
    missing = duties["list_type"].isin(["cooperative", "returned_up"]) & duties["department"].isna()
    yield from emit(duties, missing, "duty-missing-department", DUTIES, "department", list_type="list_type",
                    list_zh=lambda r: lists.get(r["list_type"], r["list_type"]), field_zh=lambda _r: title)
    title = _title(ledger, DUTIES, "removed_on")
    yield from emit(duties, duties["removed_on"] < duties["effective_on"], "duty-removed-before-effective", DUTIES,
                    "removed_on", effective_on="effective_on", field_zh=lambda _r: title)
