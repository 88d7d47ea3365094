"""办理过程: an issue's events (issue_events) in the order they happened, as the issue page shows them.

Pure functions over the Ledger. ``on_time_rate`` keeps its meaning against the due
date first set (``issues.due``); an approved extension (``extended``) only adds the
due date in force beside it: the ``new_due_on`` of the issue's last ``extended``
event (the standard requires each one to be later than the one before).
"""

from __future__ import annotations

import pandas as pd

from pipeline.core.ledger import Ledger

EVENT_COLUMNS = ["issue_id", "seq", "on", "event", "department", "new_due_on", "note"]


def issue_events(ledger: Ledger) -> pd.DataFrame:
    """Every event with a known issue id, ordered by issue, then ``seq`` (the order they happened)."""
    frames = ledger.__dict__.get("frames", {})
    if "issue_events" not in frames:  # a version-1 package carries none
        return pd.DataFrame(columns=EVENT_COLUMNS)
    events = frames["issue_events"][EVENT_COLUMNS]
    events = events[events["issue_id"].notna()]
    return events.sort_values(["issue_id", "seq"], kind="stable")


def extended_due(ledger: Ledger) -> pd.Series:
    """Issue id → the due date in force after its extensions (the last ``extended`` event's ``new_due_on``)."""
    events = issue_events(ledger)
    extended = events[events["event"].eq("extended") & events["new_due_on"].notna()]
    return extended.groupby("issue_id", sort=True)["new_due_on"].last()


def reopened_issues(ledger: Ledger) -> pd.Index:
    """The ids of issues with at least one ``reopened`` (重办) event."""
    events = issue_events(ledger)
    return pd.Index(sorted(events.loc[events["event"].eq("reopened"), "issue_id"].unique()))
